package electra.data;

import electra.cli.UsageException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Objects;
import java.util.Optional;

/**
 * Where downloads really come from: the public hosts themselves, or one mirror that keeps their paths under the
 * host's name. With {@code ELECTRA_MIRROR=http://host:port}, {@code https://dumps.wikimedia.org/enwiki/latest/x.bz2}
 * is fetched from {@code http://host:port/dumps.wikimedia.org/enwiki/latest/x.bz2}. One setting covers every download
 * (vocabulary, SQuAD, Wikipedia), so an air-gapped site fills one folder tree and points every job at it.
 *
 * @param root the mirror's base URL, or empty to fetch from the public hosts
 */
public record Mirror(Optional<URI> root) {

  /** The environment variable that names the mirror. */
  public static final String ENV = "ELECTRA_MIRROR";

  /** Every download from its public host. */
  public static final Mirror NONE = new Mirror(Optional.empty());

  public Mirror {
    Objects.requireNonNull(root, "root");
    root = root.map(Mirror::checkedRoot);
  }

  /** The mirror {@value #ENV} names, or {@link #NONE} when it is unset or blank. */
  public static Mirror fromEnvironment() {
    return parse(System.getenv(ENV));
  }

  /** A mirror from user text such as {@code http://127.0.0.1:8000}; null or blank means none. */
  public static Mirror parse(String text) {
    if (text == null || text.isBlank()) {
      return NONE;
    }
    try {
      return new Mirror(Optional.of(new URI(text.strip())));
    } catch (URISyntaxException e) {
      throw new UsageException(ENV + " must be a URL such as http://host:port, got '" + text + "'");
    }
  }

  /** Where to fetch {@code url} from: the URL itself without a mirror, else its host and path under the mirror. */
  public URI locate(URI url) {
    if (root.isEmpty()) {
      return url;
    }
    String host = url.getHost();
    if (host == null) {
      throw new IllegalArgumentException("cannot mirror '" + url + "': it names no host");
    }
    String authority = url.getPort() < 0 ? host : host + ":" + url.getPort();
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    String query = url.getRawQuery() == null ? "" : "?" + url.getRawQuery();
    return URI.create(root.get() + "/" + authority + path + query);
  }

  /** What to do when downloads keep failing: mend the network, or use (or start) the mirror. */
  public String unreachableAdvice() {
    return root.map(r -> "is the mirror " + ENV + "=" + r + " running and reachable?")
        .orElse("check this machine's internet access, or set " + ENV + "=http://host:port to a mirror that keeps"
            + " the public hosts' paths");
  }

  /** An http(s) URL with a host and no query, without the trailing slash so that paths append cleanly. */
  private static URI checkedRoot(URI uri) {
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new UsageException(ENV + " must be a URL such as http://host:port (the mirror keeps each "
          + "public host's files under /<host>/<path>), got '" + uri + "'");
    }
    return URI.create(uri.toString().replaceAll("/+$", ""));
  }

  @Override
  public String toString() {
    return root.map(URI::toString).orElse("(none: the public hosts)");
  }
}
