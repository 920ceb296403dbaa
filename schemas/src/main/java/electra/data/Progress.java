package electra.data;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress lines for one transfer, at most one per {@code every} so a multi-gigabyte download prints a
 * readable log rather than a flood. The rate, and so the ETA, counts only this transfer's bytes, not those resumed
 * from disk.
 */
final class Progress {

  private static final double MB = 1_000_000.0;

  private final PrintStream log;
  private final String name;
  private final long startBytes;
  private final long totalBytes;
  private final long everyNanos;
  private final LongSupplier clock;
  private final long startNanos;
  private long lastReportNanos;
  private long bytes;

  /**
   * @param startBytes bytes already on disk when this transfer began
   * @param totalBytes the whole file's size, or -1 when the server did not say
   */
  Progress(PrintStream log, String name, long startBytes, long totalBytes, Duration every, LongSupplier clock) {
    this.log = log;
    this.name = name;
    this.startBytes = startBytes;
    this.totalBytes = totalBytes;
    this.everyNanos = every.toNanos();
    this.clock = clock;
    this.startNanos = clock.getAsLong();
    this.lastReportNanos = startNanos;
    this.bytes = startBytes;
  }

  long startBytes() {
    return startBytes;
  }

  long totalBytes() {
    return totalBytes;
  }

  /** Counts {@code n} more bytes and prints a line when the last one is old enough. */
  void advance(long n) {
    bytes += n;
    long now = clock.getAsLong();
    if (now - lastReportNanos >= everyNanos) {
      lastReportNanos = now;
      log.println(line(now));
    }
  }

  /** The closing line, printed whatever the interval. */
  void finish() {
    log.println(line(clock.getAsLong()));
  }

  private String line(long now) {
    double seconds = (now - startNanos) / 1e9;
    return describe(name, bytes, totalBytes, seconds > 0 ? (bytes - startBytes) / seconds : 0);
  }

  /**
   * {@code name: 12.3 MB of 45.6 MB (27%), 3.4 MB/s, ETA 10 s}; without the total, share and ETA when the size is
   * unknown, and without the ETA before any byte has arrived or after the last.
   */
  static String describe(String name, long bytes, long totalBytes, double bytesPerSecond) {
    StringBuilder s = new StringBuilder(name).append(": ")
        .append(String.format(Locale.ROOT, "%.1f MB", bytes / MB));
    if (totalBytes > 0) {
      s.append(String.format(Locale.ROOT, " of %.1f MB (%d%%)", totalBytes / MB, bytes * 100 / totalBytes));
    }
    s.append(String.format(Locale.ROOT, ", %.1f MB/s", bytesPerSecond / MB));
    if (totalBytes > bytes && bytesPerSecond > 0) {
      s.append(", ETA ").append(duration((totalBytes - bytes) / bytesPerSecond));
    }
    return s.toString();
  }

  /** {@code 45 s}, {@code 12 min 05 s}, {@code 3 h 20 min}: the seconds of an hours-long wait are noise. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + " s";
    }
    return s < 3600 ? String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60)
        : String.format(Locale.ROOT, "%d h %02d min", s / 3600, s / 60 % 60);
  }
}
