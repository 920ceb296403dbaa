package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;

/** The step lines of a training loop on a clock the test moves: throughput, ETA, log.jsonl and TensorBoard. */
class StepLogTest {

  @TempDir
  Path tmp;

  private static final Instant START = Instant.parse("2026-01-02T03:04:05Z");

  @Test
  void eachLineMeasuresTheStepsSinceThePreviousLine() throws Exception {
    ManualClock clock = new ManualClock(START);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path file = tmp.resolve("run/log.jsonl");
    try (TensorBoardEvents events = TensorBoardEvents.create(tmp.resolve("run"));
        StepLog log = new StepLog(file, new PrintStream(console, true, StandardCharsets.UTF_8), events, "train/",
            StepLog.EXAMPLES, clock)) {
      assertFalse(Files.exists(file), "log.jsonl appears with its first line");
      for (int i = 0; i < 10; i++) { // 10 steps of 32 examples, 2 s each
        clock.advance(Duration.ofSeconds(2));
        log.stepDone(32);
      }
      assertTrue(log.pending());
      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("loss", 2.5);
      metrics.put("accuracy", Double.NaN);
      metrics.put("learning_rate", 1e-4);
      log.write(10, 1000, Map.of("epoch", 1L), metrics, "step 10/1000  loss 2.5000");
      assertFalse(log.pending());

      clock.advance(Duration.ofMinutes(5)); // an evaluation between two lines ...
      log.restartClock(); // ... does not count
      for (int i = 0; i < 4; i++) { // 4 steps of 8 examples, 1 s each
        clock.advance(Duration.ofSeconds(1));
        log.stepDone(8);
      }
      log.write(14, 7214, Map.of("epoch", 2L), Map.of("loss", 2.0), "step 14/7214  loss 2.0000");
    }

    assertEquals(List.of(
        "step 10/1000  loss 2.5000  16.0 examples/s  ETA 33m00s",
        "step 14/7214  loss 2.0000  8.0 examples/s  ETA 2h00m"), console.toString(StandardCharsets.UTF_8).lines()
        .toList(), "(1000 - 10) x 2 s = 33 min; (7214 - 14) x 1 s = 2 h");
    assertEquals(List.of(
        "{\"step\":10,\"epoch\":1,\"wall_time\":1.767323065E9,\"loss\":2.5,\"accuracy\":null,"
            + "\"learning_rate\":1.0E-4,\"examples_per_second\":16.0,\"eta_seconds\":1980.0}",
        "{\"step\":14,\"epoch\":2,\"wall_time\":1.767323369E9,\"loss\":2.0,\"examples_per_second\":8.0,"
            + "\"eta_seconds\":7200.0}"), Files.readAllLines(file));
    assertEquals(START.getEpochSecond() + 20, new ObjectMapper().readTree(Files.readAllLines(file).get(0))
        .get("wall_time").asDouble());

    List<Event> events = EventFiles.read(EventFiles.in(tmp.resolve("run")).get(0));
    assertEquals(3, events.size(), "the file version, then one event per line");
    assertEquals(List.of("train/loss", "train/learning_rate", "train/examples_per_second", "train/eta_seconds"),
        events.get(1).getSummary().getValueList().stream().map(v -> v.getTag()).toList(),
        "the numbers of the line, not the labels, not what is unknown (NaN)");
    assertEquals(Map.of(10L, 2.5f, 14L, 2.0f), EventFiles.scalars(events, "train/loss"));
    assertEquals(START.getEpochSecond() + 20, events.get(1).getWallTime());
  }

  @Test
  void aResumedRunAppendsToItsLog() throws Exception {
    Path file = tmp.resolve("log.jsonl");
    for (long step : new long[] {5, 3}) {
      ManualClock clock = new ManualClock(START);
      try (StepLog log = new StepLog(file, new PrintStream(new ByteArrayOutputStream()), null, "", StepLog.SEQUENCES,
          clock)) {
        clock.advance(Duration.ofSeconds(1));
        log.stepDone(4);
        log.write(step, 10, Map.of(), Map.of("loss", 1.0), "step");
      }
    }
    assertEquals(List.of(5L, 3L), Files.readAllLines(file).stream()
        .map(l -> Long.parseLong(l.replaceAll("^\\{\"step\":(\\d+),.*", "$1"))).toList());
    assertTrue(Files.readAllLines(file).get(0).contains("\"sequences_per_second\":4.0"), Files.readAllLines(file)
        .get(0));
  }
}
