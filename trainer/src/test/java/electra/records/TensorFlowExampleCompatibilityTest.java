package electra.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.Example;
import org.tensorflow.proto.Feature;
import org.tensorflow.proto.Features;
import org.tensorflow.proto.Int64List;

/**
 * The schemas module's own tf.Example classes against TensorFlow Java's {@code org.tensorflow.proto.Example}.
 *
 * <p>What this pins down: protobuf-java writes map entries in insertion order (it sorts keys only under
 * deterministic serialization), for both sets of generated classes. {@link PretrainingExample} inserts
 * input_ids, input_mask, segment_ids, which is also the sorted order, so its bytes equal TensorFlow's when TensorFlow's
 * builder gets the keys in that order, and equal both libraries' deterministic bytes whatever the order.
 */
class TensorFlowExampleCompatibilityTest {

  private static final int MAX_SEQ_LENGTH = 128;

  /** [CLS] segment A [SEP] segment B [SEP], zero-padded to 128; ids above 127 need multi-byte varints. */
  private static final PretrainingExample SAMPLE = sample();

  private static PretrainingExample sample() {
    int[] a = {1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012};
    int[] b = {2009, 2001, 1037, 29611, 2154, 1010, 100, 103, 1012};
    int[] ids = new int[MAX_SEQ_LENGTH];
    int[] mask = new int[MAX_SEQ_LENGTH];
    int[] segments = new int[MAX_SEQ_LENGTH];
    int n = 0;
    ids[n++] = 101;
    for (int id : a) {
      ids[n++] = id;
    }
    ids[n++] = 102;
    int bStart = n;
    for (int id : b) {
      ids[n++] = id;
    }
    ids[n++] = 102;
    Arrays.fill(mask, 0, n, 1);
    Arrays.fill(segments, bStart, n, 1);
    return new PretrainingExample(ids, mask, segments);
  }

  @Test
  void sameBytesAsTensorFlowsBuilderInPythonsKeyOrder() {
    byte[] ours = SAMPLE.toBytes();
    byte[] theirs = tensorFlowExample(PretrainingExample.FEATURE_NAMES).toByteArray();

    assertArrayEquals(theirs, ours);
    assertArrayEquals(ours, SAMPLE.toBytes(), "serializing twice gives the same bytes");
    assertArrayEquals(theirs, tensorFlowExample(PretrainingExample.FEATURE_NAMES).toByteArray());
  }

  @Test
  void eachParsesTheOthersBytes() throws IOException {
    Example theirs = tensorFlowExample(PretrainingExample.FEATURE_NAMES);

    assertEquals(theirs, Example.parseFrom(SAMPLE.toBytes()));
    assertEquals(SAMPLE, PretrainingExample.fromBytes(theirs.toByteArray()));
  }

  @Test
  void keyOrderChangesPlainBytesButNotDeterministicOnes() throws IOException {
    Example reversed = tensorFlowExample(List.of("segment_ids", "input_mask", "input_ids"));

    assertFalse(Arrays.equals(SAMPLE.toBytes(), reversed.toByteArray()),
        "plain serialization follows insertion order");
    assertEquals(SAMPLE, PretrainingExample.fromBytes(reversed.toByteArray()));
    assertArrayEquals(SAMPLE.toBytes(), deterministic(reversed));
    assertArrayEquals(SAMPLE.toBytes(), deterministic(SAMPLE.toExample()));
  }

  /** TensorFlow's Example for SAMPLE, with the features put into the map in {@code order}. */
  private static Example tensorFlowExample(List<String> order) {
    Features.Builder features = Features.newBuilder();
    for (String name : order) {
      int[] values = switch (name) {
        case PretrainingExample.INPUT_IDS -> SAMPLE.inputIds();
        case PretrainingExample.INPUT_MASK -> SAMPLE.inputMask();
        case PretrainingExample.SEGMENT_IDS -> SAMPLE.segmentIds();
        default -> throw new IllegalArgumentException(name);
      };
      Int64List.Builder list = Int64List.newBuilder();
      Arrays.stream(values).forEach(list::addValue);
      features.putFeature(name, Feature.newBuilder().setInt64List(list).build());
    }
    return Example.newBuilder().setFeatures(features).build();
  }

  private static byte[] deterministic(MessageLite message) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    message.writeTo(out);
    out.flush();
    return bytes.toByteArray();
  }
}
