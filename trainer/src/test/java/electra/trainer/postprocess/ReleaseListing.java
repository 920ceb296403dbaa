package electra.trainer.postprocess;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.Predicate;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TString;

/**
 * One of the listings in {@code src/test/resources/released-checkpoints/} (see the README there): every tensor a
 * released checkpoint holds, by name, shape and type, written down from the upstream code and published listings
 * rather than from this project's writer. Tests write bundles of exactly these names, scaled down.
 */
record ReleaseListing(String release, List<Tensor> tensors) {

  /** A listed tensor. */
  record Tensor(String name, Shape shape, DataType dtype) {}

  /** The listings' type names, as TensorFlow's Python API writes them. */
  private static final Map<String, DataType> TYPES = Map.of("float32", DataType.DT_FLOAT, "int64",
      DataType.DT_INT64, "int32", DataType.DT_INT32, "bool", DataType.DT_BOOL);

  static ReleaseListing load(String release) throws IOException {
    try (InputStream in = ReleaseListing.class.getResourceAsStream("/released-checkpoints/" + release + ".tsv")) {
      if (in == null) {
        throw new IOException("no listing released-checkpoints/" + release + ".tsv");
      }
      List<Tensor> tensors = new ArrayList<>();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] f = line.split("\t");
        String dims = f[1].substring(1, f[1].length() - 1).trim();
        long[] shape = dims.isEmpty() ? new long[0]
            : Arrays.stream(dims.split(",")).mapToLong(d -> Long.parseLong(d.trim())).toArray();
        tensors.add(new Tensor(f[0], Shape.of(shape), TYPES.get(f[2])));
      }
      return new ReleaseListing(release, tensors);
    }
  }

  Tensor get(String name) {
    return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(release + " lists no " + name));
  }

  /**
   * The same names with every dimension found in {@code widths} replaced (a released width by a tiny one); the
   * others (vocabulary, positions, segments, the one-unit output) are kept.
   */
  ReleaseListing scaled(Map<Long, Long> widths) {
    return new ReleaseListing(release + " scaled", tensors.stream().map(t -> new Tensor(t.name(),
        Shape.of(Arrays.stream(t.shape().asArray()).map(d -> widths.getOrDefault(d, d)).toArray()), t.dtype()))
        .toList());
  }

  ReleaseListing without(Predicate<String> names) {
    return new ReleaseListing(release, tensors.stream().filter(t -> !names.test(t.name())).toList());
  }

  ReleaseListing with(List<Tensor> more) {
    List<Tensor> all = new ArrayList<>(tensors);
    all.addAll(more);
    return new ReleaseListing(release, all);
  }

  /**
   * Google's {@code run_pretraining.py} checkpoints: the listed float weights, each with its {@code adam_m} and
   * {@code adam_v} slot of the same shape ({@code model/optimization.py}).
   */
  ReleaseListing withAdamSlots() {
    List<Tensor> slots = new ArrayList<>();
    for (Tensor t : tensors) {
      if (t.dtype() == DataType.DT_FLOAT) {
        slots.add(new Tensor(t.name() + "/adam_m", t.shape(), t.dtype()));
        slots.add(new Tensor(t.name() + "/adam_v", t.shape(), t.dtype()));
      }
    }
    return with(slots);
  }

  /** The float values written for a tensor: a fixed pseudo-random function of its name. */
  static float[] values(String name, Shape shape) {
    Random random = new Random(name.hashCode());
    float[] v = new float[(int) shape.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian() * 0.02f;
    }
    return v;
  }

  /** Writes every listed tensor under its name ({@link #values} for floats, 7 for counters, true for flags). */
  void write(Path prefix) {
    write(prefix, Map.of(), Tensor::name);
  }

  /**
   * Writes every listed tensor under {@code keyOf(tensor)}, plus the given string scalars (an object graph) under
   * their keys.
   */
  void write(Path prefix, Map<String, byte[]> strings, Function<Tensor, String> keyOf) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Map<String, Operand<?>> byKey = new LinkedHashMap<>();
      List<TString> owned = new ArrayList<>();
      for (Tensor t : tensors) {
        byKey.put(keyOf.apply(t), switch (t.dtype()) {
          case DT_FLOAT -> tf.constant(t.shape(), DataBuffers.of(values(t.name(), t.shape()), true, false));
          case DT_INT64 -> tf.constant(7L);
          case DT_INT32 -> tf.constant(7);
          case DT_BOOL -> tf.constant(true);
          default -> throw new IllegalArgumentException("no test value for " + t);
        });
      }
      strings.forEach((key, bytes) -> {
        TString value = TString.tensorOfBytes(NdArrays.scalarOfObject(bytes));
        owned.add(value);
        byKey.put(key, tf.constantOf(value));
      });
      List<String> keys = new ArrayList<>(byKey.keySet());
      s.runner().addTarget(tf.train.save(tf.constant(prefix.toString()),
          tf.constant(NdArrays.vectorOfObjects(keys.toArray(String[]::new))),
          tf.constant(NdArrays.vectorOfObjects(keys.stream().map(k -> "").toArray(String[]::new))),
          keys.stream().map(byKey::get).toList())).run().close();
      owned.forEach(TString::close);
    }
  }
}
