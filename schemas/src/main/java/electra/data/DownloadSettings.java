package electra.data;

import java.time.Duration;
import java.util.Objects;

/**
 * How patient a {@link Downloader} is.
 *
 * @param attempts tries in a row that bring no new bytes before giving up (an attempt that got further than any
 *     before it resets the count, so a long download survives many dropped connections)
 * @param firstBackoff the wait after the first failure; it doubles after each further failure in a row
 * @param progressEvery the least time between two progress lines
 * @param idleTimeout how long the server may stay silent (connecting, before its answer, between body bytes)
 *     before the attempt counts as failed
 */
public record DownloadSettings(int attempts, Duration firstBackoff, Duration progressEvery, Duration idleTimeout) {

  /** For real downloads: five tries, 2 s, 4 s, 8 s, 16 s apart; progress every 5 s; a minute of silence. */
  public static final DownloadSettings DEFAULT =
      new DownloadSettings(5, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMinutes(1));

  public DownloadSettings {
    Objects.requireNonNull(firstBackoff, "firstBackoff");
    Objects.requireNonNull(progressEvery, "progressEvery");
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
    }
    if (firstBackoff.isNegative() || progressEvery.isNegative()) {
      throw new IllegalArgumentException("backoff and progress interval cannot be negative, got "
          + firstBackoff + " and " + progressEvery);
    }
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout must be positive, got " + idleTimeout);
    }
  }

  /** The wait after {@code failures} failed attempts in a row (1 = the first failure). */
  public Duration backoff(int failures) {
    return firstBackoff.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 20));
  }
}
