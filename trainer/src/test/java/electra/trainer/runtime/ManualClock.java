package electra.trainer.runtime;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when told to, or by a fixed step at every reading. */
public final class ManualClock implements InstantSource {

  private Instant now;
  private final Duration perReading;

  /** A clock at {@code start} that moves {@code perReading} after each time it is read. */
  public ManualClock(Instant start, Duration perReading) {
    this.now = start;
    this.perReading = perReading;
  }

  public ManualClock(Instant start) {
    this(start, Duration.ZERO);
  }

  public void advance(Duration d) {
    now = now.plus(d);
  }

  @Override
  public Instant instant() {
    Instant read = now;
    now = now.plus(perReading);
    return read;
  }
}
