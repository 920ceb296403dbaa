package electra.trainer.pretrain;

import electra.trainer.runtime.LossCurves;
import electra.trainer.runtime.StepLog;
import electra.trainer.runtime.TensorBoardEvents;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What users see of pre-training: every {@code logFreq} steps one {@link StepLog} line (console, {@code log.jsonl},
 * TensorBoard scalars of the same names) with the losses and the metrics of spec §2.7 (AUC over the window's real
 * tokens) averaged over the micro-batches since the last line (data-parallel: of every worker, as each optimizer
 * step's all-reduce reports them; AUC only over the chief's tokens), the gradient norm (of the gradient each optimizer
 * step applied, before clipping, averaged over the window's steps), learning rate, sequences per second and the
 * estimated time left; lines carry the phase.
 */
public final class TrainingLog implements AutoCloseable {

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

  private final StepLog steps;
  private final int phase;
  private final double[] sums = new double[NAMES.size()];
  private double gradNormSum;
  private int microSteps;
  private int appliedSteps;
  private float[] probs = new float[0];
  private float[] labels = new float[0];
  private int tokens;

  /**
   * Appends to {@code file}; lines carry {@code phase}; {@code events} (may be null, not closed by this log) gets the
   * same scalars.
   */
  public TrainingLog(Path file, PrintStream console, int phase, TensorBoardEvents events) {
    this.steps = new StepLog(file, console, events, "", StepLog.SEQUENCES, InstantSource.system());
    this.phase = phase;
  }

  /**
   * Adds one micro-step, its scalars weighted by the micro-batches they stand for
   * ({@link PretrainingGraph.StepResult#microBatches()}); {@code inputMask} selects the tokens AUC counts.
   */
  public void add(PretrainingGraph.StepResult r, int[] inputMask) {
    for (int i = 0; i < sums.length; i++) {
      sums[i] += (double) r.scalars()[i] * r.microBatches();
    }
    microSteps += r.microBatches();
    if (r.applied()) {
      gradNormSum += r.gradientNorm();
      appliedSteps++;
    }
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

  /** Writes the line for {@code step} and starts a new window; {@code lossScale} NaN: no loss scaling. */
  public void write(long step, long totalSteps, double learningRate, double lossScale) throws IOException {
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (int i = 0; i < NAMES.size(); i++) {
      metrics.put(NAMES.get(i), sums[i] / microSteps);
    }
    metrics.put("disc_auc", auc(probs, labels, tokens));
    metrics.put("grad_norm", gradNormSum / appliedSteps);
    metrics.put("learning_rate", learningRate);
    if (!Double.isNaN(lossScale)) {
      metrics.put("loss_scale", lossScale);
    }
    steps.write(step, totalSteps, Map.of("phase", (long) phase), metrics, String.format(Locale.ROOT,
        "step %d/%d  loss %.4f (mlm %.4f, disc %.4f)  gen_acc %.3f  disc_acc %.3f  lr %.3e", step, totalSteps,
        metrics.get("total_loss"), metrics.get("masked_lm_loss"), metrics.get("disc_loss"),
        metrics.get("masked_lm_accuracy"), metrics.get("disc_accuracy"), learningRate));
    Arrays.fill(sums, 0);
    gradNormSum = 0;
    microSteps = 0;
    appliedSteps = 0;
    tokens = 0;
  }

  /** Whether optimizer steps have been added since the last line. */
  public boolean pending() {
    return steps.pending();
  }

  /** Marks the end of one optimizer step in the window, which trained on {@code sequences}. */
  public void stepDone(long sequences) {
    steps.stepDone(sequences);
  }

  /** Restarts the window clock (after start-up work that should not count as training time). */
  public void restartClock() {
    steps.restartClock();
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

  /** Closes log.jsonl (the event file stays open: its creator closes it). */
  @Override
  public void close() throws IOException {
    steps.close();
  }
}
