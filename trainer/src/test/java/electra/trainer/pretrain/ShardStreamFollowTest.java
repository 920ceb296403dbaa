package electra.trainer.pretrain;

import static electra.trainer.pretrain.BookShards.batchName;
import static electra.trainer.pretrain.BookShards.publish;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.ShardManifest;
import electra.trainer.runtime.DataPosition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ShardStream} following a manifest that continuous ingestion appends to, without training: one process,
 * and data-parallel workers that each take up the shards dealt to them.
 */
class ShardStreamFollowTest {

  @TempDir
  Path tmp;

  /**
   * {@code count} shards of 4 records of 16 tokens made in a staging folder; the folder to follow starts with the
   * first, named as continuous ingestion names its batches' shards.
   */
  private Path followed(Path staging, int count) throws IOException {
    BookShards.write(staging, 16, count, 4, null);
    Path dir = BookShards.followedFolder(staging, tmp.resolve("followed"));
    publish(staging, dir, 0);
    return dir;
  }

  @Test
  void takesUpNewShardsInTheSameEpochThenWaitsThenStartsAnotherEpoch() throws Exception {
    Path staging = tmp.resolve("staging");
    Path dir = followed(staging, 3);
    List<String> notes = new CopyOnWriteArrayList<>();
    ShardStream.Follow follow = new ShardStream.Follow(0.4, 0.05, notes::add, null);
    List<int[]> records = new ArrayList<>();
    List<DataPosition> after = new ArrayList<>();
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        DataPosition.START, ShardStream.Share.ALL, follow)) {
      for (int i = 0; i < 4; i++) {
        records.add(s.next().inputIds());
      }
      assertEquals(List.of(batchName(0)), s.position().order());
      Thread publisher = new Thread(() -> {
        try {
          Thread.sleep(150);
          publish(staging, dir, 1);
          publish(staging, dir, 2);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      publisher.start();
      long t0 = System.nanoTime();
      for (int i = 0; i < 8; i++) { // waits for the publisher, then reads batches 1 and 2 in epoch 0
        records.add(s.next().inputIds());
        after.add(s.position());
      }
      publisher.join();
      assertTrue(System.nanoTime() - t0 > 100_000_000L, "waited for the new shards");
      DataPosition p = s.position();
      assertEquals(0, p.epoch());
      assertEquals(List.of(batchName(0), batchName(1), batchName(2)), p.order());
      assertEquals(2, p.shardIndex());
      assertEquals(4, p.record());
      assertTrue(notes.stream().anyMatch(n -> n.contains("waiting up to")), notes.toString());
      assertTrue(notes.stream().anyMatch(n -> n.contains("new shard(s)") && n.contains(batchName(1))),
          notes.toString());

      t0 = System.nanoTime();
      records.add(s.next().inputIds()); // nothing new: after the timeout, epoch 1 over all three
      assertTrue(System.nanoTime() - t0 >= 350_000_000L, "waited --follow_timeout before the next epoch");
      assertEquals(1, s.position().epoch());
      assertEquals(3, s.position().order().size());
      assertTrue(notes.stream().anyMatch(n -> n.contains("starting epoch 1")), notes.toString());
    }
    // Staged shards 0..2 hold 12 different records; epoch 0 read each once.
    try (ShardStream plain = new ShardStream(staging.toString(), ShardStream.readManifest(staging.toString()), 7,
        new DataPosition(0, 0, 0, 0, 0, List.of(ShardStream.readManifest(staging.toString()).shards().stream()
            .map(ShardManifest.Shard::file).toArray(String[]::new))))) {
      for (int i = 0; i < 12; i++) {
        assertArrayEquals(plain.next().inputIds(), records.get(i), "record " + i);
      }
    }

    // A stream opened at a position recorded before the other shards were listed takes them up the same way.
    DataPosition at = new DataPosition(0, 0, 0, 0, 1, List.of(batchName(0)));
    try (ShardStream fromStart = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7, at,
        ShardStream.Share.ALL, follow)) {
      for (int i = 0; i < 3; i++) {
        fromStart.next();
      }
      DataPosition mid = fromStart.position();
      assertEquals(List.of(batchName(0)), mid.order());
      try (ShardStream again = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7, mid,
          ShardStream.Share.ALL, follow)) {
        for (int i = 3; i < 12; i++) {
          assertArrayEquals(records.get(i), again.next().inputIds(), "record " + i + " after resuming at 3");
        }
        assertEquals(after.get(7), again.position());
      }
    }
  }

  @Test
  void withoutFollowTheNextEpochComesAtOnce() throws Exception {
    Path dir = followed(tmp.resolve("staging"), 3);
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        DataPosition.START)) {
      for (int i = 0; i < 5; i++) {
        s.next();
      }
      assertEquals(1, s.position().epoch());
      assertEquals(List.of(batchName(0)), s.position().order());
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // data-parallel workers: shard i goes to worker i mod N

  @Test
  void twoWorkersFollowTheSameFolderAndEachTakesUpTheShardsDealtToIt() throws Exception {
    Path staging = tmp.resolve("staging");
    Path dir = followed(staging, 5);
    publish(staging, dir, 1); // b0 goes to worker 0, b1 to worker 1
    List<String> notes = new CopyOnWriteArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    ShardStream.Follow follow = new ShardStream.Follow(30, 0.05, notes::add, stop::get);
    ShardStream.Share worker0 = new ShardStream.Share(0, 2);
    ShardStream.Share worker1 = new ShardStream.Share(1, 2);
    ShardManifest atStart = ShardStream.readManifest(dir.toString());
    try (ShardStream s0 = new ShardStream(dir.toString(), atStart, 7, DataPosition.START, worker0, follow);
        ShardStream s1 = new ShardStream(dir.toString(), atStart, 7, DataPosition.START, worker1, follow)) {
      for (int i = 0; i < 4; i++) {
        s0.next();
        s1.next();
      }
      assertEquals(List.of(batchName(0)), s0.position().order());
      assertEquals(List.of(batchName(1)), s1.position().order());

      publish(staging, dir, 2, 3, 4); // one manifest update: b2 and b4 go to worker 0, b3 to worker 1
      List<int[]> read0 = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        read0.add(s0.next().inputIds());
      }
      assertEquals(List.of(batchName(0), batchName(2), batchName(4)), s0.position().order());
      assertEquals(2, s0.position().listedAtEpochStart(), "epoch 0 was dealt from the 2 shards listed at its start");
      assertEquals(0, s0.position().epoch());
      assertTrue(notes.contains("follow: 2 new shard(s) for worker 0 of 2 listed in " + dir + " ("
          + batchName(2) + ", " + batchName(4) + "); reading them in epoch 0"), notes.toString());
      List<String> staged = ShardStream.readManifest(staging.toString()).shards().stream()
          .map(ShardManifest.Shard::file).toList();
      try (ShardStream plain = new ShardStream(staging.toString(), ShardStream.readManifest(staging.toString()), 7,
          new DataPosition(0, 0, 0, 0, 0, List.of(staged.get(2), staged.get(4))))) {
        for (int i = 0; i < 8; i++) {
          assertArrayEquals(plain.next().inputIds(), read0.get(i), "worker 0's record " + i + " of b2, b4");
        }
      }

      s1.next();
      s1.next();
      DataPosition mid = s1.position();
      assertEquals(new DataPosition(0, 1, 2, mid.byteOffset(), 2, List.of(batchName(1), batchName(3))), mid);
      // a worker resumes from the numbers gathered into workers.json: the order is rebuilt from the listed count
      DataPosition gathered = new DataPosition(mid.epoch(), mid.shardIndex(), mid.record(),
          mid.byteOffset(), mid.listedAtEpochStart(), null);
      try (ShardStream resumed = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
          gathered, worker1, follow)) {
        assertEquals(mid, resumed.position());
        for (int i = 0; i < 2; i++) {
          assertArrayEquals(s1.next().inputIds(), resumed.next().inputIds(), "record " + (3 + i) + " of b3");
        }
      }

      // worker 1 has read all its shards: a stop ends its wait for new ones at once, and it starts epoch 1
      stop.set(true);
      long t0 = System.nanoTime();
      s1.next();
      assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "did not wait out the 30 s follow timeout");
      assertEquals(1, s1.position().epoch());
      assertEquals(5, s1.position().listedAtEpochStart());
      assertEquals(Set.of(batchName(1), batchName(3)), Set.copyOf(s1.position().order()));
      assertTrue(notes.contains("follow: stop requested, no longer waiting for new shards in " + dir
          + "; starting epoch 1 over the 2 listed shard(s) for worker 1 of 2"), notes.toString());
    }
  }

  @Test
  void aWorkerWithoutAShardWaitsForOneToBeListedOrFailsClearly() throws Exception {
    Path staging = tmp.resolve("staging");
    Path dir = followed(staging, 2); // b0 only: nothing for worker 1 yet
    List<String> notes = new CopyOnWriteArrayList<>();
    ShardStream.Share worker1 = new ShardStream.Share(1, 2);
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        DataPosition.START, worker1, new ShardStream.Follow(30, 0.05, notes::add, null))) {
      assertNull(s.currentShard());
      Thread publisher = new Thread(() -> {
        try {
          Thread.sleep(200);
          publish(staging, dir, 1);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      publisher.start();
      s.next();
      publisher.join();
      assertEquals(new DataPosition(0, 0, 1, s.position().byteOffset(), 1, List.of(batchName(1))),
          s.position(), "epoch 0 was dealt from b0 alone (not worker 1's) and takes up b1, listed later");
      assertTrue(notes.get(0).startsWith("follow: no shard for worker 1 of 2 listed yet in " + dir
          + " (shard i goes to worker i mod 2); waiting up to 30 s for one; meanwhile the other workers wait in the "
          + "all-reduce"), notes.toString());
    }
    try (ShardStream none = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        DataPosition.START, new ShardStream.Share(2, 3), new ShardStream.Follow(1, 0.05, null, null))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, none::next);
      assertEquals("no shard for worker 2 of 3 was listed in " + dir + " within --follow_timeout (1 s) or before "
          + "a stop: the manifest lists 2 shard(s), and shard i goes to worker i mod 3; list at least one shard "
          + "with records per worker", e.getMessage());
    }
  }

  @Test
  void withWorkersAShardListedBeforeTheListedOnesIsRefused() throws Exception {
    Path staging = tmp.resolve("staging");
    Path dir = followed(staging, 3);
    publish(staging, dir, 2); // b0 (worker 0), b2 (worker 1); b1 would sort between them
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        DataPosition.START, new ShardStream.Share(0, 2), new ShardStream.Follow(30, 0.05, null, null))) {
      for (int i = 0; i < 4; i++) {
        s.next();
      }
      publish(staging, dir, 1);
      IllegalStateException e = assertThrows(IllegalStateException.class, s::next);
      assertTrue(e.getMessage().startsWith(dir.resolve(ShardManifest.FILE_NAME) + " changed other than at its end: "
          + "entry 1 was " + batchName(2) + " and is now " + batchName(1) + ". With several workers shard i goes to "
          + "worker i mod 2"), e.getMessage());
    }
  }
}
