package electra.records;

import com.google.protobuf.InvalidProtocolBufferException;
import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Int64List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reading and writing the int64 features of tf.Example records, as TensorFlow's {@code tf.train.Int64List} holds
 * them: every feature of this project's records is one. Reading checks what TensorFlow's parser would check
 * (the feature is there and holds int64s) and that the values fit the Java type asked for.
 */
public final class Int64Features {

  private Int64Features() {}

  public static Feature of(int... values) {
    Int64List.Builder list = Int64List.newBuilder();
    for (int v : values) {
      list.addValue(v);
    }
    return Feature.newBuilder().setInt64List(list).build();
  }

  public static Feature of(long value) {
    return Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(value)).build();
  }

  /** Parses a serialized tf.Example. */
  public static Example parse(byte[] bytes) {
    try {
      return Example.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a serialized tf.Example: " + e.getMessage(), e);
    }
  }

  /**
   * The values of feature {@code name} as ints; {@code kind} says what record was expected (e.g. "a pre-training
   * example needs [input_ids, ...]") when the feature is missing.
   */
  public static int[] ints(Map<String, Feature> features, String name, String kind) {
    Int64List values = values(features, name, kind);
    int[] out = new int[values.getValueCount()];
    for (int i = 0; i < out.length; i++) {
      long v = values.getValue(i);
      if (v != (int) v) {
        throw new IllegalArgumentException("feature '" + name + "' value " + v + " at position " + i
            + " does not fit an int");
      }
      out[i] = (int) v;
    }
    return out;
  }

  /** The single value of a scalar feature. */
  public static long scalar(Map<String, Feature> features, String name, String kind) {
    Int64List values = values(features, name, kind);
    if (values.getValueCount() != 1) {
      throw new IllegalArgumentException("feature '" + name + "' must hold one value, got " + values.getValueCount());
    }
    return values.getValue(0);
  }

  private static Int64List values(Map<String, Feature> features, String name, String kind) {
    Feature feature = features.get(name);
    if (feature == null) {
      throw new IllegalArgumentException("tf.Example has no feature '" + name + "' (it has "
          + new TreeSet<>(features.keySet()) + "); " + kind);
    }
    if (feature.getKindCase() != Feature.KindCase.INT64_LIST) {
      throw new IllegalArgumentException("feature '" + name + "' holds " + feature.getKindCase()
          + ", expected INT64_LIST");
    }
    return feature.getInt64List();
  }
}
