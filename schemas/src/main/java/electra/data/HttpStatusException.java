package electra.data;

import java.io.IOException;
import java.net.URI;

/** The server answered with an error status that trying again will not change (404), or kept answering with one. */
public final class HttpStatusException extends IOException {

  private final URI url;
  private final int status;

  public HttpStatusException(URI url, int status) {
    super("HTTP " + status + (status == 404 ? " (not found)" : "") + " for " + url);
    this.url = url;
    this.status = status;
  }

  public URI url() {
    return url;
  }

  public int status() {
    return status;
  }
}
