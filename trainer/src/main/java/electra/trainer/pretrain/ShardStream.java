package electra.trainer.pretrain;

import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Endless stream of pre-training records from the shards a manifest lists: each epoch visits every shard once in
 * an order shuffled from (seed, epoch), each shard front to back. Its position is a small value
 * ({@link Position}) that a checkpoint stores, and a stream opened at a position continues exactly there.
 */
public final class ShardStream implements AutoCloseable {

  /** Where the next record is: epoch, index into that epoch's shard order, record number and byte offset. */
  public record Position(long epoch, int shardIndex, long record, long byteOffset) {
    public static final Position START = new Position(0, 0, 0, 0);
  }

  private final Path dir;
  private final ShardManifest manifest;
  private final long seed;
  private Position position;
  private List<ShardManifest.Shard> order;
  private TfRecordReader reader;
  private long readerBase;

  /** Reads {@code dir}/manifest.json; refuses an empty or missing manifest. */
  public static ShardManifest readManifest(Path dir) throws IOException {
    Path file = dir.resolve(ShardManifest.FILE_NAME);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no " + ShardManifest.FILE_NAME
          + " there: --pretrain_tfrecords must be a shard folder written by the data pipeline");
    }
    ShardManifest m = ShardManifest.fromJson(Files.readString(file));
    if (m.records() == 0) {
      throw new IllegalArgumentException(file + " lists no records");
    }
    return m;
  }

  public ShardStream(Path dir, ShardManifest manifest, long seed, Position start) {
    this.dir = dir;
    this.manifest = manifest;
    this.seed = seed;
    this.position = start;
    this.order = orderOf(start.epoch());
  }

  /** The shard order of one epoch. */
  private List<ShardManifest.Shard> orderOf(long epoch) {
    List<ShardManifest.Shard> shards = new ArrayList<>(manifest.shards());
    shards.removeIf(s -> s.records() == 0);
    Collections.shuffle(shards, new Random(seed * 0x9E3779B97F4A7C15L + epoch));
    return shards;
  }

  /** Position of the next record {@link #next()} returns. */
  public Position position() {
    return position;
  }

  /** The name of the shard at the current position (for logs and checkpoints). */
  public String currentShard() {
    return order.get(position.shardIndex()).file();
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
              readerBase + reader.offset());
          return PretrainingExample.fromBytes(data);
        }
        reader.close();
        reader = null;
        int nextShard = position.shardIndex() + 1;
        if (nextShard < order.size()) {
          position = new Position(position.epoch(), nextShard, 0, 0);
        } else {
          position = new Position(position.epoch() + 1, 0, 0, 0);
          order = orderOf(position.epoch());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void open() throws IOException {
    Path file = dir.resolve(order.get(position.shardIndex()).file());
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    channel.position(position.byteOffset());
    readerBase = position.byteOffset();
    reader = new TfRecordReader(new BufferedInputStream(Channels.newInputStream(channel), 1 << 16),
        file.toString());
  }

  @Override
  public void close() throws IOException {
    if (reader != null) {
      reader.close();
      reader = null;
    }
  }
}
