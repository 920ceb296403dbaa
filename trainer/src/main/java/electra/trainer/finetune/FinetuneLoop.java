package electra.trainer.finetune;

import electra.cli.UsageException;
import electra.trainer.distributed.ClusterSpec;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.distributed.WorkerRuntime;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.LearningRateSchedule;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * <p>Data-parallel (a {@link WorkerRuntime}): a step's global batch is {@code batchSize} examples per worker, taken
 * from the same shuffled order as one process takes it; worker t of N trains on rows [t·r/N, (t+1)·r/N) of a global
 * batch of r rows (a worker left without a row, when r &lt; N, repeats the first with loss share 0) and the graph
 * averages the gradients over the workers. N workers with batch B thus make the updates of one process with batch
 * N·B, and a checkpoint resumes with any workers × batch of the same global batch. Every worker reads the chief's
 * checkpoints (the output folder must be on storage all of them see); only the chief (worker 0) writes checkpoints
 * and the log. Before the first step the workers check that they start from the same step with the same data.
 *
 * @param <T> one training example as the model's step reads it
 */
final class FinetuneLoop<T> {

  /**
   * What the loop needs of a job's settings: the flags every fine-tuning job shares, and the job's own window length,
   * epochs, batch (in {@code unit}s) and peak learning rate.
   */
  record Settings(FinetuneFlags.Training training, FinetuneFlags.Checkpointing checkpointing, int maxSeqLength,
      int epochs, int batchSize, double learningRate, Path checkpointDir, String unit, String resumeAdvice) {}

  /** The job's model as the loop drives it. */
  interface Model<T> {
    FinetuneGraph graph();

    /** One optimizer step on this worker's share of the global batch; returns the loss before the update. */
    float trainStep(List<T> batch, FinetuneGraph.Step step);

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

  /** Where a worker's rows of a global batch lie in the epoch's order, and its share of the batch's mean loss. */
  record Share(int from, int to, float lossShare) {

    /**
     * Worker {@code task}'s rows of the global batch [{@code from}, {@code to}) split over {@code workers}: rows
     * [t·r/N, (t+1)·r/N), share N·rows/r; without a row of its own, the batch's first with share 0.
     */
    static Share of(int from, int to, int workers, int task) {
      int rows = to - from;
      int first = from + (int) ((long) task * rows / workers);
      int end = from + (int) ((long) (task + 1) * rows / workers);
      if (end == first) {
        return new Share(from, from + 1, 0f);
      }
      return new Share(first, end, (float) ((double) workers * (end - first) / rows));
    }
  }

  private final Settings s;
  private final Model<T> model;
  private final FinetuneLog log;
  private final PrintStream out;
  private final WorkerRuntime runtime;
  private final ClusterSpec cluster;

  /**
   * @param log the chief's log; null on the other workers
   * @param runtime this worker of a data-parallel run, or null for one process
   */
  FinetuneLoop(Settings settings, Model<T> model, FinetuneLog log, PrintStream out, WorkerRuntime runtime) {
    this.s = settings;
    this.model = model;
    this.log = log;
    this.out = out;
    this.runtime = runtime;
    this.cluster = runtime == null ? ClusterSpec.single() : runtime.cluster();
  }

  /** Data-parallel: which worker this is and the global batch ({@code unit} per step over all workers). */
  static void printWorker(DataParallelSettings dp, int perWorker, String unit, PrintStream out) {
    if (dp.cluster().distributed()) {
      DataParallelSettings.GlobalBatch batch = dp.globalBatch(perWorker);
      out.printf(Locale.ROOT, "worker %d of %d (%s), global batch %d %s (%d workers x --train_batch_size %d)%s%n",
          dp.cluster().taskIndex(), batch.workers(), dp.cluster().self(), batch.size(), unit, batch.workers(),
          perWorker, dp.cluster().isChief() ? "" : "; the chief (worker 0) writes the output folder");
    }
  }

  /** Examples per optimizer step over all workers. */
  private int globalBatch() {
    return s.batchSize() * cluster.size();
  }

