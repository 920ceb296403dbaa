package electra.trainer.pretrain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.trainer.distributed.ClusterSpec;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.DataPosition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which data each worker reads, and where each one continues after a restart. Worker t of N reads the shards whose
 * index i in the manifest (sorted by file name) has i mod N = t ({@link ShardStream.Share}), whether they were
 * listed at the start or appended later by continuous ingestion ({@code --follow}: each worker follows the manifest
 * on its own; the all-reduce keeps the steps in lockstep), in its own per-epoch shuffled order; its masking is seeded
 * apart from the other workers'. The chief's checkpoint holds every worker's stream position ({@value #WORKERS_FILE},
 * gathered from the workers with a collective each step) as numbers only: the epoch's shard order is rebuilt from
 * the count of manifest entries listed when the epoch started ({@link ShardStream#epochOrder}), so all of them
 * resume exactly.
 */
public final class DataSharding {

  /** File in a checkpoint folder with each worker's data position. */
  public static final String WORKERS_FILE = "workers.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DataSharding() {}

  /**
   * This worker's share of the shards ({@link ShardStream.Share#ALL} for a single process). Every worker needs a
   * shard with records among those listed now, except with {@code follow}: then a worker without one waits for one
   * to be listed (up to {@code --follow_timeout}; {@link ShardStream} says so when it starts waiting).
   */
  public static ShardStream.Share share(ShardManifest m, ClusterSpec cluster, boolean follow) {
    ShardStream.Share share = new ShardStream.Share(cluster.taskIndex(), cluster.size());
    if (!follow && share.dealt(m.shards(), 0, m.shards().size()).isEmpty()) {
      throw new UsageException(cluster.size() + " workers but worker " + cluster.taskIndex() + " gets no shard with "
          + "records (the manifest lists " + m.shards().size() + "): write at least one shard per worker, or use "
          + "--follow to wait for continuous ingestion to list one");
    }
    return share;
  }

  /** Masking seed of a worker: the run's seed for task 0 (so one worker equals a plain run), distinct for others. */
  public static long maskingSeed(long seed, ClusterSpec cluster) {
    return seed + cluster.taskIndex() * 0x9E3779B97F4A7C15L;
  }

  // where each value sits in a worker's part of the gathered positions (PretrainingGraph.POSITION_VALUES in all)
  private static final int EPOCH = 0;
  private static final int SHARD_INDEX = 1;
  private static final int RECORD = 2;
  private static final int BYTE_OFFSET = 3;
  private static final int LISTED_AT_EPOCH_START = 4;
  private static final int FIRST_STEP = 5;
  private static final int STOP = 6;

  /**
   * The values this worker contributes to the gathered positions: its data position (without the order's names,
   * which {@link ShardStream#epochOrder} rebuilds from the listed count), the step it started from and whether it
   * has been asked to stop.
   */
  public static long[] position(DataPosition p, long firstStep, boolean stopRequested) {
    long[] v = new long[PretrainingGraph.POSITION_VALUES];
    v[EPOCH] = p.epoch();
    v[SHARD_INDEX] = p.shardIndex();
    v[RECORD] = p.record();
    v[BYTE_OFFSET] = p.byteOffset();
    v[LISTED_AT_EPOCH_START] = p.listedAtEpochStart();
    v[FIRST_STEP] = firstStep;
    v[STOP] = stopRequested ? 1 : 0;
    return v;
  }

  /** After the first step: all workers must have started from the same step (the same checkpoint). */
  public static void requireSameStart(long[] gathered, ClusterSpec cluster) {
    int k = PretrainingGraph.POSITION_VALUES;
    List<Long> starts = new ArrayList<>();
    for (int t = 0; t < cluster.size(); t++) {
      starts.add(gathered[t * k + FIRST_STEP]);
    }
    if (starts.stream().distinct().count() > 1) {
      throw new IllegalStateException("the workers started from different steps " + starts + " (task order): they "
          + "must all see the chief's run folder (a shared file system) to resume from the same checkpoint");
    }
  }

  /**
   * Whether any worker had been asked to stop when it contributed to the gathered values (false before the first
   * step). Every worker sees the same gathered values, so all of them decide alike and stop after the same step.
   */
  public static boolean stopRequested(long[] gathered) {
    if (gathered == null) {
      return false;
    }
    int k = PretrainingGraph.POSITION_VALUES;
    for (int t = 0; t < gathered.length / k; t++) {
      if (gathered[t * k + STOP] != 0) {
        return true;
      }
    }
    return false;
  }

  /** Writes every worker's position (from the gathered values) next to the checkpoint's variables. */
  public static void writeWorkerPositions(Path file, long[] gathered) {
    int k = PretrainingGraph.POSITION_VALUES;
    ObjectNode root = JSON.createObjectNode();
    root.put("workers", gathered.length / k);
    ArrayNode list = root.putArray("positions");
    for (int t = 0; t < gathered.length / k; t++) {
      ObjectNode p = list.addObject();
      p.put("epoch", gathered[t * k + EPOCH]).put("shard_index", gathered[t * k + SHARD_INDEX])
          .put("record", gathered[t * k + RECORD]).put("byte_offset", gathered[t * k + BYTE_OFFSET])
          .put("listed_at_epoch_start", gathered[t * k + LISTED_AT_EPOCH_START]);
    }
    try {
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where this worker's stream starts: the start of the data for a new run; after resuming, its entry in the
   * checkpoint's {@value #WORKERS_FILE} (the checkpoint must come from a run with the same number of workers). An
   * entry without {@code listed_at_epoch_start} (written before {@code --follow} worked with workers) resumes as it
   * did: its epoch dealt from every shard listed when the stream opens.
   */
  public static DataPosition startPosition(Checkpoints.State start, ClusterSpec cluster, Path runDir,
      String restore, Checkpoints checkpoints) throws IOException {
    if (!cluster.distributed() || start.step() == 0) {
      return start.position();
    }
    Path folder = "latest".equals(restore) ? checkpoints.latest().orElseThrow() : Path.of(restore);
    Path file = folder.resolve(WORKERS_FILE);
    if (!Files.isRegularFile(file)) {
      throw new UsageException("checkpoint " + folder + " was written by a single-process run (no " + WORKERS_FILE
          + "); resume it with one process, or start a new run with " + cluster.size() + " workers");
    }
    JsonNode root = JSON.readTree(file.toFile());
    if (root.get("workers").asInt() != cluster.size()) {
      throw new UsageException("checkpoint " + folder + " was written by " + root.get("workers").asInt()
          + " workers; resume it with the same number (this run has " + cluster.size() + ")");
    }
    JsonNode p = root.get("positions").get(cluster.taskIndex());
    return new DataPosition(p.get("epoch").asLong(), p.get("shard_index").asInt(), p.get("record").asLong(),
        p.get("byte_offset").asLong(), p.path("listed_at_epoch_start").asInt(0), null);
  }
}
