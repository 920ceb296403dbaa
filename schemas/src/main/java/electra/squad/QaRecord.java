package electra.squad;

import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Features;
import electra.records.Int64Features;
import electra.records.PretrainingExample;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A SQuAD feature as a tf.Example in the TFRecords {@code PrepareSquad} writes. The names are those of BERT's
 * {@code run_squad.py} {@code FeatureWriter}, which NVIDIA's and most TF SQuAD readers expect: int64
 * {@code unique_ids}, {@code input_ids}, {@code input_mask}, {@code segment_ids}, and for training
 * {@code start_positions}, {@code end_positions}, {@code is_impossible}; every record also holds
 * {@code example_index}, the question's place in its file. (Google's ELECTRA names the same values
 * {@code squad_eid}, {@code squad_start_positions}, ... after its task name and adds a {@code task_id}.)
 *
 * <p>The unique id is Google's {@code squad_eid}: {@code 1000 * example_index + window_index}, so a prediction
 * finds its question and window without a lookup table, and any worker can number its features alone
 * (NVIDIA counts from 1,000,000,000 over the whole file instead). Hence at most 1000 windows per question: at
 * 384/128 that is a context of about 128,000 WordPieces.
 *
 * @param exampleIndex the question's position in its SQuAD file (every question counts, used or not)
 * @param windowIndex the window's position among the question's windows
 * @param inputs the model inputs, laid out and checked as in a pre-training record
 * @param label the training target; empty in records made for prediction
 */
public record QaRecord(int exampleIndex, int windowIndex, PretrainingExample inputs,
    Optional<QaFeature.Label> label) {

  /** Windows per question that unique ids can tell apart. */
  public static final int MAX_WINDOWS = 1000;

  public static final String UNIQUE_IDS = "unique_ids";
  public static final String EXAMPLE_INDEX = "example_index";
  public static final String START_POSITIONS = "start_positions";
  public static final String END_POSITIONS = "end_positions";
  public static final String IS_IMPOSSIBLE = "is_impossible";

  private static final String KIND = "a SQuAD feature needs " + UNIQUE_IDS + " and " + PretrainingExample.FEATURE_NAMES;

  public QaRecord {
    if (exampleIndex < 0) {
      throw new IllegalArgumentException("example index must not be negative, got " + exampleIndex);
    }
    if (windowIndex < 0 || windowIndex >= MAX_WINDOWS) {
      throw new IllegalArgumentException("question " + exampleIndex + " has window " + windowIndex + "; unique ids "
          + "(1000 * example_index + window) allow at most " + MAX_WINDOWS + " windows: shorten the context or "
          + "raise doc_stride");
    }
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(label, "label");
  }

  /** The record of a window of question number {@code exampleIndex}. */
  public static QaRecord of(QaFeature feature, int exampleIndex) {
    return new QaRecord(exampleIndex, feature.windowIndex(),
        new PretrainingExample(feature.inputIds(), feature.inputMask(), feature.segmentIds()), feature.label());
  }

  /** {@code 1000 * example_index + window_index}. */
  public long uniqueId() {
    return (long) MAX_WINDOWS * exampleIndex + windowIndex;
  }

  public Example toExample() {
    // Keys go in sorted order: the bytes then equal protobuf's deterministic serialization.
    Map<String, Feature> features = new TreeMap<>(inputs.toExample().getFeatures().getFeatureMap());
    features.put(UNIQUE_IDS, Int64Features.of(uniqueId()));
    features.put(EXAMPLE_INDEX, Int64Features.of(exampleIndex));
    label.ifPresent(l -> {
      features.put(START_POSITIONS, Int64Features.of(l.startPosition()));
      features.put(END_POSITIONS, Int64Features.of(l.endPosition()));
      features.put(IS_IMPOSSIBLE, Int64Features.of(l.isImpossible() ? 1 : 0));
    });
    return Example.newBuilder().setFeatures(Features.newBuilder().putAllFeature(features)).build();
  }

  /** The serialized tf.Example: the payload of one TFRecord. */
  public byte[] toBytes() {
    return toExample().toByteArray();
  }

  /** Parses a record; it has a label when it holds {@code start_positions}. */
  public static QaRecord fromBytes(byte[] bytes) {
    Example example = Int64Features.parse(bytes);
    Map<String, Feature> features = example.getFeatures().getFeatureMap();
    long uniqueId = Int64Features.scalar(features, UNIQUE_IDS, KIND);
    long exampleIndex = uniqueId / MAX_WINDOWS;
    if (features.containsKey(EXAMPLE_INDEX) && Int64Features.scalar(features, EXAMPLE_INDEX, KIND) != exampleIndex) {
      throw new IllegalArgumentException("unique id " + uniqueId + " does not belong to example_index "
          + Int64Features.scalar(features, EXAMPLE_INDEX, KIND));
    }
    Optional<QaFeature.Label> label = features.containsKey(START_POSITIONS)
        ? Optional.of(new QaFeature.Label(
            Math.toIntExact(Int64Features.scalar(features, START_POSITIONS, KIND)),
            Math.toIntExact(Int64Features.scalar(features, END_POSITIONS, KIND)),
            Int64Features.scalar(features, IS_IMPOSSIBLE, KIND) != 0))
        : Optional.empty();
    return new QaRecord(Math.toIntExact(exampleIndex), (int) (uniqueId % MAX_WINDOWS),
        PretrainingExample.fromExample(example), label);
  }
}
