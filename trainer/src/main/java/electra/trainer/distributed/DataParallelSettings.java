package electra.trainer.distributed;

import electra.cli.Flags;
import electra.cli.UsageException;
import java.util.Locale;
import java.util.Map;

/**
 * The data-parallel part of a {@code Pretrain} command line: the cluster ({@link ClusterSpec}), the all-reduce
 * implementation and the timeouts after which a step waiting for a dead or stuck peer fails.
 */
public record DataParallelSettings(ClusterSpec cluster, String collective, long stepTimeoutMs,
    long startupTimeoutMs) {

  public DataParallelSettings {
    collective = collective.toLowerCase(Locale.ROOT);
    if (!collective.equals("auto") && !collective.equals("ring") && !collective.equals("nccl")) {
      throw new UsageException("--collective must be auto, ring or nccl, got '" + collective + "'");
    }
    if (stepTimeoutMs <= 0 || startupTimeoutMs <= 0) {
      throw new UsageException("--step_timeout_s and --startup_timeout_s must be positive");
    }
  }

  /** One process. */
  public static DataParallelSettings none() {
    return new DataParallelSettings(ClusterSpec.single(), "auto", 300_000, 1_800_000);
  }

  /** Reads {@code --workers}, {@code --task_index}, {@code --collective} and the timeouts, with the environment. */
  public static DataParallelSettings fromFlags(Flags.Values f, Map<String, String> env) {
    return new DataParallelSettings(ClusterSpec.resolve(f.text("workers"), f.integer("task_index"), env),
        f.text("collective"), f.integer("step_timeout_s") * 1000, f.integer("startup_timeout_s") * 1000);
  }

  /**
   * The same settings with both step timeouts longer by {@code seconds}: with {@code --follow} a worker may wait that
   * long for new shards before its next batch, and its peers wait for it in the all-reduce meanwhile, so a silent
   * peer counts as dead only after the step timeout plus that wait.
   */
  public DataParallelSettings waitingForData(double seconds) {
    long extraMs = (long) Math.min(seconds * 1000, Long.MAX_VALUE / 4); // --follow_timeout may be huge
    return new DataParallelSettings(cluster, collective, stepTimeoutMs + extraMs, startupTimeoutMs + extraMs);
  }

  /** Starts this worker's server; null when the run is a single process. */
  public WorkerRuntime start() {
    return cluster.distributed() ? new WorkerRuntime(cluster, collective, stepTimeoutMs, startupTimeoutMs) : null;
  }
}
