package electra.pipelines.ingest;

import electra.records.Int64Features;
import electra.records.PretrainingExample;
import java.util.Arrays;

/**
 * Pre-training examples as they travel through the shuffle to the shard writers: the real tokens only, as varints,
 * with the length, the token count and where segment B starts; {@link #toExampleBytes} turns them into the
 * tf.Example the shard holds. A phase-1 example is about 40% of its tf.Example's size (no padding, no mask, no
 * segment ids, no feature names), and the shuffle is the pipeline's largest copy: every record is serialized,
 * sorted, possibly spilled to disk and read back.
 */
final class CompactExamples {

  private CompactExamples() {}

  /**
   * The compact form of {@code e}, which must have the shape the packer gives: {@code input_mask} ones then zeros,
   * {@code segment_ids} zeros, then ones up to the last real token, then zeros.
   */
  static byte[] encode(PretrainingExample e) {
    int[] ids = e.inputIds();
    int[] mask = e.inputMask();
    int[] segments = e.segmentIds();
    int tokens = 0;
    while (tokens < mask.length && mask[tokens] == 1) {
      tokens++;
    }
    int segmentB = 0;
    while (segmentB < tokens && segments[segmentB] == 0) {
      segmentB++;
    }
    for (int i = 0; i < ids.length; i++) {
      int expectedMask = i < tokens ? 1 : 0;
      int expectedSegment = i >= segmentB && i < tokens ? 1 : 0;
      if (mask[i] != expectedMask || segments[i] != expectedSegment || (i >= tokens && ids[i] != 0)) {
        throw new IllegalArgumentException("not a packed pre-training example (position " + i + "): " + e);
      }
    }
    byte[] out = new byte[Varints.MAX_BYTES * (3 + tokens)];
    int at = Varints.put(out, 0, ids.length);
    at = Varints.put(out, at, tokens);
    at = Varints.put(out, at, segmentB);
    for (int i = 0; i < tokens; i++) {
      at = Varints.put(out, at, ids[i]);
    }
    return Arrays.copyOf(out, at);
  }

  /** The serialized tf.Example of a compact example: what {@link PretrainingExample#toBytes()} gives. */
  static byte[] toExampleBytes(byte[] compact) {
    int[] at = {0};
    int length = Varints.get(compact, at);
    int tokens = Varints.get(compact, at);
    int segmentB = Varints.get(compact, at);
    int[] ids = new int[length];
    int[] mask = new int[length];
    int[] segments = new int[length];
    for (int i = 0; i < tokens; i++) {
      ids[i] = Varints.get(compact, at);
      mask[i] = 1;
      segments[i] = i >= segmentB ? 1 : 0;
    }
    return Int64Features.exampleBytes(PretrainingExample.FEATURE_NAMES, new int[][] {ids, mask, segments});
  }
}
