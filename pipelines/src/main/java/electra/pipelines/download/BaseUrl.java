package electra.pipelines.download;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;

/** The http(s) folder that files are downloaded from, e.g. {@code https://dumps.wikimedia.org}. */
public record BaseUrl(URI uri) {

  public BaseUrl {
    Objects.requireNonNull(uri, "uri");
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null) {
      throw new IllegalArgumentException("a base URL must look like https://host/path, got '" + uri + "'");
    }
    String text = uri.toString();
    uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
  }

  /** Parses user input such as {@code --base_url=http://127.0.0.1:8000/mirror/}. */
  public static BaseUrl parse(String text) {
    try {
      return new BaseUrl(new URI(text.trim()));
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("'" + text + "' is not a URL: " + e.getReason(), e);
    }
  }

  /** {@code <base>/a/b/c} for path segments that need no escaping (file and folder names of dumps). */
  public URI resolve(String... segments) {
    return URI.create(uri + "/" + String.join("/", segments));
  }
}
