package electra.trainer.pretrain;

import electra.pipelines.io.ShardFiles;
import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import java.io.BufferedInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Endless stream of pre-training records from the shards a manifest lists: each epoch visits every shard once in
 * an order shuffled from (seed, epoch), each shard front to back. Its position is a small value
 * ({@link Position}) that a checkpoint stores, and a stream opened at a position continues exactly there.
 *
 * <p>When {@linkplain Follow following} a folder that continuous ingestion keeps appending to, the stream re-reads
 * the manifest whenever it has read the last shard of its order: shards listed since are appended to this epoch's
 * order (in name order, which is ingestion order) and read next; when there are none it polls the manifest for up
 * to {@link Follow#timeoutSeconds()} and then starts the next epoch over every listed shard. Because the position
 * carries the epoch's shard order, a checkpoint taken while following resumes on the same records.
 */
public final class ShardStream implements AutoCloseable {

  /**
   * Where the next record is: epoch, index into that epoch's shard order, record number and byte offset, and the
   * epoch's shard order itself (file names; null in positions from checkpoints that predate it, or in
   * {@link #START}: then the order is derived from the seed and the manifest).
   */
  public record Position(long epoch, int shardIndex, long record, long byteOffset, List<String> order) {
    public static final Position START = new Position(0, 0, 0, 0, null);

    public Position {
      order = order == null ? null : List.copyOf(order); // a no-op for the lists this class makes
    }

    public Position(long epoch, int shardIndex, long record, long byteOffset) {
      this(epoch, shardIndex, record, byteOffset, null);
    }
  }

  /**
   * Keep reading shards as they are listed: wait up to {@code timeoutSeconds} for new ones at the end of the
   * listed shards (checking every {@code pollSeconds}), then start another epoch; {@code notes} hears what the
   * stream does (one line each).
   */
  public record Follow(double timeoutSeconds, double pollSeconds, Consumer<String> notes) {
    public Follow {
      if (!(timeoutSeconds >= 0) || !(pollSeconds > 0)) {
        throw new IllegalArgumentException("follow timeout must be >= 0 and poll interval > 0, got " + timeoutSeconds
            + " and " + pollSeconds);
      }
      notes = notes == null ? s -> { } : notes;
    }
  }

  private final String dir;
  private final long seed;
  private final Follow follow;
  private final int maxSeqLength;
  private final String vocabFingerprint;
  private ShardManifest manifest;
  private Position position;
  private List<String> order;
  private TfRecordReader reader;
  private long readerBase;

  /**
   * Reads {@code dir}/manifest.json (a local folder, {@code gs://} or {@code s3://}: {@link ShardFiles}); refuses an
   * empty or missing manifest.
   */
  public static ShardManifest readManifest(String dir) throws IOException {
    ShardManifest m;
    try {
      m = ShardFiles.readManifest(dir);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(e.getFile(), null, "no " + ShardManifest.FILE_NAME
          + " there: --pretrain_tfrecords must be a shard folder written by the data pipeline");
    }
    if (m.records() == 0) {
      throw new IllegalArgumentException(ShardFiles.describe(dir, ShardManifest.FILE_NAME) + " lists no records");
    }
    return m;
  }

  public ShardStream(String dir, ShardManifest manifest, long seed, Position start) {
    this(dir, manifest, seed, start, null);
  }

  /** A stream over the shards of {@code dir} that follows its manifest when {@code follow} is not null. */
  public ShardStream(String dir, ShardManifest manifest, long seed, Position start, Follow follow) {
    this.dir = dir;
    this.manifest = manifest;
    this.seed = seed;
    this.follow = follow;
    this.maxSeqLength = manifest.maxSeqLength();
    this.vocabFingerprint = manifest.vocabFingerprint();
    this.order = start.order() != null ? start.order() : orderOf(start.epoch());
    if (order.isEmpty() || start.shardIndex() < 0 || start.shardIndex() >= order.size()) {
      throw new IllegalArgumentException("data position " + start.shardIndex() + " is outside the epoch's "
          + order.size() + " shards");
    }
    this.position = new Position(start.epoch(), start.shardIndex(), start.record(), start.byteOffset(), order);
  }

  /** The shard order of one epoch: the non-empty listed shards, shuffled from (seed, epoch). */
  private List<String> orderOf(long epoch) {
    List<String> shards = new ArrayList<>();
    for (ShardManifest.Shard s : manifest.shards()) {
      if (s.records() > 0) {
        shards.add(s.file());
      }
    }
    Collections.shuffle(shards, new Random(seed * 0x9E3779B97F4A7C15L + epoch));
    return List.copyOf(shards);
  }

  /** Position of the next record {@link #next()} returns. */
  public Position position() {
    return position;
  }

  /** The name of the shard at the current position (for logs and checkpoints). */
  public String currentShard() {
    return order.get(position.shardIndex());
  }

  public PretrainingExample next() {
    try {
      while (true) {
        if (reader == null) {
          open();
        }
        byte[] data = reader.next();
        if (data != null) {
          position = new Position(position.epoch(), position.shardIndex(), position.record() + 1,
              readerBase + reader.offset(), order);
          return PretrainingExample.fromBytes(data);
        }
        reader.close();
        reader = null;
        int nextShard = position.shardIndex() + 1;
        if (nextShard == order.size() && follow != null) {
          awaitNewShards();
        }
        if (nextShard < order.size()) {
          position = new Position(position.epoch(), nextShard, 0, 0, order);
        } else {
          order = orderOf(position.epoch() + 1);
          position = new Position(position.epoch() + 1, 0, 0, 0, order);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * At the end of the epoch's order: re-reads the manifest until it lists shards this epoch has not read (then
   * appends them to the order) or the follow timeout passes (then the caller starts the next epoch over what the
   * manifest lists now).
   */
  private void awaitNewShards() throws IOException {
    long started = System.nanoTime();
    long deadline = started + (long) (follow.timeoutSeconds() * 1e9);
    boolean announced = false;
    while (true) {
      ShardManifest latest = reread();
      if (latest != null) {
        manifest = latest;
        Set<String> known = new HashSet<>(order);
        List<String> fresh = new ArrayList<>();
        for (ShardManifest.Shard s : latest.shards()) { // sorted by name: ingestion batches in order
          if (s.records() > 0 && !known.contains(s.file())) {
            fresh.add(s.file());
          }
        }
        if (!fresh.isEmpty()) {
          List<String> longer = new ArrayList<>(order);
          longer.addAll(fresh);
          order = List.copyOf(longer);
          follow.notes().accept(String.format(Locale.ROOT, "follow: %d new shard(s) listed in %s (%s%s); "
                  + "reading them in epoch %d", fresh.size(), dir, fresh.get(0),
              fresh.size() > 1 ? " .. " + fresh.get(fresh.size() - 1) : "", position.epoch()));
          return;
        }
      }
      long now = System.nanoTime();
      if (now >= deadline) {
        follow.notes().accept(String.format(Locale.ROOT, "follow: no new shard in %s for %.0f s; starting epoch %d "
            + "over the %d listed shard(s)", dir, (now - started) / 1e9, position.epoch() + 1,
            manifest.shards().size()));
        return;
      }
      if (!announced) {
        follow.notes().accept(String.format(Locale.ROOT, "follow: read all %d shard(s) of epoch %d; waiting up to "
            + "%.0f s for new shards in %s", order.size(), position.epoch(), follow.timeoutSeconds(), dir));
        announced = true;
      }
      try {
        Thread.sleep(Math.max(1, Math.min((deadline - now) / 1_000_000, (long) (follow.pollSeconds() * 1000))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StreamInterruptedException();
      }
    }
  }

  /** The manifest as it is now, or null while it cannot be read (being replaced); refuses a changed vocab/length. */
  private ShardManifest reread() throws IOException {
    ShardManifest m;
    try {
      m = ShardFiles.readManifest(dir);
    } catch (FileNotFoundException | NoSuchFileException | IllegalArgumentException notNow) {
      return null;
    }
    if (m.maxSeqLength() != maxSeqLength) {
      throw new IllegalStateException(dir + "/" + ShardManifest.FILE_NAME + " now lists shards of "
          + m.maxSeqLength() + " tokens, but this run reads " + maxSeqLength);
    }
    m.requireVocab(vocabFingerprint, "--pretrain_tfrecords " + dir + " (re-read while following)");
    return m;
  }

  /** Thrown by {@link #next()} when the thread is interrupted while waiting for new shards. */
  public static final class StreamInterruptedException extends RuntimeException {
    StreamInterruptedException() {
      super("interrupted while waiting for new shards");
    }
  }

  private void open() throws IOException {
    String file = order.get(position.shardIndex());
    readerBase = position.byteOffset();
    reader = new TfRecordReader(new BufferedInputStream(ShardFiles.open(dir, file, readerBase), 1 << 16),
        ShardFiles.describe(dir, file));
  }

  @Override
  public void close() throws IOException {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
