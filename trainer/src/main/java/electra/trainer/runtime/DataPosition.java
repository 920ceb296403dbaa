package electra.trainer.runtime;

import java.util.List;
import java.util.Locale;

/**
 * Where the next record is: epoch, index into that epoch's shard order, record number and byte offset; how many
 * manifest entries were listed when the epoch started (its order is dealt from them, then from the entries listed
 * later: {@code ShardStream.epochOrder}; 0 when not recorded, as in {@link #START} and in older checkpoints: then the
 * entries listed when the stream opens); and the epoch's shard order itself (file names; null when not recorded:
 * then it is rebuilt from the seed, the count and the manifest).
 */
public record DataPosition(long epoch, int shardIndex, long record, long byteOffset, int listedAtEpochStart,
    List<String> order) {
  public static final DataPosition START = new DataPosition(0, 0, 0, 0, 0, null);

  public DataPosition {
    if (epoch < 0 || shardIndex < 0 || record < 0 || byteOffset < 0 || listedAtEpochStart < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "a data position has no negative values, got "
          + "epoch %d, shard index %d, record %d, byte offset %d, listed at epoch start %d: the checkpoint that "
          + "holds it is damaged", epoch, shardIndex, record, byteOffset, listedAtEpochStart));
    }
    order = order == null ? null : List.copyOf(order); // a no-op for the lists this class makes
  }
}
