package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Progress lines of a long loop on a clock the test moves. */
class ProgressTest {

  @Test
  void printsDoneOverTotalRateAndTimeLeftOncePerInterval() {
    ManualClock clock = new ManualClock(Instant.parse("2026-01-02T03:04:05Z"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Progress p = new Progress("predicted", "windows", 1000, Duration.ofSeconds(10), new PrintStream(out, true,
        StandardCharsets.UTF_8), clock);
    for (int batch = 0; batch < 1000 / 32 + 1; batch++) { // batches of 32 windows, 4 s each; the last has 8
      clock.advance(Duration.ofSeconds(4));
      p.advance(Math.min(32, 1000 - 32L * batch));
    }
    List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(List.of(
        "predicted 96/1000 windows  8.0 windows/s  ETA 1m53s",
        "predicted 192/1000 windows  8.0 windows/s  ETA 1m41s",
        "predicted 288/1000 windows  8.0 windows/s  ETA 1m29s"), lines.subList(0, 3),
        "every 3rd batch (12 s >= 10 s): 96 windows in 12 s, 904 left at 8/s = 113 s");
    assertEquals(10, lines.size(), "32 batches of 4 s, a line every 12 s");
  }

  @Test
  void workThatEndsWithinTheFirstIntervalPrintsNothing() {
    ManualClock clock = new ManualClock(Instant.EPOCH, Duration.ofMillis(100));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Progress p = new Progress("predicted", "windows", 64, Duration.ofSeconds(10), new PrintStream(out), clock);
    p.advance(32);
    p.advance(32);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }

  @Test
  void durationsReadAsTheConsoleShowsThem() {
    assertEquals("0m00s", Progress.duration(0.4));
    assertEquals("3m07s", Progress.duration(187));
    assertEquals("59m59s", Progress.duration(3599));
    assertEquals("1h05m", Progress.duration(3900));
    assertEquals("26h00m", Progress.duration(26 * 3600));
    assertEquals("?", Progress.duration(Double.POSITIVE_INFINITY));
    assertEquals("?", Progress.duration(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Progress("x", "y", -1, Duration.ZERO, System.out,
        Instant::now));
  }
}
