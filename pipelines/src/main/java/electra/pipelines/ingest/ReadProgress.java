package electra.pipelines.ingest;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the bytes read from one corpus file and logs, at most every few seconds, how far along it is: MB read,
 * MB/s, and the share and ETA when the size is known. Logged from the worker, so it works on every runner (Flink
 * reports metrics only when a batch job ends).
 */
final class ReadProgress extends FilterInputStream {

  private static final Logger LOG = LoggerFactory.getLogger(ReadProgress.class);
  private static final long INTERVAL_NANOS = 5_000_000_000L;

  private final String file;
  private final long size;
  private final long start = System.nanoTime();
  private long lastLog = start;
  private long bytes;
  private long documents;

  ReadProgress(InputStream in, String file, long size) {
    super(in);
    this.file = file;
    this.size = size;
  }

  /** Bytes read so far: the position to name when the file turns out to be damaged. */
  long position() {
    return bytes;
  }

  /** Called once per document taken from the file. */
  void document() {
    documents++;
    long now = System.nanoTime();
    if (now - lastLog >= INTERVAL_NANOS) {
      lastLog = now;
      LOG.info(report(now));
    }
  }

  String report(long now) {
    double seconds = Math.max(1e-9, (now - start) / 1e9);
    double mbPerSecond = bytes / 1e6 / seconds;
    String share = size > 0
        ? String.format(Locale.ROOT, "%.0f%% of %.1f MB, ETA %.0f s, ", 100.0 * bytes / size, size / 1e6,
            Math.max(0, (size - bytes) / 1e6 / Math.max(mbPerSecond, 1e-9)))
        : "";
    return String.format(Locale.ROOT, "%s: %.1f MB read (%s%.1f MB/s), %d documents", file, bytes / 1e6, share,
        mbPerSecond, documents);
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      bytes++;
    }
    return b;
  }

  @Override
  public int read(byte[] buffer, int offset, int length) throws IOException {
    int n = super.read(buffer, offset, length);
    if (n > 0) {
      bytes += n;
    }
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    long skipped = super.skip(n);
    bytes += skipped;
    return skipped;
  }
}
