package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.trainer.distributed.ClusterSpec;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.DataPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which shards each worker reads and the positions the chief records for all of them: pure, no TensorFlow. */
class DataShardingTest {

  @TempDir
  Path tmp;

  private static final ClusterSpec TWO_WORKERS_TASK_1 = new ClusterSpec(List.of("a:1", "b:1"), 1);

  @Test
  void shardIGoesToWorkerIModN() {
    ShardManifest m = new ShardManifest(128, "0".repeat(64), Map.of(), List.of(new ShardManifest.Shard("s0", 5),
        new ShardManifest.Shard("s1", 5), new ShardManifest.Shard("s2", 5), new ShardManifest.Shard("s3", 5),
        new ShardManifest.Shard("s4", 5)));
    assertEquals(List.of("s1", "s3"), DataSharding.share(m, TWO_WORKERS_TASK_1, false).dealt(m.shards(), 0, 5));
    ShardStream.Share task0 = DataSharding.share(m, new ClusterSpec(List.of("a:1", "b:1"), 0), false);
    assertEquals(List.of("s0", "s2", "s4"), task0.dealt(m.shards(), 0, 5));
    assertEquals(List.of("s4"), task0.dealt(m.shards(), 3, 5), "later entries are dealt by their index too");
    assertEquals(ShardStream.Share.ALL, DataSharding.share(m, ClusterSpec.single(), false));
    ClusterSpec w7 = new ClusterSpec(List.of("a:1", "b:1", "c:1", "d:1", "e:1", "f:1", "g:1"), 6);
    assertEquals("7 workers but worker 6 gets no shard with records (the manifest lists 5): write at least one "
            + "shard per worker, or use --follow to wait for continuous ingestion to list one",
        assertThrows(UsageException.class, () -> DataSharding.share(m, w7, false)).getMessage());
    assertEquals(List.of(), DataSharding.share(m, w7, true).dealt(m.shards(), 0, 5),
        "with --follow the worker starts and waits for a shard");
    assertEquals(11, DataSharding.maskingSeed(11, new ClusterSpec(List.of("a:1", "b:1"), 0)));
  }

  @Test
  void positionsGoThroughTheGatherAndWorkersJsonAsNumbersAndResumeEachWorker() throws Exception {
    DataPosition p0 = new DataPosition(0, 2, 4, 1234, 2, List.of("b0", "b2", "b4"));
    DataPosition p1 = new DataPosition(1, 0, 4, 567, 5, List.of("b3", "b1"));
    long[] v0 = DataSharding.position(p0, 8, false);
    long[] v1 = DataSharding.position(p1, 8, true);
    assertArrayEquals(new long[] {0, 2, 4, 1234, 2, 8, 0}, v0);
    assertEquals(PretrainingGraph.POSITION_VALUES, v1.length);
    long[] gathered = new long[2 * PretrainingGraph.POSITION_VALUES];
    System.arraycopy(v0, 0, gathered, 0, v0.length);
    System.arraycopy(v1, 0, gathered, v0.length, v1.length);
    assertTrue(DataSharding.stopRequested(gathered), "worker 1's stop flag reaches every worker");
    assertFalse(DataSharding.stopRequested(DataSharding.position(p0, 8, false)));
    DataSharding.requireSameStart(gathered, new ClusterSpec(List.of("a:1", "b:1"), 0));

    Path checkpoint = Files.createDirectories(tmp.resolve("ckpt-000008"));
    DataSharding.writeWorkerPositions(checkpoint.resolve(DataSharding.WORKERS_FILE), gathered);
    DataPosition resumed = DataSharding.startPosition(state(8), TWO_WORKERS_TASK_1, tmp,
        checkpoint.toString(), new Checkpoints(tmp, "ckpt-", 3));
    assertEquals(new DataPosition(1, 0, 4, 567, 5, null), resumed,
        "the order's names are not recorded: the stream rebuilds them from the listed count");
  }

  @Test
  void workersJsonWrittenBeforeTheListedCountResumesOverEveryListedShard() throws Exception {
    Path checkpoint = Files.createDirectories(tmp.resolve("ckpt-000003"));
    Files.writeString(checkpoint.resolve(DataSharding.WORKERS_FILE), """
        {"workers": 2, "positions": [
          {"epoch": 0, "shard_index": 0, "record": 12, "byte_offset": 900},
          {"epoch": 0, "shard_index": 1, "record": 4, "byte_offset": 300}]}
        """);
    DataPosition resumed = DataSharding.startPosition(state(3), TWO_WORKERS_TASK_1, tmp,
        checkpoint.toString(), new Checkpoints(tmp, "ckpt-", 3));
    assertEquals(new DataPosition(0, 1, 4, 300, 0, null), resumed,
        "0: the stream deals the epoch over the shards listed when it opens, as these runs did");
  }

  private static Checkpoints.State state(long step) {
    return Checkpoints.State.at(step, step, false, 11, 64, new DataPosition(0, 0, 0, 0, 0, null), null, null);
  }
}
