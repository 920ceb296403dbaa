package electra.pipelines.ingest;

import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the shards of one write are named: {@code pretrain_data.tfrecord-00003-of-00008} for a batch run, and
 * {@code pretrain_data.tfrecord-b00002-00003-of-00008} for the second batch of continuous ingestion, so that
 * appended shards never collide, sort after those listed before them, and all still match
 * {@code pretrain_data.tfrecord*}. Other record kinds name
 * their shards after their own stem ({@code squad_train.tfrecord-00000-of-00008}).
 *
 * @param prefix everything before {@code -NNNNN-of-MMMMM}
 * @param count how many shards the write makes
 */
public record ShardNames(String prefix, int count) implements Serializable {

  /** The file-name stem of every pre-training shard (ELECTRA's {@code build_pretraining_dataset.py} uses it too). */
  public static final String STEM = "pretrain_data.tfrecord";

  private static final Pattern WATCH_BATCH =
      Pattern.compile(Pattern.quote(STEM) + "-(?:b(\\d{5})|c(\\d{10}))-\\d{5}-of-\\d{5}");

  public ShardNames {
    if (count < 1) {
      throw new IllegalArgumentException("the number of shards must be at least 1, got " + count);
    }
    if (prefix.isEmpty() || prefix.contains("/")) {
      throw new IllegalArgumentException("shard names must start with a plain file name, got '" + prefix + "'");
    }
  }

  /** Pre-training shards of a one-off batch run. */
  public static ShardNames batch(int count) {
    return batch(STEM, count);
  }

  /** Shards of a one-off batch run, named after {@code stem}. */
  public static ShardNames batch(String stem, int count) {
    return new ShardNames(stem, count);
  }

  /**
   * Shards of the given batch of continuous ingestion (1, 2, ...). Names sort in batch order, so a manifest sorted by
   * name lists shards in the order they were ingested (trainers that follow a manifest deal shards by that order):
   * batches up to 99,999 are {@code b00001} ..., later ones {@code c0000100000} ..., which sort after every
   * {@code b} name.
   */
  public static ShardNames watchBatch(int batch, int count) {
    if (batch < 1) {
      throw new IllegalArgumentException("batches are numbered from 1, got " + batch);
    }
    String label = batch < 100_000 ? String.format("b%05d", batch) : String.format("c%010d", batch);
    return new ShardNames(STEM + "-" + label, count);
  }

  /** The batch of continuous ingestion a shard file name belongs to ({@link #watchBatch}); 0 for other names. */
  public static int watchBatchOf(String fileName) {
    Matcher m = WATCH_BATCH.matcher(fileName);
    return m.matches() ? Integer.parseInt(m.group(1) != null ? m.group(1) : m.group(2)) : 0;
  }

  public String name(int index) {
    return String.format("%s-%05d-of-%05d", prefix, index, count);
  }
}
