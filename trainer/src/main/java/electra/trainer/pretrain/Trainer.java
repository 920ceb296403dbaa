package electra.trainer.pretrain;

import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.trainer.distributed.ClusterSpec;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.distributed.DataSharding;
import electra.trainer.distributed.WorkerRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The pre-training loop: reads the shards through their manifest, masks batches on a background thread, runs
 * micro-steps through {@link PretrainingGraph}, applies an optimizer step every {@code gradient_accumulation_steps}
 * micro-batches with the learning rate of {@link LearningRateSchedule}, logs, and checkpoints every
 * {@code save_checkpoints_steps} steps with the data position, so that a restarted run continues exactly.
 */
public final class Trainer {

  /** Losses of the optimizer steps this run did (mean total loss over the step's micro-batches). */
  public record Summary(long firstStep, List<Double> losses, double secondsPerStep, Path lastCheckpoint) {}

  private final PretrainConfig c;
  private final PrintStream out;
  private final DataParallelSettings dp;

  public Trainer(PretrainConfig config, PrintStream out) {
    this(config, out, DataParallelSettings.none());
  }

  /**
   * @param dataParallel the workers of a synchronous data-parallel run: each reads the shards i with
   *     i mod N = task, gradients are averaged by all-reduce, only task 0 writes checkpoints and logs
   */
  public Trainer(PretrainConfig config, PrintStream out, DataParallelSettings dataParallel) {
    this.c = config;
    this.out = out;
    this.dp = dataParallel;
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
    ShardManifest mine = DataSharding.forWorker(manifest, cluster);
    Masking.SpecialIds special = new Masking.SpecialIds(vocab.clsId(), vocab.sepId(), vocab.maskId(), vocab.padId());
    boolean gpu = c.amp() && SessionConfigs.gpuAvailable();
    Path runDir = c.runDir();
    if (chief) {
      Files.createDirectories(runDir);
      c.discriminator().writeJson(runDir.resolve("discriminator_config.json"), "ElectraForPreTraining");
      c.generator().writeJson(runDir.resolve("generator_config.json"), "ElectraForMaskedLM");
    }
    Checkpoints checkpoints = new Checkpoints(runDir, c.checkpointPrefix(), c.keepCheckpointMax());
    LearningRateSchedule schedule = LearningRateSchedule.of(c);

    out.printf(Locale.ROOT, "Pretrain %s: discriminator %s, generator %s, %d tokens, batch %d x %d, %s, %d steps%s%s%n",
        c.modelName(), c.discriminator(), c.generator(), length, c.trainBatchSize(), c.gradientAccumulationSteps(),
        c.optimizer().name().toLowerCase(Locale.ROOT), c.numTrainSteps(),
        c.amp() ? (gpu ? ", amp fp16" : ", amp bf16") : "", c.xla() ? ", xla" : "");
    if (cluster.distributed()) {
      out.printf(Locale.ROOT, "worker %d of %d (%s), %d of %d shards, global batch %d%n", cluster.taskIndex(),
          cluster.size(), cluster.self(), mine.shards().size(), manifest.shards().size(),
          c.sequencesPerStep() * cluster.size());
    }
    try (WorkerRuntime runtime = dp.start();
        PretrainingGraph graph = new PretrainingGraph(c, c.amp() && gpu,
            SessionConfigs.training(c.amp(), c.xla(), gpu), runtime)) {
      Checkpoints.State start = start(graph, checkpoints, runDir, length);
      ShardStream.Position startPosition = DataSharding.startPosition(start, cluster, runDir, c.restoreCheckpoint(),
          checkpoints);
      long step = start.step();
      long micro = start.microStep();
      Path lastCheckpoint = null;
      List<Double> losses = new ArrayList<>();
      if (step >= c.numTrainSteps()) {
        out.println("already trained " + step + " of " + c.numTrainSteps() + " steps; nothing to do");
        return new Summary(step, losses, 0, null);
      }
      try (ShardStream stream = new ShardStream(c.pretrainTfrecords(), mine, c.seed(), startPosition);
          TrainingLog log = chief ? new TrainingLog(runDir.resolve("log.jsonl"), out) : null) {
        Prefetcher prefetch = new Prefetcher(stream, c.trainBatchSize(), length, maxPredictions, c.maskProb(),
            special, DataSharding.maskingSeed(c.seed(), cluster), micro, c.prefetchBatches());
        try {
          long started = System.nanoTime();
          final long firstStep = step;
          Prefetcher.Prepared last = null;
          if (log != null) {
            log.restartClock();
          }
          while (step < c.numTrainSteps() && step < stopAfter) {
            double lr = schedule.at(step);
            double loss = 0;
            for (int i = 0; i < c.gradientAccumulationSteps(); i++) {
              last = prefetch.take();
              PretrainingGraph.StepResult r;
              if (runtime == null) {
                r = graph.step(last.batch(), lr, i == c.gradientAccumulationSteps() - 1, last.microStep());
              } else {
                long t0 = System.nanoTime();
                try {
                  // micro-batch k of worker t has the seed of micro-batch k*N+t of one process with N× accumulation
                  r = graph.step(last.batch(), lr, i == c.gradientAccumulationSteps() - 1,
                      last.microStep() * cluster.size() + cluster.taskIndex(),
                      DataSharding.position(last.after(), firstStep));
                } catch (RuntimeException e) {
                  throw runtime.stepFailed(step + 1, e, (System.nanoTime() - t0) / 1_000_000);
                }
                if (step == firstStep && i == 0) {
                  DataSharding.requireSameStart(graph.lastGatheredPositions(), cluster);
                }
              }
              if (log != null) {
                log.add(r, last.batch().inputMask(), c.trainBatchSize());
              }
              loss += r.total();
              micro = last.microStep() + 1;
            }
            step++;
            loss /= c.gradientAccumulationSteps();
            losses.add(loss);
            if (!Double.isFinite(loss) && graph.optimizer().lossScale() == null) {
              throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --learning_rate");
            }
            if (log != null) {
              log.stepDone();
              if (step % c.logFreq() == 0 || step == c.numTrainSteps()) {
                log.write(step, c.numTrainSteps(), lr, lossScale(graph));
              }
            }
            if (chief && (step % c.saveCheckpointsSteps() == 0 || step == c.numTrainSteps())) {
              ShardStream.Position p = last.after();
              Checkpoints.State state = new Checkpoints.State(step, micro, c.phase2(), c.seed(), length, p.epoch(),
                  p.shardIndex(), last.shard(), p.record(), p.byteOffset(), vocab.fingerprint());
              long[] workers = graph.lastGatheredPositions();
              lastCheckpoint = checkpoints.save(state, prefix -> {
                graph.save(prefix);
                if (workers != null) {
                  DataSharding.writeWorkerPositions(prefix.resolveSibling(DataSharding.WORKERS_FILE), workers);
                }
              });
              out.println("saved " + lastCheckpoint);
            }
          }
          double secondsPerStep = (System.nanoTime() - started) / 1e9 / Math.max(1, step - firstStep);
          return new Summary(firstStep, losses, secondsPerStep, lastCheckpoint);
        } finally {
          prefetch.close();
        }
      }
    }
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
    return new Checkpoints.State(0, 0, c.phase2(), c.seed(), length, 0, 0, null, 0, 0, null);
  }

  private static double lossScale(PretrainingGraph graph) {
    if (graph.optimizer().lossScale() == null) {
      return Double.NaN;
    }
    return graph.lossScale();
  }
}
