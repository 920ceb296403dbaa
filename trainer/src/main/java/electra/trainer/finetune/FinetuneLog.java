package electra.trainer.finetune;

import electra.trainer.runtime.LossCurves;
import electra.trainer.runtime.StepLog;
import electra.trainer.runtime.TensorBoardEvents;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a fine-tuning job (FinetuneSquad, FinetuneGlue) shows, as pre-training does, in its output folder: every
 * {@code --log_freq} steps a {@link StepLog} line (console, {@code log.jsonl}, TensorBoard scalars
 * {@code train/loss}, {@code train/learning_rate}, {@code train/examples_per_second}, {@code train/eta_seconds})
 * with the loss averaged over the steps since the last line; the scores of an evaluation as {@code eval/<metric>}
 * scalars; and {@code loss_curves.png} when training is done.
 */
final class FinetuneLog implements AutoCloseable {

  static final String LOG_FILE = "log.jsonl";
  static final String CURVES_FILE = "loss_curves.png";

  /** The picture of this log: the training loss. */
  static final LossCurves CURVES = new LossCurves(List.of(new LossCurves.Panel("loss (log scale)",
      LossCurves.Scale.LOG, List.of(new LossCurves.Curve("loss", "training loss", new Color(0x1f77b4))))));

  private final Path outputDir;
  private final PrintStream out;
  private final InstantSource clock;
  private TensorBoardEvents events;
  private StepLog steps;
  private double lossSum;
  private int losses;

  /** The log of {@code outputDir}; its files appear with the first thing to write, so a refused run leaves none. */
  FinetuneLog(Path outputDir, PrintStream out, InstantSource clock) {
    this.outputDir = outputDir;
    this.out = out;
    this.clock = clock;
  }

  /** The event file of this run, a new one in the output folder. */
  private TensorBoardEvents events() throws IOException {
    if (events == null) {
      events = TensorBoardEvents.create(outputDir);
      out.println("TensorBoard: tensorboard --logdir " + outputDir + "   (events in " + events.file() + ")");
    }
    return events;
  }

  /**
   * Training starts at {@code step}: the clock starts now, log.jsonl is appended to, and after a restart TensorBoard
   * drops the interrupted run's later events.
   */
  void trainingStarts(long step) throws IOException {
    if (step > 0) {
      events().sessionStart(step, clock.instant().toEpochMilli() / 1e3);
    }
    steps = new StepLog(outputDir.resolve(LOG_FILE), out, events(), "train/", StepLog.EXAMPLES, clock);
  }

  /** Adds one step's loss (after {@link #trainingStarts}); it trained on {@code examples} windows. */
  void stepDone(float loss, int examples) {
    lossSum += loss;
    losses++;
    steps.stepDone(examples);
  }

  /** Writes the line of {@code step}, one of the steps of {@code epoch} (1-based), trained at {@code learningRate}. */
  void write(long step, long totalSteps, int epoch, int epochs, double learningRate) throws IOException {
    double loss = lossSum / losses;
    Map<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("loss", loss);
    metrics.put("learning_rate", learningRate);
    steps.write(step, totalSteps, Map.of("epoch", (long) epoch), metrics, String.format(Locale.ROOT,
        "step %d/%d  epoch %d/%d  loss %.4f  lr %.3e", step, totalSteps, epoch, epochs, loss, learningRate));
    lossSum = 0;
    losses = 0;
  }

  /** The scores of the model at {@code step}, as TensorBoard scalars {@code eval/<metric>}. */
  void evaluated(long step, Map<String, Number> results) throws IOException {
    Map<String, Double> scalars = new LinkedHashMap<>();
    results.forEach((metric, value) -> scalars.put("eval/" + metric, value.doubleValue()));
    events().scalars(step, clock.instant().toEpochMilli() / 1e3, scalars);
  }

  /** Draws {@code loss_curves.png} from log.jsonl, titled {@code title}. */
  void drawCurves(String title) {
    CURVES.drawAndReport(outputDir.resolve(LOG_FILE), 1, outputDir.resolve(CURVES_FILE), title, out);
  }

  @Override
  public void close() throws IOException {
    try (TensorBoardEvents closedLast = events) {
      if (steps != null) {
        steps.close();
      }
    }
  }
}
