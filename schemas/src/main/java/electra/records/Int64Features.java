package electra.records;

import com.google.protobuf.InvalidProtocolBufferException;
import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Int64List;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

  /**
   * A serialized tf.Example of int64 features, written directly: byte for byte what protobuf's {@code toByteArray()}
   * gives for an Example built with the features in this order (protobuf writes a map in insertion order unless asked
   * to be deterministic). Ingest writes millions of records; building protobuf messages for each cost a fifth of
   * its CPU time.
   */
  public static byte[] exampleBytes(List<String> names, int[][] values) {
    PackedVarints[] features = new PackedVarints[values.length];
    for (int f = 0; f < values.length; f++) {
      features[f] = packed(values[f]);
    }
    return exampleBytes(names, features);
  }

  /** Writes varints at {@code at} in {@code out}; returns the position after them. */
  @FunctionalInterface
  public interface VarintWriter {
    int writeTo(byte[] out, int at);
  }

  /**
   * The values of one int64 feature as the varints of a packed {@code Int64List}: how many bytes they take, and
   * what writes them. Lets a caller that already holds the varints (or knows their simple shape) skip the per-value
   * work.
   */
  public record PackedVarints(int size, VarintWriter writer) {}

  /** {@link #exampleBytes(List, int[][])} with the features' varints given as such. */
  public static byte[] exampleBytes(List<String> names, PackedVarints... features) {
    int count = names.size();
    if (features.length != count) {
      throw new IllegalArgumentException(count + " feature names for " + features.length + " features");
    }
    byte[][] keys = new byte[count][];
    int[] packed = new int[count]; // bytes of each feature's varints, counted once
    int[] entrySizes = new int[count];
    int featuresSize = 0;
    for (int f = 0; f < count; f++) {
      keys[f] = names.get(f).getBytes(StandardCharsets.UTF_8);
      packed[f] = features[f].size();
      int feature = featureSize(packed[f]);
      entrySizes[f] = 1 + varintSize(keys[f].length) + keys[f].length + 1 + varintSize(feature) + feature;
      featuresSize += 1 + varintSize(entrySizes[f]) + entrySizes[f]; // Features field 1: map<string, Feature>
    }
    byte[] out = new byte[1 + varintSize(featuresSize) + featuresSize];
    int at = 0;
    out[at++] = 0x0A; // Example field 1: features
    at = putVarint(out, at, featuresSize);
    for (int f = 0; f < count; f++) {
      out[at++] = 0x0A; // Features field 1: one map entry
      at = putVarint(out, at, entrySizes[f]);
      out[at++] = 0x0A; // entry field 1: key
      at = putVarint(out, at, keys[f].length);
      System.arraycopy(keys[f], 0, out, at, keys[f].length);
      at += keys[f].length;
      out[at++] = 0x12; // entry field 2: value, a Feature
      at = putVarint(out, at, featureSize(packed[f]));
      out[at++] = 0x1A; // Feature field 3: int64_list
      at = putVarint(out, at, 1 + varintSize(packed[f]) + packed[f]);
      out[at++] = 0x0A; // Int64List field 1: value, packed
      at = putVarint(out, at, packed[f]);
      int end = features[f].writer().writeTo(out, at);
      if (end - at != packed[f]) {
        throw new IllegalStateException("feature '" + names.get(f) + "' wrote " + (end - at) + " bytes of varints, "
            + "it said " + packed[f]);
      }
      at = end;
    }
    return out;
  }

  private static PackedVarints packed(int[] values) {
    int size = 0;
    for (int v : values) {
      size += varintSize(v);
    }
    return new PackedVarints(size, (out, at) -> {
      for (int v : values) {
        at = putVarint(out, at, v);
      }
      return at;
    });
  }

  /** A Feature holding an Int64List (field 3) around {@code packed} bytes of varints (its field 1). */
  private static int featureSize(int packed) {
    int int64List = 1 + varintSize(packed) + packed;
    return 1 + varintSize(int64List) + int64List;
  }

  /** Bytes of an int64 varint: negative values take ten, as protobuf sign-extends them. */
  private static int varintSize(long v) {
    return v < 0 ? 10 : (63 - Long.numberOfLeadingZeros(v | 1)) / 7 + 1;
  }

  private static int putVarint(byte[] out, int at, long v) {
    while ((v & ~0x7FL) != 0) {
      out[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
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
