package electra.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import electra.proto.BytesList;
import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Features;
import electra.proto.Int64List;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainingExampleTest {

  /** [CLS] a b [SEP] c [SEP] then padding to 8, with ids above 127 so varints take two or more bytes. */
  private static final PretrainingExample SAMPLE = new PretrainingExample(
      new int[] {101, 7592, 2088, 102, 29999, 102, 0, 0},
      new int[] {1, 1, 1, 1, 1, 1, 0, 0},
      new int[] {0, 0, 0, 0, 1, 1, 0, 0});

  @Test
  void roundTripsThroughBytes() {
    PretrainingExample back = PretrainingExample.fromBytes(SAMPLE.toBytes());

    assertEquals(SAMPLE, back);
    assertEquals(SAMPLE.hashCode(), back.hashCode());
    assertArrayEquals(new int[] {101, 7592, 2088, 102, 29999, 102, 0, 0}, back.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 0, 0}, back.inputMask());
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 0, 0}, back.segmentIds());
    assertEquals(8, back.length());
  }

  @Test
  void writesTheThreeInt64FeaturesInSortedOrder() throws IOException {
    Example example = SAMPLE.toExample();

    assertEquals(List.of("input_ids", "input_mask", "segment_ids"),
        new ArrayList<>(example.getFeatures().getFeatureMap().keySet()));
    assertEquals(List.of(0L, 0L, 0L, 0L, 1L, 1L, 0L, 0L),
        example.getFeatures().getFeatureOrThrow("segment_ids").getInt64List().getValueList());
    // Deterministic serialization sorts map keys; insertion order already is sorted, so the bytes agree.
    ByteArrayOutputStream sorted = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(sorted);
    out.useDeterministicSerialization();
    example.writeTo(out);
    out.flush();
    assertArrayEquals(sorted.toByteArray(), SAMPLE.toBytes());
  }

  @Test
  void handWrittenBytesEqualProtobufsForAnyValues() {
    SplittableRandom random = new SplittableRandom(5);
    List<String> names = List.of("input_ids", "input_mask", "segment_ids", "unicode_ключ");
    for (int trial = 0; trial < 500; trial++) {
      int length = 1 + random.nextInt(600); // packed lists longer than 127 bytes take two-byte lengths
      int[][] values = new int[names.size()][length];
      Features.Builder features = Features.newBuilder();
      for (int f = 0; f < names.size(); f++) {
        for (int i = 0; i < length; i++) {
          // small ids, ids needing up to five varint bytes, and negatives (ten bytes, sign-extended)
          values[f][i] = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(128);
            case 1 -> random.nextInt(1 << 30);
            case 2 -> -1 - random.nextInt(1000);
            default -> random.nextInt(30522);
          };
        }
        features.putFeature(names.get(f), Int64Features.of(values[f]));
      }
      byte[] protobuf = Example.newBuilder().setFeatures(features).build().toByteArray();
      assertArrayEquals(protobuf, Int64Features.exampleBytes(names, values), "trial " + trial);
    }
  }

  @Test
  void givenVarintsMustBeAsLongAsTheySay() {
    Int64Features.PackedVarints oneByteShort = new Int64Features.PackedVarints(3, (out, at) -> at + 2);
    assertEquals("feature 'input_ids' wrote 2 bytes of varints, it said 3", assertThrows(IllegalStateException.class,
        () -> Int64Features.exampleBytes(List.of("input_ids"), oneByteShort)).getMessage());
    assertEquals("2 feature names for 1 features", assertThrows(IllegalArgumentException.class,
        () -> Int64Features.exampleBytes(List.of("a", "b"), oneByteShort)).getMessage());
  }

  @Test
  void isImmutable() {
    int[] ids = {101, 102};
    PretrainingExample example = new PretrainingExample(ids, new int[] {1, 1}, new int[] {0, 0});
    ids[0] = 5;
    example.inputIds()[1] = 5;
    assertArrayEquals(new int[] {101, 102}, example.inputIds());
  }

  @Test
  void refusesInconsistentArrays() {
    assertMessage("same length max_seq_length > 0, got 2, 1 and 2",
        () -> new PretrainingExample(new int[] {1, 2}, new int[] {1}, new int[] {0, 0}));
    assertMessage("got 0, 0 and 0", () -> new PretrainingExample(new int[0], new int[0], new int[0]));
    assertMessage("input_mask must be 0 or 1, got 2 at position 1",
        () -> new PretrainingExample(new int[] {1, 2}, new int[] {1, 2}, new int[] {0, 0}));
    assertMessage("negative id at position 0: input_ids -1",
        () -> new PretrainingExample(new int[] {-1}, new int[] {1}, new int[] {0}));
    assertMessage("segment_ids is missing", () -> new PretrainingExample(new int[] {1}, new int[] {1}, null));
  }

  @Test
  void refusesAnExampleWithoutAllThreeFeatures() {
    Example noMask = SAMPLE.toExample().toBuilder()
        .setFeatures(SAMPLE.toExample().getFeatures().toBuilder().removeFeature("input_mask"))
        .build();

    assertMessage("tf.Example has no feature 'input_mask' (it has [input_ids, segment_ids]); a pre-training "
        + "example needs [input_ids, input_mask, segment_ids]",
        () -> PretrainingExample.fromBytes(noMask.toByteArray()));
  }

  @Test
  void refusesWrongFeatureKindsAndValues() {
    Feature text = Feature.newBuilder()
        .setBytesList(BytesList.newBuilder().addValue(ByteString.copyFromUtf8("a")))
        .build();
    assertMessage("feature 'input_ids' holds BYTES_LIST, expected INT64_LIST",
        () -> PretrainingExample.fromExample(withFeature("input_ids", text)));

    Feature huge = Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(1L << 32)).build();
    assertMessage("feature 'segment_ids' value 4294967296 at position 0 does not fit an int",
        () -> PretrainingExample.fromExample(withFeature("segment_ids", huge)));

    assertMessage("not a serialized tf.Example", () -> PretrainingExample.fromBytes(new byte[] {0x0A, 0x05, 0x01}));
  }

  @Test
  void travelsThroughATfRecordFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("pretrain_data.tfrecord-00000-of-00001");
    PretrainingExample single = new PretrainingExample(new int[] {101, 102}, new int[] {1, 1}, new int[] {0, 0});
    try (TfRecordWriter writer = TfRecordWriter.create(file)) {
      writer.write(SAMPLE.toBytes());
      writer.write(single.toBytes());
    }
    List<PretrainingExample> read = new ArrayList<>();
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      reader.forEach(r -> read.add(PretrainingExample.fromBytes(r)));
    }
    assertEquals(List.of(SAMPLE, single), read);
    assertNotEquals(SAMPLE, single);
  }

  private static Example withFeature(String name, Feature feature) {
    Features features = SAMPLE.toExample().getFeatures().toBuilder().putFeature(name, feature).build();
    return Example.newBuilder().setFeatures(features).build();
  }

  private static void assertMessage(String expectedPart, Runnable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action::run);
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }
}
