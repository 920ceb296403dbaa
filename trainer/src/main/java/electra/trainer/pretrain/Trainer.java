package electra.trainer.pretrain;

import electra.beam.ShardFiles;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.trainer.distributed.ClusterSpec;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.distributed.WorkerRuntime;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.DataPosition;
import electra.trainer.runtime.LearningRateSchedule;
import electra.trainer.runtime.RunSettings;
import electra.trainer.runtime.SessionConfigs;
import electra.trainer.runtime.TensorBoardEvents;
import electra.trainer.runtime.XlaClusters;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The pre-training loop: reads the shards through their manifest, masks batches on a background thread, runs
 * micro-steps through {@link PretrainingGraph}, applies an optimizer step every {@code gradient_accumulation_steps}
 * micro-batches with the learning rate of {@link LearningRateSchedule}, logs (console, {@code log.jsonl},
 * TensorBoard event file), and checkpoints every {@code save_checkpoints_steps} steps with the data position, so
 * that a restarted run continues exactly. With {@code --follow} the stream keeps taking up shards that are added to
 * the manifest. {@link #requestStop()} (Ctrl-C, SIGTERM: see {@link Pretrain}) ends the run after the optimizer step
 * in progress with a checkpoint. At the end the loss curves are drawn to {@code loss_curves.png}.
 *
 * <p>Data-parallel ({@link DataParallelSettings}): only the chief (task 0) writes the log, the event file, the
 * loss curves and the checkpoints (with every worker's data position); a stop asked of any worker stops all of
 * them after the same step. With {@code --follow} each worker follows the manifest for its own share of the shards
 * ({@link DataSharding}); a worker waiting for new shards holds up every worker's step, so the step timeouts grow by
 * {@code --follow_timeout}, and a stop ends the wait so that the worker takes one more batch to carry the stop flag
 * to the others.
 */
public final class Trainer {

  /**
   * Losses of the optimizer steps this run did (mean total loss over the step's micro-batches); {@code xla}: what
   * XLA compiled of the training step with {@code --xla} (null without it or when no step ran).
   */
  public record Summary(long firstStep, List<Double> losses, double secondsPerStep, Path lastCheckpoint,
      XlaClusters xla) {}

  /** The run's settings; {@link #run} sizes the model for the vocabulary ({@link PretrainConfig#forVocabulary}). */
  private PretrainConfig c;
  private final PrintStream out;
  private final DataParallelSettings dp;
  private volatile boolean stopRequested;
  private Consumer<Prefetcher.Prepared> batchListener = p -> { };

  public Trainer(PretrainConfig config, PrintStream out) {
    this(config, out, DataParallelSettings.none());
  }

  /**
   * @param dataParallel the workers of a synchronous data-parallel run: each reads the shards i with
   *     i mod N = task (also those listed later, with {@code --follow}), gradients are averaged by all-reduce, only
   *     task 0 writes checkpoints and logs
   */
  public Trainer(PretrainConfig config, PrintStream out, DataParallelSettings dataParallel) {
    this.c = config;
    this.out = out;
    this.dp = dataParallel;
  }

  /**
   * Asks {@link #run} to stop after the optimizer step in progress: it then writes a checkpoint (unless the step was
   * just saved), the pending log line and the loss curves, and returns. Safe to call from any thread.
   */
  public void requestStop() {
    stopRequested = true;
  }

  /** Test hook: hears every micro-batch the loop takes, on the training thread. */
  void onBatch(Consumer<Prefetcher.Prepared> listener) {
    this.batchListener = listener;
  }

  /** The loss-curve picture of this run's phase. */
  public Path lossCurvesFile() {
    return c.runDir().resolve(c.phase2() ? "loss_curves_phase2.png" : "loss_curves.png");
  }

  private String lossCurvesTitle() {
    return "ELECTRA pre-training: " + c.modelName() + (c.phase2() ? ", phase 2" : ", phase 1");
  }

  /** Where this phase's TensorBoard event files go: the run folder, phase 2 in its sub-folder {@code phase2}. */
  public Path eventsDir() {
    return c.phase2() ? c.runDir().resolve("phase2") : c.runDir();
  }

  public Summary run() throws Exception {
    return run(Long.MAX_VALUE);
  }

  /**
   * Trains until {@code num_train_steps}, or stops right after step {@code stopAfter} without a final checkpoint,
   * as a killed job would (used to test resuming).
   */
  public Summary run(long stopAfter) throws Exception {
    Vocabulary vocab = Vocabulary.resolve(c.vocabFile());
    c = c.forVocabulary(vocab.size());
    ShardFiles.use(c.objectStores());
    ShardManifest manifest = ShardStream.readManifest(c.pretrainTfrecords());
    manifest.requireVocab(vocab.fingerprint(), "--pretrain_tfrecords " + c.pretrainTfrecords());
    if (vocab.size() > c.discriminator().vocabSize()) {
      throw new UsageException("the vocabulary has " + vocab.size() + " tokens but the model's vocab_size is "
          + c.discriminator().vocabSize());
    }
    int length = c.maxSeqLength() == 0 ? manifest.maxSeqLength() : c.maxSeqLength();
    if (length != manifest.maxSeqLength()) {
      throw new UsageException("--max_seq_length " + length + " but the shards in " + c.pretrainTfrecords()
          + " hold sequences of " + manifest.maxSeqLength() + " tokens");
    }
    if (length > c.discriminator().maxPositionEmbeddings()) {
      throw new UsageException("sequences of " + length + " tokens exceed max_position_embeddings "
          + c.discriminator().maxPositionEmbeddings());
    }
    int maxPredictions = c.maxPredictionsPerSeq(length);
    ClusterSpec cluster = dp.cluster();
    boolean chief = cluster.isChief();
    ShardStream.Share share = DataSharding.share(manifest, cluster, c.follow());
    // a worker waiting for new shards keeps the others waiting in the all-reduce: their timeouts must cover it
    DataParallelSettings parallel = c.follow() ? dp.waitingForData(c.followTimeoutSeconds()) : dp;
    Masking.SpecialIds special = new Masking.SpecialIds(vocab.clsId(), vocab.sepId(), vocab.maskId(), vocab.padId());
    boolean gpu = c.amp() && SessionConfigs.gpuAvailable();
    Path runDir = c.runDir();
    if (chief) { // the only worker that writes the run folder
      OutputFolder.claim(runDir, runFolderClaim(), c.overwrite());
      c.discriminator().writeJson(runDir.resolve("discriminator_config.json"), "ElectraForPreTraining");
      c.generator().writeJson(runDir.resolve("generator_config.json"), "ElectraForMaskedLM");
      RunSettings.write(runDir.resolve(c.phase2() ? "settings_phase2.json" : "settings.json"),
          Map.of("pretrain", c, "data_parallel", dp));
    }
    Checkpoints checkpoints = new Checkpoints(runDir, c.checkpointPrefix(), c.keepCheckpointMax());
    LearningRateSchedule schedule = c.learningRateSchedule();

    out.printf(Locale.ROOT, "Pretrain %s: discriminator %s, generator %s, %d tokens, batch %d x %d, %s, %d steps%s%s%n",
        c.modelName(), c.discriminator(), c.generator(), length, c.trainBatchSize(), c.gradientAccumulationSteps(),
        c.optimizer().name().toLowerCase(Locale.ROOT), c.numTrainSteps(),
        c.amp() ? (gpu ? ", amp fp16" : ", amp bf16") : "", c.xla() ? ", xla" : "");
    if (cluster.distributed()) {
      out.printf(Locale.ROOT, "worker %d of %d (%s), %d of %d shards, global batch %d%n", cluster.taskIndex(),
          cluster.size(), cluster.self(), share.dealt(manifest.shards(), 0, manifest.shards().size()).size(),
          manifest.shards().size(), c.sequencesPerStep() * cluster.size());
      if (c.follow()) {
        out.printf(Locale.ROOT, "follow: a worker waiting for new shards holds up every worker's step, so a step "
                + "waiting for its peers fails after %.0f s (--step_timeout_s %d + --follow_timeout %.0f)%n",
            parallel.stepTimeoutMs() / 1e3, dp.stepTimeoutMs() / 1000, c.followTimeoutSeconds());
      }
    }
    try (WorkerRuntime runtime = parallel.start();
        PretrainingGraph graph = new PretrainingGraph(c, c.amp() && gpu,
            SessionConfigs.training(c.amp(), c.xla(), gpu), runtime)) {
      Checkpoints.State start = start(graph, checkpoints, runDir, length);
      DataPosition startPosition = DataSharding.startPosition(start, cluster, runDir, c.restoreCheckpoint(),
          checkpoints);
      long step = start.step();
      long micro = start.microStep();
      Path lastCheckpoint = null;
      List<Double> losses = new ArrayList<>();
      if (step >= c.numTrainSteps()) {
        out.println("already trained " + step + " of " + c.numTrainSteps() + " steps; nothing to do");
        return new Summary(step, losses, 0, null, null);
      }
      // a stop ends the wait for new shards: a worker then takes one more batch and carries the stop to its peers
      ShardStream.Follow follow = c.follow()
          ? new ShardStream.Follow(c.followTimeoutSeconds(),
              Math.min(1.0, Math.max(0.05, c.followTimeoutSeconds() / 10)), out::println, () -> stopRequested)
          : null;
      // only the chief writes the log, the event file, the loss curves and the checkpoints
      try (TensorBoardEvents events = chief ? TensorBoardEvents.create(eventsDir()) : null;
          ShardStream stream = new ShardStream(c.pretrainTfrecords(), manifest, c.seed(), startPosition, share,
              follow);
          TrainingLog log = chief
              ? new TrainingLog(runDir.resolve("log.jsonl"), out, c.phase2() ? 2 : 1, events) : null) {
        Prefetcher prefetch = new Prefetcher(stream, c.trainBatchSize(), length, maxPredictions, c.maskProb(),
            special, DataSharding.maskingSeed(c.seed(), cluster), micro, c.prefetchBatches());
        if (chief) {
          if (step > 0) {
            events.sessionStart(step, System.currentTimeMillis() / 1e3);
          }
          out.println("TensorBoard: tensorboard --logdir " + c.outputDir() + "   (events in " + events.file() + ")");
          log.restartClock();
        }
        try {
          long started = System.nanoTime();
          long firstStep = step;
          long savedStep = step;
          double lr = Double.NaN;
          boolean stopped = false;
          Prefetcher.Prepared last = null;
          training:
          while (step < c.numTrainSteps() && step < stopAfter) {
            if (stopDecided(graph, runtime)) {
              stopped = true;
              break;
            }
            lr = schedule.at(step);
            double lossSum = 0; // weighted by the micro-batches each result stands for (see StepResult)
            int lossBatches = 0;
            for (int i = 0; i < c.gradientAccumulationSteps(); i++) {
              // between steps a stop may interrupt the wait (--follow) for data; a worker must take its batch instead,
              // since its peers wait for it in the all-reduce (the stop has ended its wait for new shards)
              if (i == 0 && runtime == null) {
                Prefetcher.Prepared next = prefetch.take(() -> stopRequested);
                if (next == null) {
                  stopped = true;
                  break training;
                }
                last = next;
              } else {
                last = prefetch.take();
              }
              batchListener.accept(last);
              boolean apply = i == c.gradientAccumulationSteps() - 1;
              // micro-batch k of worker t has the seed of micro-batch k*N+t of one process with N× accumulation
              long seedStep = last.microStep() * cluster.size() + cluster.taskIndex();
              PretrainingGraph.StepResult r;
              if (runtime == null) {
                r = graph.step(last.batch(), lr, apply, seedStep);
              } else {
                long t0 = System.nanoTime();
                try {
                  r = graph.step(last.batch(), lr, apply, seedStep,
                      DataSharding.position(last.after(), firstStep, stopRequested));
                } catch (RuntimeException e) {
                  throw runtime.stepFailed(step + 1, e, (System.nanoTime() - t0) / 1_000_000);
                }
                if (step == firstStep && apply) { // positions are gathered when the step applies
                  DataSharding.requireSameStart(graph.lastGatheredPositions(), cluster);
                }
              }
              if (log != null) {
                log.add(r, last.batch().inputMask());
              }
              lossSum += (double) r.total() * r.microBatches();
              lossBatches += r.microBatches();
              micro = last.microStep() + 1;
              if (step == firstStep && i == 0 && c.xla()) {
                out.println(graph.xlaClusters().requireCompiled());
              }
            }
            step++;
            double loss = lossSum / lossBatches;
            losses.add(loss);
            if (!Double.isFinite(loss) && graph.optimizer().lossScale() == null) {
              throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --learning_rate");
            }
            if (log != null) {
              log.stepDone(c.sequencesPerStep());
              if (step % c.logFreq() == 0 || step == c.numTrainSteps()) {
                log.write(step, c.numTrainSteps(), lr, lossScale(graph));
              }
            }
            if (step % c.saveCheckpointsSteps() == 0 || step == c.numTrainSteps()) {
              lastCheckpoint = save(checkpoints, graph, step, micro, last, length, vocab, chief);
              savedStep = step;
            }
          }
          if (stopped) {
            if (log != null && log.pending()) {
              log.write(step, c.numTrainSteps(), lr, lossScale(graph));
            }
            if (step > savedStep) {
              lastCheckpoint = save(checkpoints, graph, step, micro, last, length, vocab, chief);
            }
            out.println("stopped at step " + step + " of " + c.numTrainSteps() + " as asked; "
                + "--restore_checkpoint=latest continues from " + (lastCheckpoint != null ? lastCheckpoint
                : "the last checkpoint"));
          }
          double secondsPerStep = (System.nanoTime() - started) / 1e9 / Math.max(1, step - firstStep);
          if (chief) {
            TrainingLog.CURVES.drawAndReport(runDir.resolve("log.jsonl"), c.phase2() ? 2 : 1, lossCurvesFile(),
                lossCurvesTitle(), out);
          }
          return new Summary(firstStep, losses, secondsPerStep, lastCheckpoint, graph.xlaClusters());
        } finally {
          prefetch.close();
        }
      }
    }
  }

  /**
   * A run continues its run folder when it restores a checkpoint, or when it starts phase 2 from the run's own phase 1
   * (before any phase-2 checkpoint); the checkpoints' state.json then says whether it is the same run.
   */
  private OutputFolder.Claim runFolderClaim() throws IOException {
    boolean continues = c.restoreCheckpoint() != null
        || c.phase2() && new Checkpoints(c.runDir(), "ckpt-p2-", 1).list().isEmpty();
    return new OutputFolder.Claim("Pretrain", "", continues, "--restore_checkpoint=latest");
  }

  /**
   * Whether to stop before the next step. One process: as soon as {@link #requestStop()} was called. Data-parallel:
   * when any worker had been asked by the end of the last step (its flag travels with the gathered positions, so
   * every worker decides the same and all stop after the same step).
   */
  private boolean stopDecided(PretrainingGraph graph, WorkerRuntime runtime) {
    return runtime == null ? stopRequested : DataSharding.stopRequested(graph.lastGatheredPositions());
  }

  /**
   * The chief writes checkpoint {@code step} (with every worker's data position when data-parallel) and returns
   * it; the other workers write nothing and get null.
   */
  private Path save(Checkpoints checkpoints, PretrainingGraph graph, long step, long micro, Prefetcher.Prepared last,
      int length, Vocabulary vocab, boolean chief) throws IOException {
    if (!chief) {
      return null;
    }
    Checkpoints.State state = Checkpoints.State.at(step, micro, c.phase2(), c.seed(), length, last.after(),
        last.shard(), vocab.fingerprint());
    long[] workers = graph.lastGatheredPositions();
    Path saved = checkpoints.save(state, prefix -> {
      graph.save(prefix);
      if (workers != null) {
        DataSharding.writeWorkerPositions(prefix.resolveSibling(DataSharding.WORKERS_FILE), workers);
      }
    });
    out.println("saved " + saved);
    return saved;
  }

  /** Restores, initializes from another checkpoint, or starts fresh; returns where the run continues. */
  private Checkpoints.State start(PretrainingGraph graph, Checkpoints checkpoints, Path runDir, int length)
      throws IOException {
    Path restore = null;
    if ("latest".equals(c.restoreCheckpoint())) {
      restore = checkpoints.latest().orElse(null);
      if (restore == null) {
        out.println("no " + c.checkpointPrefix() + "* checkpoint in " + runDir + " yet; starting this phase");
      }
    } else if (c.restoreCheckpoint() != null) {
      restore = Path.of(c.restoreCheckpoint());
    }
    if (restore != null) {
      Checkpoints.State s = Checkpoints.readState(restore);
      if (s.phase2() != c.phase2() || s.maxSeqLength() != length || s.seed() != c.seed()) {
        throw new UsageException("checkpoint " + restore + " is from a run with phase2=" + s.phase2()
            + ", max_seq_length=" + s.maxSeqLength() + ", seed=" + s.seed() + "; this run has phase2=" + c.phase2()
            + ", max_seq_length=" + length + ", seed=" + c.seed());
      }
      graph.restore(restore.resolve(Checkpoints.MODEL));
      long inGraph = graph.globalStep();
      if (inGraph != s.step()) {
        throw new IllegalStateException(restore + ": global_step " + inGraph + " but state.json says " + s.step());
      }
      out.println("resumed from " + restore + " at step " + s.step());
      return s;
    }
    Path init = c.initCheckpoint();
    if (init == null && c.phase2()) {
      init = new Checkpoints(runDir, "ckpt-", 1).latest().orElseThrow(() -> new UsageException(
          "--phase2 needs --init_checkpoint or a phase-1 checkpoint (ckpt-*) in " + runDir));
    }
    if (init != null) {
      Checkpoints.readState(init); // checks that it is a checkpoint folder
      graph.initializeFrom(init.resolve(Checkpoints.MODEL));
      out.println("initialized from " + init + " (step counter starts at 0)");
    } else {
      graph.initialize();
    }
    return Checkpoints.State.fresh(c.phase2(), c.seed(), length);
  }

  private static double lossScale(PretrainingGraph graph) {
    if (graph.optimizer().lossScale() == null) {
      return Double.NaN;
    }
    return graph.lossScale();
  }
}
