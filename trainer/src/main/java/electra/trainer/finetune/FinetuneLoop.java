package electra.trainer.finetune;

import electra.cli.UsageException;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.LearningRateSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;

/**
 * The training loop every fine-tuning job shares: epochs over the training examples, each epoch in its own seeded
 * shuffled order, in batches of {@code batchSize}, with Google's schedule (linear warmup, then linear decay to 0), a
 * checkpoint after every epoch and every {@code saveCheckpointsSteps} steps, and exact resumption from the latest
 * checkpoint of the output folder (the position recorded is the example within the epoch's order).
 *
 * @param <T> one training example as the model's step reads it
 */
final class FinetuneLoop<T> {

  /** What the loop needs of a job's settings. */
  record Settings(long seed, int maxSeqLength, int epochs, int batchSize, double learningRate,
      double warmupProportion, double layerwiseDecay, int saveCheckpointsSteps, int keepCheckpointMax, int logFreq,
      Path checkpointDir, String unit, String resumeAdvice) {}

  /** The job's model as the loop drives it. */
  interface Model<T> {
    FinetuneGraph graph();

    /** One optimizer step; returns the loss before the update. */
    float trainStep(List<T> batch, double learningRate, long step);

    /** Records the head in a checkpoint folder being written (so that a reader need not be told). */
    void writeHead(Path checkpoint) throws IOException;

    /** Refuses a checkpoint of another head. */
    void requireHead(Path checkpoint) throws IOException;

    /** Loads the starting weights of a fresh run. */
    void loadStartingWeights() throws IOException;
  }

  /**
   * What training did: the loss of every step this run took, the step it started from and the step it ended at, and
   * whether it trained every epoch.
   */
  record Trained(List<Float> losses, long firstStep, long lastStep, double secondsPerStep, boolean finished) {
    static final Trained NOTHING = new Trained(List.of(), 0, 0, 0, true);
  }

  /** Where training continues: the global step, the epoch (0-based) and the first example of its order not done. */
  private record Position(long step, int epoch, int example) {}

  private final Settings s;
  private final Model<T> model;
  private final FinetuneLog log;
  private final PrintStream out;

  FinetuneLoop(Settings settings, Model<T> model, FinetuneLog log, PrintStream out) {
    this.s = settings;
    this.model = model;
    this.log = log;
    this.out = out;
  }

