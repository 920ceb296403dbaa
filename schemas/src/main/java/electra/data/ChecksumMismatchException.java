package electra.data;

import java.io.IOException;
import java.net.URI;

/** A complete download whose digest is not the published one; the bytes were deleted, never kept. */
public final class ChecksumMismatchException extends IOException {

  private final URI url;
  private final Checksum expected;
  private final Checksum actual;

  public ChecksumMismatchException(URI url, Checksum expected, Checksum actual) {
    super("the file from " + url + " has " + actual.algorithm().label() + " " + actual.hex() + " but should have "
        + expected.hex() + "; the download was deleted. Run again to retry; if it keeps happening, the server"
        + " serves a different file than the published checksum describes");
    this.url = url;
    this.expected = expected;
    this.actual = actual;
  }

  public URI url() {
    return url;
  }

  public Checksum expected() {
    return expected;
  }

  public Checksum actual() {
    return actual;
  }
}
