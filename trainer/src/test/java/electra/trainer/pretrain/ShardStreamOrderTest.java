package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.ShardManifest;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.DataPosition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The epoch order of a stream's share of the shards ({@link ShardStream#epochOrder}) and the stream's start from a
 * position, without reading any shard: pure and fast.
 */
class ShardStreamOrderTest {

  private static final long SEED = 11;

  /** Shards s00..s{n-1} with 4 records each, except the empty ones named. */
  private static List<ShardManifest.Shard> shards(int n, int... empty) {
    List<ShardManifest.Shard> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      boolean isEmpty = false;
      for (int e : empty) {
        isEmpty |= e == i;
      }
      list.add(new ShardManifest.Shard(String.format("s%02d", i), isEmpty ? 0 : 4));
    }
    return list;
  }

  private static ShardManifest manifest(List<ShardManifest.Shard> shards) {
    return new ShardManifest(16, "0".repeat(64), Map.of(), shards);
  }

  @Test
  void oneProcessShufflesEveryShardWithRecordsAsBefore() {
    // the formula of the orders that checkpoints without a recorded order were written with: they must resume
    List<String> expected = new ArrayList<>(List.of("s00", "s01", "s03", "s04", "s05"));
    Collections.shuffle(expected, new Random(SEED * 0x9E3779B97F4A7C15L + 3));
    List<ShardManifest.Shard> six = shards(6, 2);
    assertEquals(expected, ShardStream.epochOrder(six, 6, SEED, 3, ShardStream.Share.ALL));
    assertNotEquals(ShardStream.epochOrder(six, 6, SEED, 3, ShardStream.Share.ALL),
        ShardStream.epochOrder(six, 6, SEED, 4, ShardStream.Share.ALL), "each epoch has its own order");
  }

  @Test
  void aWorkerShufflesItsShardsListedAtTheEpochStartThenAppendsLaterOnesInManifestOrder() {
    List<ShardManifest.Shard> ten = shards(10, 4); // s04 has no records
    ShardStream.Share worker0 = new ShardStream.Share(0, 2);
    ShardStream.Share worker1 = new ShardStream.Share(1, 2);
    List<String> order0 = ShardStream.epochOrder(ten, 6, SEED, 0, worker0);
    List<String> order1 = ShardStream.epochOrder(ten, 6, SEED, 0, worker1);
    assertEquals(List.of("s00", "s02"), sorted(order0.subList(0, 2)), "even shards among the first 6, s04 empty");
    assertEquals(List.of("s06", "s08"), order0.subList(2, 4), "listed later: appended in manifest order");
    assertEquals(List.of("s01", "s03", "s05"), sorted(order1.subList(0, 3)));
    assertEquals(List.of("s07", "s09"), order1.subList(3, 5));
    List<String> shuffled = new ArrayList<>(List.of("s01", "s03", "s05"));
    Collections.shuffle(shuffled, new Random(SEED * 0x9E3779B97F4A7C15L));
    assertEquals(shuffled, order1.subList(0, 3), "shuffled from (seed, epoch) like one process's order");
    assertEquals(new HashSet<>(List.of("s00", "s01", "s02", "s03", "s05", "s06", "s07", "s08", "s09")),
        union(order0, order1), "the workers' orders split the shards with records, none twice");
    assertEquals(9, order0.size() + order1.size());
  }

  @Test
  void appendingShardsOnlyLengthensAnOrderSoItCanBeRebuiltFromTheListedCount() {
    ShardStream.Share worker = new ShardStream.Share(1, 3);
    List<String> atCheckpoint = ShardStream.epochOrder(shards(8), 5, SEED, 2, worker);
    List<String> atResume = ShardStream.epochOrder(shards(14), 5, SEED, 2, worker);
    assertEquals(List.of("s01", "s04"), sorted(atCheckpoint.subList(0, 2)));
    assertEquals(List.of("s07"), atCheckpoint.subList(2, 3));
    assertEquals(atCheckpoint, atResume.subList(0, atCheckpoint.size()), "the checkpoint's shard index still holds");
    assertEquals(List.of("s10", "s13"), atResume.subList(atCheckpoint.size(), atResume.size()));
    assertEquals(List.of(), ShardStream.epochOrder(shards(2), 2, SEED, 0, new ShardStream.Share(2, 3)),
        "worker 2 of 3 has no shard among two");
  }

  @Test
  void aStreamStartsFromTheListedCountOrFromTheRecordedNames() throws Exception {
    ShardManifest listed = manifest(shards(7));
    ShardStream.Share worker1 = new ShardStream.Share(1, 2);
    // a worker's position from workers.json: numbers only, the order is rebuilt (shard files are opened lazily)
    DataPosition gathered = new DataPosition(1, 2, 3, 96, 4, null);
    try (ShardStream s = new ShardStream("/not/read", listed, SEED, gathered, worker1, null)) {
      assertEquals(ShardStream.epochOrder(listed.shards(), 4, SEED, 1, worker1), s.position().order());
      assertEquals("s05", s.currentShard(), "s01 and s03 shuffled, then s05 listed after the first 4");
      assertEquals(new DataPosition(1, 2, 3, 96, 4, s.position().order()), s.position());
    }
    // workers.json and state.json from before the count was recorded: the epoch is dealt over all listed now
    DataPosition old = new DataPosition(0, 1, 0, 0, 0, null);
    ShardStream s = new ShardStream("/not/read", listed, SEED, old, worker1, null);
    assertEquals(7, s.position().listedAtEpochStart());
    assertEquals(ShardStream.epochOrder(listed.shards(), 7, SEED, 0, worker1), s.position().order());
    // a single process's state.json carries the names, which win over the count
    DataPosition named = new DataPosition(0, 1, 0, 0, 3, List.of("s02", "s00", "s01", "s05"));
    assertEquals("s00", new ShardStream("/not/read", listed, SEED, named).currentShard());
  }

  @Test
  void stateJsonWrittenBeforeTheListedCountStillResumesOnItsOrder(@TempDir Path checkpoint) throws Exception {
    Files.writeString(checkpoint.resolve(Checkpoints.MODEL + ".index"), "");
    Files.writeString(checkpoint.resolve(Checkpoints.STATE), """
        {"step": 9, "microStep": 9, "phase2": false, "seed": 11, "maxSeqLength": 16, "dataEpoch": 0,
         "dataShardIndex": 1, "dataShard": "s03", "dataRecord": 2, "dataByteOffset": 80,
         "vocabFingerprint": null, "dataOrder": ["s00", "s03"]}
        """);
    DataPosition p = Checkpoints.readState(checkpoint).position();
    assertEquals(new DataPosition(0, 1, 2, 80, 0, List.of("s00", "s03")), p);
    try (ShardStream s = new ShardStream("/not/read", manifest(shards(5)), SEED, p)) {
      assertEquals("s03", s.currentShard());
      assertEquals(List.of("s00", "s03"), s.position().order());
    }
  }

  @Test
  void refusesPositionsThatDoNotFitTheManifest() {
    ShardManifest listed = manifest(shards(3));
    ShardStream.Share worker1 = new ShardStream.Share(1, 2);
    IllegalArgumentException shrunk = assertThrows(IllegalArgumentException.class, () -> new ShardStream("/x",
        listed, SEED, new DataPosition(0, 0, 0, 0, 5, null), worker1, null));
    assertTrue(shrunk.getMessage().contains("dealt from 5 listed shards, but /x/manifest.json lists only 3"),
        shrunk.getMessage());
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> new ShardStream("/x",
        listed, SEED, new DataPosition(0, 1, 0, 0, 3, null), worker1, null));
    assertEquals("data position 1 is outside the 1 shard(s) for worker 1 of 2 of epoch 0", outside.getMessage());
    IllegalArgumentException noShard = assertThrows(IllegalArgumentException.class, () -> new ShardStream("/x",
        manifest(shards(1)), SEED, DataPosition.START, worker1, null));
    assertEquals("data position 0 is outside the 0 shard(s) for worker 1 of 2 of epoch 0", noShard.getMessage(),
        "only a following stream may wait for its first shard");
    assertEquals("a share is worker t of N with 0 <= t < N, got worker 2 of 2",
        assertThrows(IllegalArgumentException.class, () -> new ShardStream.Share(2, 2)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> new DataPosition(0, 0, -1, 0, 0, null))
        .getMessage().contains("record -1"));
  }

  private static List<String> sorted(List<String> names) {
    List<String> copy = new ArrayList<>(names);
    Collections.sort(copy);
    return copy;
  }

  private static HashSet<String> union(List<String> a, List<String> b) {
    HashSet<String> all = new HashSet<>(a);
    all.addAll(b);
    return all;
  }
}
