package electra.trainer.distributed;

import electra.cli.Flag;
import electra.cli.UsageException;
import java.util.Locale;
import java.util.Map;

/**
 * The data-parallel part of a {@code Pretrain}, {@code FinetuneSquad} or {@code FinetuneGlue} command line: the
 * cluster ({@link ClusterSpec}), the all-reduce implementation, whether gradients travel in fp16, and the timeouts
 * after which a step waiting for a dead or stuck peer fails.
 */
public record DataParallelSettings(ClusterSpec cluster, String collective, boolean fp16Compression,
    long stepTimeoutMs, long startupTimeoutMs) {

  public DataParallelSettings {
    collective = collective.toLowerCase(Locale.ROOT);
    if (!collective.equals("auto") && !collective.equals("ring") && !collective.equals("nccl")) {
      throw new UsageException("--collective must be auto, ring or nccl, got '" + collective + "'");
    }
    if (stepTimeoutMs <= 0 || startupTimeoutMs <= 0) {
      throw new UsageException("--step_timeout_s and --startup_timeout_s must be positive");
    }
  }

  /**
   * The examples of one optimizer step over all workers: each of the {@code workers} trains on {@code perWorker}
   * (its batch flag), {@code size} in all.
   */
  public record GlobalBatch(int workers, int perWorker, int size) {}

  /** The global batch of workers that each take {@code perWorker} examples per step. */
  public GlobalBatch globalBatch(int perWorker) {
    return new GlobalBatch(cluster.size(), perWorker, cluster.size() * perWorker);
  }

  /** One process. */
  public static DataParallelSettings none() {
    return new DataParallelSettings(ClusterSpec.single(), "auto", false, 300_000, 1_800_000);
  }

  /** The data-parallel flags of the training jobs; {@link #resolve} adds what the environment says. */
  public record CommandLine(
      @Flag("host:port of every worker's TensorFlow server, task order (or ELECTRA_WORKERS, or Slurm's node list); "
          + "one worker per GPU")
      String workers,
      @Flag(value = "this worker's index in --workers (or ELECTRA_TASK_INDEX, JOB_COMPLETION_INDEX, SLURM_PROCID); "
          + "0 is the chief", defaultValue = "-1")
      long taskIndex,
      @Flag(value = "all-reduce implementation: auto, ring (gRPC) or nccl (GPUs)", defaultValue = "auto")
      String collective,
      @Flag(value = "all-reduce in fp16, as NVIDIA's Horovod compression: half the traffic; the gradients and logged "
          + "losses keep about 3 digits and are cast back to fp32", name = "fp16_compression", defaultValue = "false")
      boolean fp16Compression,
      @Flag(value = "a step waiting longer for the other workers fails the run", name = "step_timeout_s",
          defaultValue = "300")
      long stepTimeoutSeconds,
      @Flag(value = "the same for the first step (graph optimisation, workers joining)", name = "startup_timeout_s",
          defaultValue = "1800")
      long startupTimeoutSeconds) {

    /** The settings, with the cluster completed from the environment (Slurm, Kubernetes, ELECTRA_*). */
    public DataParallelSettings resolve(Map<String, String> env) {
      return new DataParallelSettings(ClusterSpec.resolve(workers, taskIndex, env), collective, fp16Compression,
          stepTimeoutSeconds * 1000, startupTimeoutSeconds * 1000);
    }
  }

  /**
   * The same settings with both step timeouts longer by {@code seconds}: with {@code --follow} a worker may wait that
   * long for new shards before its next batch, and its peers wait for it in the all-reduce meanwhile, so a silent
   * peer counts as dead only after the step timeout plus that wait.
   */
  public DataParallelSettings waitingForData(double seconds) {
    long extraMs = (long) Math.min(seconds * 1000, Long.MAX_VALUE / 4); // --follow_timeout may be huge
    return new DataParallelSettings(cluster, collective, fp16Compression, stepTimeoutMs + extraMs, startupTimeoutMs + extraMs);
  }

  /** Starts this worker's server; null when the run is a single process. */
  public WorkerRuntime start() {
    return cluster.distributed() ? new WorkerRuntime(cluster, collective, fp16Compression, stepTimeoutMs,
        startupTimeoutMs) : null;
  }
}
