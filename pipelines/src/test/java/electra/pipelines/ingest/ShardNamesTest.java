package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardNamesTest {

  @Test
  void batchShardsSortInIngestionOrderPastTheFiveDigitBatches() {
    List<String> inOrder = new ArrayList<>();
    inOrder.add(ShardNames.batch(2).name(1));
    for (int batch : new int[] {1, 2, 10, 99_998, 99_999, 100_000, 100_001, 1_000_000, Integer.MAX_VALUE}) {
      ShardNames names = ShardNames.watchBatch(batch, 12);
      for (int shard = 0; shard < 12; shard++) {
        inOrder.add(names.name(shard));
      }
    }
    List<String> sorted = new ArrayList<>(inOrder);
    sorted.sort(null);
    assertEquals(inOrder, sorted);
    assertEquals("pretrain_data.tfrecord-b00007-00003-of-00008", ShardNames.watchBatch(7, 8).name(3));
    assertEquals("pretrain_data.tfrecord-c0000100000-00000-of-00001", ShardNames.watchBatch(100_000, 1).name(0));
    assertTrue(inOrder.stream().allMatch(n -> n.startsWith(ShardNames.STEM)));
    assertThrows(IllegalArgumentException.class, () -> ShardNames.watchBatch(0, 1));
  }
}
