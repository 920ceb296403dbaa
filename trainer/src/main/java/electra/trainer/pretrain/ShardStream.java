package electra.trainer.pretrain;

import electra.beam.ShardFiles;
import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import electra.trainer.runtime.DataPosition;
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
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Endless stream of pre-training records from the shards a manifest lists: each epoch visits every shard of this
 * stream's {@link Share} once in an order shuffled from (seed, epoch), each shard front to back. Its position is a
 * small value ({@link DataPosition}) that a checkpoint stores, and a stream opened at a position continues exactly there.
 *
 * <p>When {@linkplain Follow following} a folder that continuous ingestion keeps appending to, the stream re-reads
 * the manifest whenever it has read the last shard of its order: the shards of its share listed since are appended
 * to this epoch's order (in manifest order, which is ingestion order) and read next; when there are none it polls
 * the manifest for up to {@link Follow#timeoutSeconds()} (or until {@link Follow#stopWaiting()}) and then starts the
 * next epoch over every listed shard of its share. The epoch's order is a pure function of numbers
 * ({@link #epochOrder}): the shards of the share among the first {@link DataPosition#listedAtEpochStart()} manifest
 * entries, shuffled, then the share's shards listed after them. So a position resumes on the same records whether it
 * carries the order's file names (a single process's {@code state.json}) or only that count (the numbers gathered
 * from the workers of a data-parallel run). This needs a manifest that only grows at its end: continuous ingestion
 * names each batch's shards so that they sort after every shard listed before
 * ({@code pretrain_data.tfrecord-bNNNNN-*}).
 */
public final class ShardStream implements AutoCloseable {

  /**
   * The shards a stream reads: those at manifest index i with i mod {@code workers} = {@code worker}, whether listed
   * at the start or appended later (data-parallel workers each read their share; {@link #ALL} for one process).
   */
  public record Share(int worker, int workers) {
    public static final Share ALL = new Share(0, 1);

    public Share {
      if (workers < 1 || worker < 0 || worker >= workers) {
        throw new IllegalArgumentException("a share is worker t of N with 0 <= t < N, got worker " + worker + " of "
            + workers);
      }
    }

    /** The names of this share's shards with records among manifest entries [from, to), in manifest order. */
    public List<String> dealt(List<ShardManifest.Shard> shards, int from, int to) {
      List<String> mine = new ArrayList<>();
      for (int i = from; i < to; i++) {
        if (i % workers == worker && shards.get(i).records() > 0) {
          mine.add(shards.get(i).file());
        }
      }
      return mine;
    }

    /** Who the stream reads for, in notes: nothing for one process. */
    String forWhom() {
      return workers == 1 ? "" : " for worker " + worker + " of " + workers;
    }
  }

  /**
   * Keep reading shards as they are listed: wait up to {@code timeoutSeconds} for new ones at the end of the
   * listed shards (checking every {@code pollSeconds}), then start another epoch; {@code notes} hears what the
   * stream does (one line each); when {@code stopWaiting} turns true (a stop was asked) the wait ends at the next
   * poll as if the timeout had passed, so that a data-parallel worker can take one more batch and carry the stop to
   * its peers (null: never).
   */
  public record Follow(double timeoutSeconds, double pollSeconds, Consumer<String> notes,
      BooleanSupplier stopWaiting) {
    public Follow {
      if (!(timeoutSeconds >= 0) || !(pollSeconds > 0)) {
        throw new IllegalArgumentException("follow timeout must be >= 0 and poll interval > 0, got " + timeoutSeconds
            + " and " + pollSeconds);
      }
      notes = notes == null ? s -> { } : notes;
      stopWaiting = stopWaiting == null ? () -> false : stopWaiting;
    }
  }

  private final String dir;
  private final long seed;
  private final Share share;
  private final Follow follow;
  private final int maxSeqLength;
  private final String vocabFingerprint;
  private ShardManifest manifest;
  private DataPosition position;
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

  /** A stream over every shard of {@code dir}, without following. */
  public ShardStream(String dir, ShardManifest manifest, long seed, DataPosition start) {
    this(dir, manifest, seed, start, Share.ALL, null);
  }

  /**
   * A stream over {@code share} of the shards of {@code dir} ({@code manifest}: the whole manifest) that follows its
   * manifest when {@code follow} is not null. Only a following stream may start without a shard of its own: it then
   * waits for one on its first {@link #next()}.
   */
  public ShardStream(String dir, ShardManifest manifest, long seed, DataPosition start, Share share, Follow follow) {
    this.dir = dir;
    this.manifest = manifest;
    this.seed = seed;
    this.share = share;
    this.follow = follow;
    this.maxSeqLength = manifest.maxSeqLength();
    this.vocabFingerprint = manifest.vocabFingerprint();
    int listed = start.listedAtEpochStart() == 0 ? manifest.shards().size() : start.listedAtEpochStart();
    if (listed > manifest.shards().size()) {
      throw new IllegalArgumentException("data position of epoch " + start.epoch() + " was dealt from " + listed
          + " listed shards, but " + ShardFiles.describe(dir, ShardManifest.FILE_NAME) + " lists only "
          + manifest.shards().size() + ": the shard folder must only grow while a run uses it");
    }
    this.order = start.order() != null
        ? start.order() : epochOrder(manifest.shards(), listed, seed, start.epoch(), share);
    boolean waitsForFirstShard = order.isEmpty() && follow != null && start.shardIndex() == 0;
    if (!waitsForFirstShard && start.shardIndex() >= order.size()) {
      throw new IllegalArgumentException("data position " + start.shardIndex() + " is outside the "
          + order.size() + " shard(s)" + share.forWhom() + " of epoch " + start.epoch());
    }
    this.position = new DataPosition(start.epoch(), start.shardIndex(), start.record(), start.byteOffset(), listed,
        order);
  }

  /**
   * The shard order of {@code epoch} for {@code share}: its shards with records among the first {@code listed}
   * manifest entries, shuffled from (seed, epoch), then its shards with records listed after them, in manifest
   * order (those continuous ingestion appended during the epoch). A pure function of numbers and the manifest, so
   * an order can be rebuilt from a position's {@link DataPosition#listedAtEpochStart()}; appending to the manifest only
   * lengthens it.
   */
  public static List<String> epochOrder(List<ShardManifest.Shard> shards, int listed, long seed, long epoch,
      Share share) {
    List<String> order = share.dealt(shards, 0, listed);
    Collections.shuffle(order, new Random(seed * 0x9E3779B97F4A7C15L + epoch));
    order.addAll(share.dealt(shards, listed, shards.size()));
    return List.copyOf(order);
  }

  /** DataPosition of the next record {@link #next()} returns. */
  public DataPosition position() {
    return position;
  }

  /** The name of the shard at the current position (for logs and checkpoints); null before the first record. */
  public String currentShard() {
    return position.shardIndex() < order.size() ? order.get(position.shardIndex()) : null;
  }

  public PretrainingExample next() {
    try {
      while (true) {
        if (order.isEmpty() && !awaitNewShards()) { // only a following stream starts without a shard of its own
          throw new IllegalStateException(String.format(Locale.ROOT, "no shard%s was listed in %s within "
                  + "--follow_timeout (%.0f s) or before a stop: the manifest lists %d shard(s), and shard i goes to "
                  + "worker i mod %d; list at least one shard with records per worker", share.forWhom(), dir,
              follow.timeoutSeconds(), manifest.shards().size(), share.workers()));
        }
        if (reader == null) {
          open();
        }
        byte[] data = reader.next();
        if (data != null) {
          position = inEpoch(position.shardIndex(), position.record() + 1, readerBase + reader.offset());
          return PretrainingExample.fromBytes(data);
        }
        reader.close();
        reader = null;
        int nextShard = position.shardIndex() + 1;
        if (nextShard == order.size() && follow != null) {
          awaitNewShards();
        }
        if (nextShard < order.size()) {
          position = inEpoch(nextShard, 0, 0);
        } else {
          int listed = manifest.shards().size();
          order = epochOrder(manifest.shards(), listed, seed, position.epoch() + 1, share);
          position = new DataPosition(position.epoch() + 1, 0, 0, 0, listed, order);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private DataPosition inEpoch(int shardIndex, long record, long byteOffset) {
    return new DataPosition(position.epoch(), shardIndex, record, byteOffset, position.listedAtEpochStart(), order);
  }

  /**
   * At the end of the epoch's order: re-reads the manifest until it lists shards of this stream's share that the
   * epoch has not read (then appends them to the order and returns true), or until the follow timeout passes or a
   * stop is asked (then returns false, and the caller starts the next epoch over what the manifest lists now).
   */
  private boolean awaitNewShards() throws IOException {
    long started = System.nanoTime();
    long timeoutNanos = (long) Math.min(follow.timeoutSeconds() * 1e9, Long.MAX_VALUE / 4); // no overflow below
    boolean announced = false;
    while (true) {
      ShardManifest latest = reread();
      if (latest != null) {
        if (share.workers() > 1) {
          requireOnlyAppended(latest);
        }
        manifest = latest;
        Set<String> known = new HashSet<>(order);
        List<String> fresh = share.dealt(latest.shards(), 0, latest.shards().size()).stream()
            .filter(f -> !known.contains(f)).toList();
        if (!fresh.isEmpty()) {
          List<String> longer = new ArrayList<>(order);
          longer.addAll(fresh);
          order = List.copyOf(longer);
          follow.notes().accept(String.format(Locale.ROOT, "follow: %d new shard(s)%s listed in %s (%s); "
                  + "reading them in epoch %d", fresh.size(), share.forWhom(), dir,
              fresh.size() <= 3 ? String.join(", ", fresh) : fresh.get(0) + " .. " + fresh.get(fresh.size() - 1),
              position.epoch()));
          return true;
        }
      }
      long waited = System.nanoTime() - started;
      boolean stop = follow.stopWaiting().getAsBoolean();
      if (waited >= timeoutNanos || stop) {
        if (!order.isEmpty()) {
          follow.notes().accept(String.format(Locale.ROOT, "follow: %s; starting epoch %d over the %d listed "
                  + "shard(s)%s",
              stop ? "stop requested, no longer waiting for new shards in " + dir
                  : String.format(Locale.ROOT, "no new shard%s in %s for %.0f s", share.forWhom(), dir, waited / 1e9),
              position.epoch() + 1, share.dealt(manifest.shards(), 0, manifest.shards().size()).size(),
              share.forWhom()));
        }
        return false;
      }
      if (!announced) {
        // a data-parallel worker waiting here holds up the step of every worker (they wait in the all-reduce)
        String others = share.workers() == 1 ? "" : "; meanwhile the other workers wait in the all-reduce (with "
            + "--follow their step timeout is --step_timeout_s + --follow_timeout)";
        follow.notes().accept(order.isEmpty()
            ? String.format(Locale.ROOT, "follow: no shard%s listed yet in %s (shard i goes to worker i mod %d); "
                + "waiting up to %.0f s for one%s", share.forWhom(), dir, share.workers(), follow.timeoutSeconds(),
                others)
            : String.format(Locale.ROOT, "follow: read all %d shard(s)%s of epoch %d; waiting up to %.0f s for new "
                + "shards in %s%s", order.size(), share.forWhom(), position.epoch(), follow.timeoutSeconds(), dir,
                others));
        announced = true;
      }
      try {
        Thread.sleep(Math.max(1, Math.min((timeoutNanos - waited) / 1_000_000,
            (long) (follow.pollSeconds() * 1000))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StreamInterruptedException();
      }
    }
  }

  /**
   * Several workers deal shard i to worker i mod N, which stays the same dealing only while the manifest grows at
   * its end; refuses a re-read manifest in which a shard was inserted before, or removed from, those listed before.
   */
  private void requireOnlyAppended(ShardManifest latest) {
    List<ShardManifest.Shard> before = manifest.shards();
    List<ShardManifest.Shard> now = latest.shards();
    for (int i = 0; i < before.size(); i++) {
      if (i >= now.size() || !now.get(i).file().equals(before.get(i).file())) {
        throw new IllegalStateException(String.format(Locale.ROOT, "%s changed other than at its end: entry %d was "
                + "%s and is now %s. With several workers shard i goes to worker i mod %d, so continuous ingestion "
                + "may only append shards whose names sort after the listed ones (as its pretrain_data.tfrecord-"
                + "bNNNNN-* names do); restart the workers from the last checkpoint on an unchanged folder",
            ShardFiles.describe(dir, ShardManifest.FILE_NAME), i, before.get(i).file(),
            i < now.size() ? now.get(i).file() : "gone", share.workers()));
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