  /** Trains on {@code examples}, stopping after global step {@code stopAfterStep} as a killed job would. */
  Trained train(List<T> examples, String vocabFingerprint, long stopAfterStep) throws IOException {
    Checkpoints checkpoints = new Checkpoints(s.checkpointDir(), "ckpt-", s.checkpointing().keepCheckpointMax());
    int global = globalBatch();
    int perEpoch = (examples.size() + global - 1) / global;
    long total = (long) perEpoch * s.epochs();
    LearningRateSchedule schedule = new LearningRateSchedule(s.learningRate(), 0,
        (long) (total * s.training().warmupProportion()), total, 1.0);
    Position at = start(checkpoints, examples.size());
    out.printf(Locale.ROOT, "training on %d %s: %d epochs x %d steps of %d%s, lr %.3g, layer-wise decay %.2f%n",
        examples.size(), s.unit(), s.epochs(), perEpoch, global,
        cluster.distributed() ? " (" + cluster.size() + " workers x " + s.batchSize() + ")" : "", s.learningRate(),
        s.training().layerwiseLrDecay());
    if (cluster.distributed()) {
      startTogether(at, examples.size());
    }
    if (log != null) {
      log.trainingStarts(at.step());
    }
    List<Float> losses = new ArrayList<>();
    long step = at.step();
    long started = System.nanoTime();
    for (int epoch = at.epoch(); epoch < s.epochs(); epoch++) {
      List<T> order = new ArrayList<>(examples);
      Collections.shuffle(order, new Random(s.training().seed() * 1_000_003L + epoch));
      for (int from = epoch == at.epoch() ? at.example() : 0; from < order.size(); from += global) {
        if (step >= stopAfterStep) {
          return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), false);
        }
        int to = Math.min(order.size(), from + global);
        double learningRate = schedule.at(step);
        Share share = Share.of(from, to, cluster.size(), cluster.taskIndex());
        // worker t's dropout in step s is keyed s·N + t: one process keeps s, and no two workers share a key
        FinetuneGraph.Step key = new FinetuneGraph.Step(learningRate,
            step * cluster.size() + cluster.taskIndex(), share.lossShare());
        float loss = trainStep(order.subList(share.from(), share.to()), key, step);
        if (!Float.isFinite(loss)) {
          throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --learning_rate");
        }
        losses.add(loss);
        step++;
        boolean epochDone = to == order.size();
        if (log == null) { // a worker other than the chief writes nothing
          continue;
        }
        log.stepDone(loss, to - from);
        if (step % s.checkpointing().logFreq() == 0 || step == total) {
          log.write(step, total, epoch + 1, s.epochs(), learningRate);
        }
        int every = s.checkpointing().saveCheckpointsSteps();
        if (epochDone || (every > 0 && step % every == 0)) {
          Path saved = save(checkpoints, vocabFingerprint,
              epochDone ? new Position(step, epoch + 1, 0) : new Position(step, epoch, to));
          out.println((epochDone ? "epoch " + (epoch + 1) + "/" + s.epochs() + " done; " : "") + "saved " + saved);
        }
      }
    }
    return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), true);
  }

  /** One step; a data-parallel step that fails (a peer died or is stuck) says so. */
  private float trainStep(List<T> rows, FinetuneGraph.Step key, long step) {
    if (runtime == null) {
      return model.trainStep(rows, key);
    }
    long t0 = System.nanoTime();
    try {
      return model.trainStep(rows, key);
    } catch (RuntimeException e) {
      throw runtime.stepFailed(step + 1, e, (System.nanoTime() - t0) / 1_000_000);
    }
  }

  /**
   * Checks that every worker starts from the same step with the same number of examples and batch size: a worker
   * that does not see the chief's checkpoints, or reads other data, would otherwise train a different model.
   */
  private void startTogether(Position at, int examples) {
    long[] mine = {at.step(), examples, s.batchSize()};
    long t0 = System.nanoTime();
    long[] all;
    try {
      all = model.graph().gatherStart(mine);
    } catch (RuntimeException e) {
      throw runtime.stepFailed(at.step(), e, (System.nanoTime() - t0) / 1_000_000);
    }
    int n = FinetuneGraph.START_VALUES;
    for (int t = 0; t < cluster.size(); t++) {
      long[] theirs = Arrays.copyOfRange(all, t * n, (t + 1) * n);
      if (!Arrays.equals(theirs, mine)) {
        throw new UsageException(String.format(Locale.ROOT, "worker %d of %d starts at step %d with %d %s in "
                + "batches of %d, worker %d at step %d with %d in batches of %d: all workers need the same training "
                + "data, --max_examples and --train_batch_size, and the output folder on storage every worker sees "
                + "(they resume from the chief's checkpoints)", cluster.taskIndex(), cluster.size(), mine[0], mine[1],
            s.unit(), mine[2], t, theirs[0], theirs[1], theirs[2]));
      }
    }
  }

  private static double secondsPerStep(long startedNanos, long steps) {
    return (System.nanoTime() - startedNanos) / 1e9 / Math.max(1, steps);
  }

  /** Writes the checkpoint of {@code next.step()}: the variables, where training continues, and the head. */
  private Path save(Checkpoints checkpoints, String vocabFingerprint, Position next) throws IOException {
    Checkpoints.State state = Checkpoints.State.fineTuning(next.step(), s.training().seed(), s.maxSeqLength(),
        next.epoch(), next.example(), vocabFingerprint);
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
    long seed = s.training().seed();
    if (state.seed() != seed || state.maxSeqLength() != s.maxSeqLength()) {
      throw new UsageException("checkpoint " + checkpoint + " is from a run with seed " + state.seed()
          + " and max_seq_length " + state.maxSeqLength() + "; this run has " + seed + " and " + s.maxSeqLength()
          + " (use another --output_dir)");
    }
    Position at = new Position(state.step(), (int) state.dataEpoch(), (int) state.dataRecord());
    int global = globalBatch();
    int perEpoch = (examples + global - 1) / global;
    if (at.example() > examples || at.example() % global != 0
        || at.step() != (long) at.epoch() * perEpoch + at.example() / global) {
      throw new UsageException("checkpoint " + checkpoint + " was written at step " + at.step() + ", " + singular()
          + " " + at.example() + " of epoch " + (at.epoch() + 1) + ", which " + examples + " " + s.unit()
          + " in " + (cluster.distributed() ? "global " : "") + "batches of " + global + " do not reach: resume with "
          + s.resumeAdvice() + " it was written with, or use another --output_dir");
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
