package electra.trainer.runtime;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Locale;

/**
 * Progress through a known amount of work, for loops that run long without steps to log (evaluation): every
 * {@code interval} a line {@code <what> <done>/<total> <unit>  <rate> <unit>/s  ETA <time>}, the rate and the time
 * left measured since the start. Nothing is printed for work that ends within the first interval: its caller's
 * summary line says all.
 */
public final class Progress {

  private final String what;
  private final String unit;
  private final long total;
  private final Duration interval;
  private final PrintStream out;
  private final InstantSource clock;
  private final Instant started;
  private Instant printed;
  private long done;

  /**
   * @param what the verb of the line, e.g. {@code predicted}
   * @param unit what is counted, plural, e.g. {@code windows}
   */
  public Progress(String what, String unit, long total, Duration interval, PrintStream out, InstantSource clock) {
    if (total < 0 || interval.isNegative()) {
      throw new IllegalArgumentException("progress needs a total >= 0 and an interval >= 0, got " + total + " and "
          + interval);
    }
    this.what = what;
    this.unit = unit;
    this.total = total;
    this.interval = interval;
    this.out = out;
    this.clock = clock;
    this.started = clock.instant();
    this.printed = started;
  }

  /** Counts {@code units} more as done; prints a line when {@code interval} has passed since the last. */
  public void advance(long units) {
    done += units;
    Instant now = clock.instant();
    if (Duration.between(printed, now).compareTo(interval) < 0) {
      return;
    }
    printed = now;
    double seconds = Math.max(Duration.between(started, now).toNanos() / 1e9, 1e-9);
    double perSecond = done / seconds;
    double eta = perSecond > 0 ? (total - done) / perSecond : Double.POSITIVE_INFINITY;
    out.printf(Locale.ROOT, "%s %d/%d %s  %.1f %s/s  ETA %s%n", what, done, total, unit, perSecond, unit,
        duration(eta));
  }

  /** A time left as the console shows it: {@code 1h05m}, {@code 3m07s}, or {@code ?} when unknown. */
  public static String duration(double seconds) {
    if (!Double.isFinite(seconds)) {
      return "?";
    }
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
