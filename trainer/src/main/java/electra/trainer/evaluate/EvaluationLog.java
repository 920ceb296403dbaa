package electra.trainer.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.trainer.runtime.LossCurves;
import electra.trainer.runtime.TensorBoardEvents;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * What continuous evaluation has done, kept in three places:
 * <ul>
 *   <li>{@value #FILE} in its work folder: one JSON line per checkpoint, evaluated (scores, pre-training step, the
 *       version it became) or skipped (and why). A restarted run reads it to evaluate no checkpoint twice.</li>
 *   <li>TensorBoard scalars {@value #EXACT_MATCH_TAG} and {@value #F1_TAG} at the pre-training step, in the folder
 *       {@value #EVENTS_FOLDER} of the run's TensorBoard folder: TensorBoard shows them as a run beside the
 *       pre-training losses. A folder of their own, as Estimator's {@code train_and_evaluate} keeps its evaluation
 *       events, because TensorBoard reads one folder's event files one after the other (a file older than the newest
 *       is not read again) and a restarted Pretrain's start marker would drop another writer's points at and after
 *       its step.</li>
 *   <li>{@value #CURVES_FILE} in the work folder: exact match and F1 against the step, redrawn after each
 *       evaluation.</li>
 * </ul>
 */
final class EvaluationLog implements AutoCloseable {

  static final String FILE = "evaluations.jsonl";
  static final String CURVES_FILE = "eval_curves.png";
  static final String EVENTS_FOLDER = "eval";
  static final String EXACT_MATCH_TAG = "eval/exact_match";
  static final String F1_TAG = "eval/f1";

  /** The picture: both scores, in percent, against the pre-training step (colours: matplotlib's tab10). */
  static final LossCurves CURVES = new LossCurves(List.of(
      new LossCurves.Panel("held-out SQuAD score (%)", LossCurves.Scale.PERCENT, List.of(
          new LossCurves.Curve("exact_match", "exact match", new Color(0x1f77b4)),
          new LossCurves.Curve("f1", "F1", new Color(0xff7f0e))))));

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One evaluated checkpoint.
   *
   * @param version the model version it was published as; empty when it was not
   * @param publishing why it was or was not published
   */
  record Evaluation(Path checkpoint, long step, double exactMatch, double f1, int questions, double seconds,
      OptionalLong version, String publishing) {}

  private final Path file;
  private final Path png;
  private final Path eventsDir;
  private final String title;
  private final PrintStream out;
  /** Created at the first scalar: a run that evaluates nothing leaves no empty event file behind. */
  private TensorBoardEvents events;

  /** The log in {@code workDir}, with the event files under the run's TensorBoard folder {@code tensorBoardDir}. */
  EvaluationLog(Path workDir, Path tensorBoardDir, String title, PrintStream out) {
    this.file = workDir.resolve(FILE);
    this.png = workDir.resolve(CURVES_FILE);
    this.eventsDir = tensorBoardDir.resolve(EVENTS_FOLDER);
    this.title = title;
    this.out = out;
  }

  /** Every complete line, in order (the last line of a killed run may be cut short: it does not count). */
  List<JsonNode> lines() throws IOException {
    List<JsonNode> lines = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return lines;
    }
    for (String text : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (text.isBlank()) {
        continue;
      }
      try {
        lines.add(JSON.readTree(text));
      } catch (IOException torn) {
        // a line cut short by a kill: that checkpoint was not recorded
      }
    }
    return lines;
  }

  /** The checkpoints recorded, evaluated or skipped, as their absolute paths. */
  Set<String> recorded() throws IOException {
    Set<String> done = new TreeSet<>();
    lines().forEach(line -> done.add(line.path("checkpoint").asText()));
    return done;
  }

  /** The pre-training step of the latest evaluated checkpoint; empty when none was. */
  OptionalLong lastEvaluatedStep() throws IOException {
    return lines().stream().filter(line -> line.has("f1")).mapToLong(line -> line.get("step").asLong()).max();
  }

  /**
   * Records an evaluation: its line, its TensorBoard scalars and the redrawn picture. {@code recoveredFrom} names the
   * version's {@code eval.json} the line was rebuilt from (a run killed between publishing and this line); null when
   * the evaluation was just made.
   */
  void evaluated(Evaluation e, String recoveredFrom) throws IOException {
    ObjectNode line = line(e.checkpoint(), e.step());
    line.put("exact_match", e.exactMatch());
    line.put("f1", e.f1());
    line.put("questions", e.questions());
    if (recoveredFrom != null) {
      line.put("recovered_from", recoveredFrom);
    } else {
      line.put("seconds", Math.round(e.seconds() * 10) / 10.0);
    }
    if (e.version().isPresent()) {
      line.put("version", e.version().getAsLong());
    }
    line.put("publishing", e.publishing());
    if (events == null) {
      events = TensorBoardEvents.create(eventsDir);
    }
    Map<String, Double> scalars = new LinkedHashMap<>();
    scalars.put(EXACT_MATCH_TAG, e.exactMatch());
    scalars.put(F1_TAG, e.f1());
    events.scalars(e.step(), System.currentTimeMillis() / 1e3, scalars);
    append(line);
    // in step order: a line recovered after a restart comes after the lines of later steps
    List<JsonNode> evaluated = lines().stream().filter(l -> l.has("f1"))
        .sorted(Comparator.comparingLong(l -> l.get("step").asLong())).toList();
    CURVES.drawAndReport(evaluated, png, title, out);
  }

  /** Records a checkpoint that was not evaluated and why; {@code step} -1 when unknown. */
  void skipped(Path checkpoint, long step, String reason) throws IOException {
    append(line(checkpoint, step).put("skipped", reason));
  }

  private static ObjectNode line(Path checkpoint, long step) {
    ObjectNode line = JSON.createObjectNode();
    line.put("time", Instant.now().toString());
    line.put("checkpoint", checkpoint.toString());
    line.put("step", step);
    return line;
  }

  /** Appends a line; after a line a kill cut short, on a line of its own. */
  private void append(ObjectNode line) throws IOException {
    String text = line + "\n";
    if (Files.size(Files.exists(file) ? file : Files.createFile(file)) > 0 && !endsWithNewline()) {
      text = "\n" + text;
    }
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
  }

  private boolean endsWithNewline() throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
      f.seek(f.length() - 1);
      return f.read() == '\n';
    }
  }

  @Override
  public void close() throws IOException {
    if (events != null) {
      events.close();
    }
  }
}
