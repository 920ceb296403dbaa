package electra.trainer.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What a training loop shows every few steps, in three places: a line on the console, the same values as one JSON
 * object in {@code log.jsonl} (appended, so a resumed run continues the file) and, given an event file, TensorBoard
 * scalars of the same step and wall time. Besides the caller's values every line has the throughput and the
 * estimated time left, measured over the steps since the previous line, so that start-up work or an evaluation
 * between two lines does not skew the next.
 */
public final class StepLog implements AutoCloseable {

  /** What a run processes: log.jsonl's {@code <plural>_per_second} field and the console's {@code <short>/s}. */
  public record Unit(String plural, String abbreviation) {
    public Unit {
      if (plural == null || plural.isBlank() || abbreviation == null || abbreviation.isBlank()) {
        throw new IllegalArgumentException("a unit needs a plural and an abbreviation");
      }
    }
  }

  public static final Unit SEQUENCES = new Unit("sequences", "seq");
  public static final Unit EXAMPLES = new Unit("examples", "examples");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final PrintStream console;
  private final TensorBoardEvents events;
  private final String tagPrefix;
  private final Unit unit;
  private final InstantSource clock;
  private BufferedWriter jsonl;
  private Instant windowStart;
  private long stepsInWindow;
  private long unitsInWindow;

  /**
   * @param file appended to, created at the first line
   * @param events gets every number of a line but the step and the labels; may be null; not closed by this log
   * @param tagPrefix what the TensorBoard tags start with, e.g. {@code train/} (or nothing)
   * @param clock the wall time of the lines and the time the throughput is measured with
   */
  public StepLog(Path file, PrintStream console, TensorBoardEvents events, String tagPrefix, Unit unit,
      InstantSource clock) {
    this.file = file;
    this.console = console;
    this.events = events;
    this.tagPrefix = tagPrefix;
    this.unit = unit;
    this.clock = clock;
    this.windowStart = clock.instant();
  }

  /** Marks the end of one optimizer step, which processed {@code units} (sequences, examples). */
  public void stepDone(long units) {
    stepsInWindow++;
    unitsInWindow += units;
  }

  /** Whether steps have been done since the last line. */
  public boolean pending() {
    return stepsInWindow > 0;
  }

  /** Restarts the window clock (after start-up work that should not count as training time). */
  public void restartClock() {
    windowStart = clock.instant();
  }

  /**
   * Writes the line of {@code step} of {@code totalSteps} and starts a new window. In log.jsonl: the step,
   * {@code labels} (e.g. the phase; not plotted), the wall time, {@code metrics} in their order (NaN as null, not
   * plotted), {@code <unit>_per_second} and {@code eta_seconds}. On the console: {@code text}, then the throughput
   * and the time left.
   */
  public void write(long step, long totalSteps, Map<String, Long> labels, Map<String, Double> metrics, String text)
      throws IOException {
    Instant now = clock.instant();
    double seconds = Math.max(Duration.between(windowStart, now).toNanos() / 1e9, 1e-9);
    double perSecond = unitsInWindow / seconds;
    double eta = (totalSteps - step) * seconds / Math.max(1, stepsInWindow);
    double wallTime = now.toEpochMilli() / 1e3;

    Map<String, Double> values = new LinkedHashMap<>(metrics);
    values.put(unit.plural() + "_per_second", perSecond);
    values.put("eta_seconds", eta);
    ObjectNode line = JSON.createObjectNode();
    line.put("step", step);
    labels.forEach(line::put);
    line.put("wall_time", wallTime);
    Map<String, Double> scalars = new LinkedHashMap<>();
    values.forEach((name, value) -> {
      if (Double.isNaN(value)) {
        line.putNull(name);
      } else {
        line.put(name, value);
        scalars.put(tagPrefix + name, value);
      }
    });
    if (jsonl == null) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      jsonl = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    }
    jsonl.write(JSON.writeValueAsString(line));
    jsonl.newLine();
    jsonl.flush();
    if (events != null) {
      events.scalars(step, wallTime, scalars);
    }
    console.printf(Locale.ROOT, "%s  %.1f %s/s  ETA %s%n", text, perSecond, unit.abbreviation(),
        Progress.duration(eta));
    stepsInWindow = 0;
    unitsInWindow = 0;
    windowStart = now;
  }

  /** Closes log.jsonl (the event file stays open: its creator closes it). */
  @Override
  public void close() throws IOException {
    if (jsonl != null) {
      jsonl.close();
    }
  }
}
