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
   * {@code segment_ids} zeros, then ones up to the last real token, then zeros; ids are vocabulary ids (not negative).
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
      if (mask[i] != expectedMask || segments[i] != expectedSegment || (i >= tokens && ids[i] != 0) || ids[i] < 0) {
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

  /**
   * The serialized tf.Example of a compact example: what {@link PretrainingExample#toBytes()} gives. Written from the
   * compact bytes directly: the tokens' varints are already protobuf's (non-negative ints), padding is zero bytes,
   * and the mask and segment ids are runs of one-byte 0s and 1s.
   */
  static byte[] toExampleBytes(byte[] compact) {
    int[] at = {0};
    int length = Varints.get(compact, at);
    int tokens = Varints.get(compact, at);
    int segmentB = Varints.get(compact, at);
    int tokensFrom = at[0];
    int tokenBytes = compact.length - tokensFrom;
    int padding = length - tokens;
    return Int64Features.exampleBytes(PretrainingExample.FEATURE_NAMES,
        new Int64Features.PackedVarints(tokenBytes + padding, (out, o) -> {
          System.arraycopy(compact, tokensFrom, out, o, tokenBytes);
          return fill(out, o + tokenBytes, padding, 0);
        }),
        new Int64Features.PackedVarints(length, (out, o) -> fill(out, fill(out, o, tokens, 1), padding, 0)),
        new Int64Features.PackedVarints(length,
            (out, o) -> fill(out, fill(out, fill(out, o, segmentB, 0), tokens - segmentB, 1), padding, 0)));
  }

  /** Writes {@code count} bytes of {@code value} at {@code at}; returns the position after them. */
  private static int fill(byte[] out, int at, int count, int value) {
    Arrays.fill(out, at, at + count, (byte) value);
    return at + count;
  }
}
