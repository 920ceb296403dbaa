package electra.trainer.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.trainer.runtime.LossCurves;
import electra.trainer.runtime.TensorBoardEvents;
import java.awt.Color;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What users see: every {@code logFreq} steps one line on the console and the same values as one JSON object in
 * {@code log.jsonl}, averaged over the micro-steps since the last line: losses, the metrics of spec §2.7 (AUC over
 * the window's real tokens), learning rate, sequences per second and the estimated time left; with the step, the
 * phase and the wall time. When given a {@link TensorBoardEvents} file, every metric of the line is also written
 * there as a scalar of the same name, step and wall time.
 */
public final class TrainingLog implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> NAMES = PretrainingObjective.Outputs.SCALAR_NAMES;

  /** The picture of this log: the losses, then the accuracies (colours: matplotlib's tab10). */
  static final LossCurves CURVES = new LossCurves(List.of(
      new LossCurves.Panel("loss (log scale)", LossCurves.Scale.LOG, List.of(
          new LossCurves.Curve("total_loss", "total loss", new Color(0x1f77b4)),
          new LossCurves.Curve("masked_lm_loss", "MLM (generator) loss", new Color(0xff7f0e)),
          new LossCurves.Curve("disc_loss", "discriminator loss", new Color(0x2ca02c)))),
      new LossCurves.Panel("accuracy", LossCurves.Scale.FRACTION, List.of(
          new LossCurves.Curve("masked_lm_accuracy", "generator accuracy (masked tokens)", new Color(0xd62728)),
          new LossCurves.Curve("disc_accuracy", "discriminator accuracy (all tokens)", new Color(0x9467bd))))));

  private final BufferedWriter jsonl;
  private final PrintStream console;
  private final int phase;
  private final TensorBoardEvents events;
  private final double[] sums = new double[NAMES.size()];
  private double gradNormSum;
  private int microSteps;
  private long sequences;
  private float[] probs = new float[0];
  private float[] labels = new float[0];
  private int tokens;
  private long windowStart = System.nanoTime();

  public TrainingLog(Path file, PrintStream console) throws IOException {
    this(file, console, 1, null);
  }

  /**
   * Appends to {@code file}; lines carry {@code phase}; {@code events} (may be null, not closed by this log) gets the
   * same scalars.
   */
  public TrainingLog(Path file, PrintStream console, int phase, TensorBoardEvents events) throws IOException {
    Files.createDirectories(file.getParent());
    this.jsonl = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    this.console = console;
    this.phase = phase;
    this.events = events;
  }

  /** Adds one micro-step; {@code inputMask} selects the tokens AUC counts. */
  public void add(PretrainingGraph.StepResult r, int[] inputMask, int batchSize) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += r.scalars()[i];
    }
    gradNormSum += r.gradientNorm();
    microSteps++;
    sequences += batchSize;
    for (int i = 0; i < inputMask.length; i++) {
      if (inputMask[i] == 1) {
        if (tokens == probs.length) {
          probs = Arrays.copyOf(probs, Math.max(1024, tokens * 2));
          labels = Arrays.copyOf(labels, probs.length);
        }
        probs[tokens] = r.discProbs()[i];
        labels[tokens++] = r.discLabels()[i];
      }
    }
  }

  /** Writes the line for {@code step} and starts a new window. */
  public void write(long step, long totalSteps, double learningRate, double lossScale) throws IOException {
    long now = System.nanoTime();
    double seconds = (now - windowStart) / 1e9;
    double seqPerSec = sequences / Math.max(seconds, 1e-9);
    double secondsPerStep = seconds / Math.max(1, stepsInWindow);
    double wallTime = System.currentTimeMillis() / 1e3;
    ObjectNode o = JSON.createObjectNode();
    o.put("step", step);
    o.put("phase", phase);
    o.put("wall_time", wallTime);
    for (int i = 0; i < NAMES.size(); i++) {
      o.put(NAMES.get(i), sums[i] / microSteps);
    }
    double auc = auc(probs, labels, tokens);
    if (Double.isNaN(auc)) {
      o.putNull("disc_auc");
    } else {
      o.put("disc_auc", auc);
    }
    o.put("grad_norm", gradNormSum / microSteps);
    o.put("learning_rate", learningRate);
    o.put("sequences_per_second", seqPerSec);
    double eta = (totalSteps - step) * secondsPerStep;
    o.put("eta_seconds", eta);
    if (!Double.isNaN(lossScale)) {
      o.put("loss_scale", lossScale);
    }
    jsonl.write(JSON.writeValueAsString(o));
    jsonl.newLine();
    jsonl.flush();
    if (events != null) {
      events.scalars(step, wallTime, metrics(o));
    }
    console.printf(Locale.ROOT, "step %d/%d  loss %.4f (mlm %.4f, disc %.4f)  gen_acc %.3f  disc_acc %.3f  "
            + "lr %.3e  %.1f seq/s  ETA %s%n", step, totalSteps, o.get("total_loss").asDouble(),
        o.get("masked_lm_loss").asDouble(), o.get("disc_loss").asDouble(), o.get("masked_lm_accuracy").asDouble(),
        o.get("disc_accuracy").asDouble(), learningRate, seqPerSec, duration(eta));
    Arrays.fill(sums, 0);
    gradNormSum = 0;
    microSteps = 0;
    sequences = 0;
    tokens = 0;
    stepsInWindow = 0;
    windowStart = now;
  }

  private long stepsInWindow;

  /** The metrics of a log line, in its order: every numeric field but the step, phase and wall time. */
  static Map<String, Double> metrics(JsonNode line) {
    Map<String, Double> m = new LinkedHashMap<>();
    line.fields().forEachRemaining(e -> {
      if (e.getValue().isNumber() && !NOT_METRICS.contains(e.getKey())) {
        m.put(e.getKey(), e.getValue().asDouble());
      }
    });
    return m;
  }

  private static final Set<String> NOT_METRICS = Set.of("step", "phase", "wall_time");

  /** Whether optimizer steps have been added since the last line. */
  public boolean pending() {
    return stepsInWindow > 0;
  }

  /** Marks the end of one optimizer step in the window. */
  public void stepDone() {
    stepsInWindow++;
  }

  /** Restarts the window clock (after start-up work that should not count as training time). */
  public void restartClock() {
    windowStart = System.nanoTime();
  }

  /** Area under the ROC curve of probabilities against 0/1 labels (ties count half); NaN without both classes. */
  static double auc(float[] probs, float[] labels, int n) {
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(probs[a], probs[b]));
    double rankSumPositive = 0;
    long positives = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && probs[order[j + 1]] == probs[order[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (labels[order[k]] > 0.5f) {
          rankSumPositive += rank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (rankSumPositive - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  static String duration(double seconds) {
    if (!Double.isFinite(seconds)) {
      return "?";
    }
    long s = Math.round(seconds);
    return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }

  /** Closes log.jsonl (the event file stays open: its creator closes it). */
  @Override
  public void close() throws IOException {
    jsonl.close();
  }
}