  /** Trains on {@code examples}, stopping after global step {@code stopAfterStep} as a killed job would. */
  Trained train(List<T> examples, String vocabFingerprint, long stopAfterStep) throws IOException {
    Checkpoints checkpoints = new Checkpoints(s.checkpointDir(), "ckpt-", s.keepCheckpointMax());
    int perEpoch = (examples.size() + s.batchSize() - 1) / s.batchSize();
    long total = (long) perEpoch * s.epochs();
    LearningRateSchedule schedule = new LearningRateSchedule(s.learningRate(), 0,
        (long) (total * s.warmupProportion()), total, 1.0);
    Position at = start(checkpoints, examples.size());
    out.printf(Locale.ROOT, "training on %d %s: %d epochs x %d steps of %d, lr %.3g, layer-wise decay %.2f%n",
        examples.size(), s.unit(), s.epochs(), perEpoch, s.batchSize(), s.learningRate(), s.layerwiseDecay());
    log.trainingStarts(at.step());
    List<Float> losses = new ArrayList<>();
    long step = at.step();
    long started = System.nanoTime();
    for (int epoch = at.epoch(); epoch < s.epochs(); epoch++) {
      List<T> order = new ArrayList<>(examples);
      Collections.shuffle(order, new Random(s.seed() * 1_000_003L + epoch));
      for (int from = epoch == at.epoch() ? at.example() : 0; from < order.size(); from += s.batchSize()) {
        if (step >= stopAfterStep) {
          return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), false);
        }
        int to = Math.min(order.size(), from + s.batchSize());
        double learningRate = schedule.at(step);
        float loss = model.trainStep(order.subList(from, to), learningRate, step);
        if (!Float.isFinite(loss)) {
          throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --learning_rate");
        }
        losses.add(loss);
        step++;
        log.stepDone(loss, to - from);
        if (step % s.logFreq() == 0 || step == total) {
          log.write(step, total, epoch + 1, s.epochs(), learningRate);
        }
        boolean epochDone = to == order.size();
        if (epochDone || (s.saveCheckpointsSteps() > 0 && step % s.saveCheckpointsSteps() == 0)) {
          Path saved = save(checkpoints, vocabFingerprint,
              epochDone ? new Position(step, epoch + 1, 0) : new Position(step, epoch, to));
          out.println((epochDone ? "epoch " + (epoch + 1) + "/" + s.epochs() + " done; " : "") + "saved " + saved);
        }
      }
    }
    return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), true);
  }

  private static double secondsPerStep(long startedNanos, long steps) {
    return (System.nanoTime() - startedNanos) / 1e9 / Math.max(1, steps);
  }

  /** Writes the checkpoint of {@code next.step()}: the variables, where training continues, and the head. */
  private Path save(Checkpoints checkpoints, String vocabFingerprint, Position next) throws IOException {
    Checkpoints.State state = Checkpoints.State.fineTuning(next.step(), s.seed(), s.maxSeqLength(), next.epoch(),
        next.example(), vocabFingerprint);
    return checkpoints.save(state, prefix -> {
      model.graph().save(prefix);
      try {
        model.writeHead(prefix.getParent());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /**
   * Resumes from the latest checkpoint, or loads the starting weights; returns where training continues. A
   * checkpoint is refused when this run's examples and batch size would not bring it to the same step.
   */
  private Position start(Checkpoints checkpoints, int examples) throws IOException {
    Optional<Path> latest = checkpoints.latest();
    if (latest.isEmpty()) {
      model.loadStartingWeights();
      return new Position(0, 0, 0);
    }
    Path checkpoint = latest.get();
    Checkpoints.State state = Checkpoints.readState(checkpoint);
    if (state.seed() != s.seed() || state.maxSeqLength() != s.maxSeqLength()) {
      throw new UsageException("checkpoint " + checkpoint + " is from a run with seed " + state.seed()
          + " and max_seq_length " + state.maxSeqLength() + "; this run has " + s.seed() + " and " + s.maxSeqLength()
          + " (use another --output_dir)");
    }
    Position at = new Position(state.step(), (int) state.dataEpoch(), (int) state.dataRecord());
    int perEpoch = (examples + s.batchSize() - 1) / s.batchSize();
    if (at.example() > examples || at.example() % s.batchSize() != 0
        || at.step() != (long) at.epoch() * perEpoch + at.example() / s.batchSize()) {
      throw new UsageException("checkpoint " + checkpoint + " was written at step " + at.step() + ", " + singular()
          + " " + at.example() + " of epoch " + (at.epoch() + 1) + ", which " + examples + " " + s.unit()
          + " in batches of " + s.batchSize() + " do not reach: resume with " + s.resumeAdvice()
          + " it was written with, or use another --output_dir");
    }
    model.requireHead(checkpoint);
    model.graph().restore(checkpoint.resolve(Checkpoints.MODEL));
    if (model.graph().globalStep() != state.step()) {
      throw new IllegalStateException(checkpoint + ": global_step " + model.graph().globalStep()
          + " but state.json says " + state.step());
    }
    out.println("resumed from " + checkpoint + " at step " + at.step() + " (epoch " + (at.epoch() + 1) + ", "
        + singular() + " " + at.example() + " of " + examples + ")");
    return at;
  }

  /** "window" of "windows". */
  private String singular() {
    return s.unit().endsWith("s") ? s.unit().substring(0, s.unit().length() - 1) : s.unit();
  }
}
