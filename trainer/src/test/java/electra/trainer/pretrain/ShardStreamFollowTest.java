package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.ShardManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ShardStream} following a manifest that continuous ingestion appends to, without training. */
class ShardStreamFollowTest {

  @TempDir
  Path tmp;

  /**
   * Three shards of 4 records of 16 tokens made in a staging folder; the folder to follow starts with the first,
   * named as continuous ingestion names its batches' shards.
   */
  private Path followed(Path staging) throws IOException {
    BookShards.write(staging, 16, 3, 4, null);
    Path dir = Files.createDirectories(tmp.resolve("followed"));
    ShardManifest all = ShardStream.readManifest(staging.toString());
    Files.writeString(dir.resolve(ShardManifest.FILE_NAME),
        new ShardManifest(all.maxSeqLength(), all.vocabFingerprint(), all.parameters(), List.of()).toJson());
    publish(staging, dir, 0);
    return dir;
  }

  static String batchName(int i) {
    return String.format("pretrain_data.tfrecord-b%05d-00000-of-00001", i);
  }

  /** Copies staged shard {@code i} into {@code dir} as batch i's shard and lists it (manifest replaced atomically). */
  static void publish(Path staging, Path dir, int i) throws IOException {
    ShardManifest.Shard s = ShardStream.readManifest(staging.toString()).shards().get(i);
    Files.copy(staging.resolve(s.file()), dir.resolve(batchName(i)));
    ShardManifest m = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)))
        .withShards(List.of(new ShardManifest.Shard(batchName(i), s.records())));
    Path tmp = dir.resolve(".manifest.json.tmp");
    Files.writeString(tmp, m.toJson());
    Files.move(tmp, dir.resolve(ShardManifest.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void takesUpNewShardsInTheSameEpochThenWaitsThenStartsAnotherEpoch() throws Exception {
    Path staging = tmp.resolve("staging");
    Path dir = followed(staging);
    List<String> notes = new CopyOnWriteArrayList<>();
    ShardStream.Follow follow = new ShardStream.Follow(0.4, 0.05, notes::add);
    List<int[]> records = new ArrayList<>();
    List<ShardStream.Position> after = new ArrayList<>();
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        ShardStream.Position.START, follow)) {
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
      ShardStream.Position p = s.position();
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
        new ShardStream.Position(0, 0, 0, 0, List.of(ShardStream.readManifest(staging.toString()).shards().stream()
            .map(ShardManifest.Shard::file).toArray(String[]::new))))) {
      for (int i = 0; i < 12; i++) {
        assertArrayEquals(plain.next().inputIds(), records.get(i), "record " + i);
      }
    }

    // A stream opened at a position recorded before the other shards were listed takes them up the same way.
    ShardStream.Position at = new ShardStream.Position(0, 0, 0, 0, List.of(batchName(0)));
    try (ShardStream fromStart = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7, at,
        follow)) {
      for (int i = 0; i < 3; i++) {
        fromStart.next();
      }
      ShardStream.Position mid = fromStart.position();
      assertEquals(List.of(batchName(0)), mid.order());
      try (ShardStream again = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7, mid,
          follow)) {
        for (int i = 3; i < 12; i++) {
          assertArrayEquals(records.get(i), again.next().inputIds(), "record " + i + " after resuming at 3");
        }
        assertEquals(after.get(7), again.position());
      }
    }
  }

  @Test
  void withoutFollowTheNextEpochComesAtOnce() throws Exception {
    Path dir = followed(tmp.resolve("staging"));
    try (ShardStream s = new ShardStream(dir.toString(), ShardStream.readManifest(dir.toString()), 7,
        ShardStream.Position.START)) {
      for (int i = 0; i < 5; i++) {
        s.next();
      }
      assertEquals(1, s.position().epoch());
      assertEquals(List.of(batchName(0)), s.position().order());
    }
  }
}
