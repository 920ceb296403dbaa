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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * What continuous evaluation has done, kept in three places:
 * <ul>
 *   <li>{@value #FILE} in its work folder: one JSON line per checkpoint, evaluated (scores, pre-training phase and
 *       step, the version it became) or skipped (and why). A restarted run reads it to evaluate no checkpoint
 *       twice. Phase 2 counts its steps from 0 again, as Pretrain does: a step is one of its phase.</li>
 *   <li>TensorBoard scalars {@value #EXACT_MATCH_TAG} and {@value #F1_TAG} at the pre-training step, in the folder
 *       {@value #EVENTS_FOLDER} of the run's TensorBoard folder: TensorBoard shows them as a run beside the
 *       pre-training losses. A folder of their own, as Estimator's {@code train_and_evaluate} keeps its evaluation
 *       events, because TensorBoard reads one folder's event files one after the other (a file older than the newest
 *       is not read again) and a restarted Pretrain's start marker would drop another writer's points at and after
 *       its step. Phase 2's scalars go to {@value #EVENTS_FOLDER} in its TensorBoard folder ({@code phase2}), beside
 *       its own losses.</li>
 *   <li>{@value #CURVES_FILE} in the work folder (phase 2: {@value #CURVES_FILE_PHASE2}): exact match and F1 against
 *       the step, redrawn after each evaluation.</li>
 * </ul>
 */
final class EvaluationLog implements AutoCloseable {

  static final String FILE = "evaluations.jsonl";
  static final String CURVES_FILE = "eval_curves.png";
  static final String CURVES_FILE_PHASE2 = "eval_curves_phase2.png";
  /** Phase 2's TensorBoard folder inside the run folder, as Pretrain writes it. */
  static final String PHASE2_FOLDER = "phase2";
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
  record Evaluation(Path checkpoint, boolean phase2, long step, double exactMatch, double f1, int questions,
      double seconds, OptionalLong version, String publishing) {}

  private final Path file;
  private final Path workDir;
  private final Path tensorBoardDir;
  private final String title;
  private final PrintStream out;
  /**
   * Each phase's event file, created at its first scalar: a run that evaluates nothing leaves no empty event file
   * behind.
   */
  private final Map<Boolean, TensorBoardEvents> events = new HashMap<>();

  /** The log in {@code workDir}, with the event files under the run's TensorBoard folder {@code tensorBoardDir}. */
  EvaluationLog(Path workDir, Path tensorBoardDir, String title, PrintStream out) {
    this.file = workDir.resolve(FILE);
    this.workDir = workDir;
    this.tensorBoardDir = tensorBoardDir;
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

  /** The step of the latest evaluated checkpoint of phase 1 or 2; empty when none was. */
  OptionalLong lastEvaluatedStep(boolean phase2) throws IOException {
    return lines().stream().filter(line -> line.has("f1") && isPhase2(line) == phase2)
        .mapToLong(line -> line.get("step").asLong()).max();
  }

  /** Whether a line is of phase 2 (lines written before phases were recorded are of phase 1). */
  private static boolean isPhase2(JsonNode line) {
    return line.path("phase").asInt(1) == 2;
  }

  /**
   * Records an evaluation: its line, its TensorBoard scalars and the redrawn picture. {@code recoveredFrom} names the
   * version's {@code eval.json} the line was rebuilt from (a run killed between publishing and this line); null when
   * the evaluation was just made.
   */
  void evaluated(Evaluation e, String recoveredFrom) throws IOException {
    ObjectNode line = line(e.checkpoint(), e.phase2(), e.step());
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
    TensorBoardEvents phaseEvents = events.get(e.phase2());
    if (phaseEvents == null) {
      Path phaseDir = e.phase2() ? tensorBoardDir.resolve(PHASE2_FOLDER) : tensorBoardDir;
      phaseEvents = TensorBoardEvents.create(phaseDir.resolve(EVENTS_FOLDER));
      events.put(e.phase2(), phaseEvents);
    }
    Map<String, Double> scalars = new LinkedHashMap<>();
    scalars.put(EXACT_MATCH_TAG, e.exactMatch());
    scalars.put(F1_TAG, e.f1());
    phaseEvents.scalars(e.step(), System.currentTimeMillis() / 1e3, scalars);
    append(line);
    // this phase's, in step order: a line recovered after a restart comes after the lines of later steps
    List<JsonNode> evaluated = lines().stream().filter(l -> l.has("f1") && isPhase2(l) == e.phase2())
        .sorted(Comparator.comparingLong(l -> l.get("step").asLong())).toList();
    CURVES.drawAndReport(evaluated, workDir.resolve(e.phase2() ? CURVES_FILE_PHASE2 : CURVES_FILE),
        e.phase2() ? title + ", phase 2" : title, out);
  }

  /** Records a checkpoint that was not evaluated and why; {@code step} -1 when unknown. */
  void skipped(Path checkpoint, boolean phase2, long step, String reason) throws IOException {
    append(line(checkpoint, phase2, step).put("skipped", reason));
  }

  private static ObjectNode line(Path checkpoint, boolean phase2, long step) {
    ObjectNode line = JSON.createObjectNode();
    line.put("time", Instant.now().toString());
    line.put("checkpoint", checkpoint.toString());
    line.put("phase", phase2 ? 2 : 1);
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
    for (TensorBoardEvents phaseEvents : events.values()) {
      phaseEvents.close();
    }
  }
}
