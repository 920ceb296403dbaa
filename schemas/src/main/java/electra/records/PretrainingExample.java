package electra.records;

import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Features;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One pre-training sequence as ELECTRA's {@code build_pretraining_dataset.py} stores it: a tf.Example with three
 * int64 features of length max_seq_length. Masking is dynamic, so no masked-LM features are stored. The same three
 * features are the model inputs of every other record kind ({@code electra.squad.QaRecord}).
 *
 * @param inputIds WordPiece ids: [CLS] A [SEP] (B [SEP]), then 0-padding
 * @param inputMask 1 for real tokens, 0 for padding
 * @param segmentIds 0 for [CLS], A and its [SEP]; 1 for B and the final [SEP]; 0 for padding
 */
public record PretrainingExample(int[] inputIds, int[] inputMask, int[] segmentIds) {

  public static final String INPUT_IDS = "input_ids";
  public static final String INPUT_MASK = "input_mask";
  public static final String SEGMENT_IDS = "segment_ids";

  /**
   * The feature names, in the order they are written. This is also their sorted order, so the bytes equal
   * protobuf's deterministic (key-sorted) serialization and the order Python's dict literal gives.
   */
  public static final List<String> FEATURE_NAMES = List.of(INPUT_IDS, INPUT_MASK, SEGMENT_IDS);

  /** Copies the arrays, so the example cannot change after it was checked. */
  public PretrainingExample {
    inputIds = checked(INPUT_IDS, inputIds).clone();
    inputMask = checked(INPUT_MASK, inputMask).clone();
    segmentIds = checked(SEGMENT_IDS, segmentIds).clone();
    if (inputIds.length == 0 || inputMask.length != inputIds.length || segmentIds.length != inputIds.length) {
      throw new IllegalArgumentException("input_ids, input_mask and segment_ids must have the same length "
          + "max_seq_length > 0, got " + inputIds.length + ", " + inputMask.length + " and " + segmentIds.length);
    }
    for (int i = 0; i < inputIds.length; i++) {
      if (inputIds[i] < 0 || segmentIds[i] < 0) {
        throw new IllegalArgumentException("negative id at position " + i + ": input_ids " + inputIds[i]
            + ", segment_ids " + segmentIds[i]);
      }
      if (inputMask[i] != 0 && inputMask[i] != 1) {
        throw new IllegalArgumentException("input_mask must be 0 or 1, got " + inputMask[i] + " at position " + i);
      }
    }
  }

  private static int[] checked(String name, int[] values) {
    if (values == null) {
      throw new IllegalArgumentException(name + " is missing (null)");
    }
    return values;
  }

  /** max_seq_length: the length of every feature. */
  public int length() {
    return inputIds.length;
  }

  @Override
  public int[] inputIds() {
    return inputIds.clone();
  }

  @Override
  public int[] inputMask() {
    return inputMask.clone();
  }

  @Override
  public int[] segmentIds() {
    return segmentIds.clone();
  }

  public Example toExample() {
    return Example.newBuilder()
        .setFeatures(Features.newBuilder()
            .putFeature(INPUT_IDS, Int64Features.of(inputIds))
            .putFeature(INPUT_MASK, Int64Features.of(inputMask))
            .putFeature(SEGMENT_IDS, Int64Features.of(segmentIds)))
        .build();
  }

  /** The serialized tf.Example: the payload of one TFRecord. */
  public byte[] toBytes() {
    return Int64Features.exampleBytes(FEATURE_NAMES, new int[][] {inputIds, inputMask, segmentIds});
  }

  /** Parses a serialized tf.Example; features other than the three are ignored, as TensorFlow's parser does. */
  public static PretrainingExample fromBytes(byte[] bytes) {
    return fromExample(Int64Features.parse(bytes));
  }

  public static PretrainingExample fromExample(Example example) {
    Map<String, Feature> features = example.getFeatures().getFeatureMap();
    return new PretrainingExample(
        ints(features, INPUT_IDS), ints(features, INPUT_MASK), ints(features, SEGMENT_IDS));
  }

  private static int[] ints(Map<String, Feature> features, String name) {
    return Int64Features.ints(features, name, "a pre-training example needs " + FEATURE_NAMES);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PretrainingExample other
        && Arrays.equals(inputIds, other.inputIds)
        && Arrays.equals(inputMask, other.inputMask)
        && Arrays.equals(segmentIds, other.segmentIds);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(inputIds) + Arrays.hashCode(inputMask)) + Arrays.hashCode(segmentIds);
  }

  @Override
  public String toString() {
    return "PretrainingExample[length=" + length() + ", input_ids=" + Arrays.toString(inputIds) + "]";
  }
}
