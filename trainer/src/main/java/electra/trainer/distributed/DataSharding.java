package electra.trainer.distributed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.trainer.pretrain.Checkpoints;
import electra.trainer.pretrain.PretrainingGraph;
import electra.trainer.pretrain.ShardStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which data each worker reads, and where each one continues after a restart. Worker t of N reads the shards whose
 * index i in the manifest (sorted by file name) has i mod N = t, in its own per-epoch shuffled order; its masking
 * is seeded apart from the other workers'. The chief's checkpoint holds every worker's stream position
 * ({@value #WORKERS_FILE}, gathered from the workers with a collective each step), so all of them resume exactly.
 */
public final class DataSharding {

  /** File in a checkpoint folder with each worker's data position. */
  public static final String WORKERS_FILE = "workers.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private DataSharding() {}

  /** This worker's shards; the whole manifest for a single process. */
  public static ShardManifest forWorker(ShardManifest m, ClusterSpec cluster) {
    if (!cluster.distributed()) {
      return m;
    }
    List<ShardManifest.Shard> mine = new ArrayList<>();
    for (int i = 0; i < m.shards().size(); i++) {
      if (i % cluster.size() == cluster.taskIndex() && m.shards().get(i).records() > 0) {
        mine.add(m.shards().get(i));
      }
    }
    if (mine.isEmpty()) {
      throw new UsageException(cluster.size() + " workers but worker " + cluster.taskIndex() + " gets no shard with "
          + "records (the manifest lists " + m.shards().size() + "): write at least one shard per worker");
    }
    return new ShardManifest(m.maxSeqLength(), m.vocabFingerprint(), m.parameters(), mine);
  }

  /** Masking seed of a worker: the run's seed for task 0 (so one worker equals a plain run), distinct for others. */
  public static long maskingSeed(long seed, ClusterSpec cluster) {
    return seed + cluster.taskIndex() * 0x9E3779B97F4A7C15L;
  }

  private static final int FIRST_STEP = 4;
  private static final int STOP = 5;

  /**
   * The values this worker contributes to the gathered positions: its data position, the step it started from and
   * whether it has been asked to stop.
   */
  public static long[] position(ShardStream.Position p, long firstStep, boolean stopRequested) {
    long[] v = {p.epoch(), p.shardIndex(), p.record(), p.byteOffset(), firstStep, stopRequested ? 1 : 0};
    if (v.length != PretrainingGraph.POSITION_VALUES) {
      throw new IllegalStateException("position has " + v.length + " values");
    }
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
      p.put("epoch", gathered[t * k]).put("shard_index", gathered[t * k + 1]).put("record", gathered[t * k + 2])
          .put("byte_offset", gathered[t * k + 3]);
    }
    try {
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where this worker's stream starts: the start of the data for a new run; after resuming, its entry in the
   * checkpoint's {@value #WORKERS_FILE} (the checkpoint must come from a run with the same number of workers).
   */
  public static ShardStream.Position startPosition(Checkpoints.State start, ClusterSpec cluster, Path runDir,
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
    return new ShardStream.Position(p.get("epoch").asLong(), p.get("shard_index").asInt(), p.get("record").asLong(),
        p.get("byte_offset").asLong());
  }
}
