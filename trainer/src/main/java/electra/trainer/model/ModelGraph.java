package electra.trainer.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.random.RandomUniformInt;
import org.tensorflow.op.random.TruncatedNormal;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint16;

/**
 * What every layer of one model graph shares while it is built: the {@link Ops}, the variables (by their Google
 * checkpoint names), dropout and the seeds of random ops. One instance per {@link Graph}.
 *
 * <p>Variables are legacy {@code VariableV2} ops (the only kind {@code Session.save} writes) created with their
 * full slash-separated name directly, because {@code Ops.withSubScope} rescans the whole graph on every call and
 * uniquifies names ({@code electra_1}), which would break checkpoint names. Layers read a variable through an
 * {@code Identity}: gradients of some ops applied straight to a ref-typed variable crash TF Java 1.1.0.
 */
public final class ModelGraph {

  /** How a variable starts before any checkpoint or weight file is loaded. */
  public enum Init { TRUNCATED_NORMAL, ZEROS, ONES }

  /** One trainable variable: its checkpoint name, the variable op and the value layers compute with. */
  public record Parameter(String name, Shape shape, Variable<TFloat32> variable, Operand<TFloat32> value) {}

  private final Ops tf;
  private final Ops init;
  private final boolean training;
  private final PlaceholderWithDefault<TBool> dropoutOn;
  private final PlaceholderWithDefault<TInt64> stepSeed;
  private final long seed;
  private long randomOps;
  private final Map<String, Parameter> parameters = new LinkedHashMap<>();
  private final Map<String, Importer> importers = new HashMap<>();

  private ModelGraph(Graph graph, boolean training, long seed) {
    this.tf = Ops.create(graph);
    this.init = tf.withInitScope();
    this.training = training;
    this.seed = seed;
    this.dropoutOn = training
        ? tf.withName("dropout_on").placeholderWithDefault(tf.constant(true), Shape.scalar())
        : null;
    // Default: a fresh random key per run (stateful op). A trainer feeds its own key to make every step
    // reproducible from (seed, step) alone, which is what makes a resumed run continue bit for bit.
    this.stepSeed = training
        ? tf.withName("step_seed").placeholderWithDefault(tf.random.randomUniformInt(tf.constant(new int[] {2}),
            tf.constant(0L), tf.constant(Long.MAX_VALUE), RandomUniformInt.seed(seed), RandomUniformInt.seed2(0L)),
            Shape.of(2))
        : null;
  }

  /** A graph for inference and export: no dropout ops at all. */
  public static ModelGraph inference(Graph graph) {
    return new ModelGraph(graph, false, 0);
  }

  /**
   * A graph for training: dropout is applied wherever the config asks for it, and switched off for a run by
   * feeding {@code false} to {@link #dropoutOn()} (e.g. to evaluate on the training graph). {@code seed} fixes the
   * initial weights and, unless a {@link #stepSeed()} is fed, the sequence of dropout masks.
   */
  public static ModelGraph training(Graph graph, long seed) {
    return new ModelGraph(graph, true, seed);
  }

  public Ops tf() {
    return tf;
  }

  public boolean isTraining() {
    return training;
  }

  /** The scalar bool that switches dropout off when fed {@code false}; absent in inference graphs. */
  public PlaceholderWithDefault<TBool> dropoutOn() {
    if (dropoutOn == null) {
      throw new IllegalStateException("an inference graph has no dropout switch");
    }
    return dropoutOn;
  }

  /**
   * The int64 [2] key of every random op that runs per step (dropout, {@link #categorical}): random values are a
   * pure function of this key and the op, so feeding the same key gives the same masks. Absent in inference graphs.
   */
  public PlaceholderWithDefault<TInt64> stepSeed() {
    if (stepSeed == null) {
      throw new IllegalStateException("an inference graph has no step seed");
    }
    return stepSeed;
  }

  /**
   * One class per row of {@code logits} [R, C] drawn from softmax(logits), different for each call site and each fed
   * {@link #stepSeed()} (stateless: random op number i uses the key {@code stepSeed + [0, i << 32]}). TensorFlow's
   * categorical sampler draws one uniform a row (52 bits) against the row's cumulative probabilities in double
   * precision, where Gumbel-max draws a float and takes two logarithms for every class.
   */
  public Operand<TInt32> categorical(Operand<TFloat32> logits) {
    return tf.reshape(tf.random.statelessMultinomial(logits, tf.constant(1), nextKey(), TInt32.class),
        tf.constant(new int[] {-1}));
  }

  /**
   * Uniform 16-bit values of the given shape, keyed as {@link #categorical}: each 32-bit draw of the stateless
   * generator (Philox, whose draws cost more than the rest of dropout together) split in two.
   */
  private Operand<TUint16> uniformBits16(Operand<TInt32> shape) {
    Operand<TInt32> axis0 = tf.constant(0);
    Operand<TInt32> count = tf.reduceProd(shape, axis0);
    Operand<TInt32> pairs = tf.math.floorDiv(tf.math.add(count, tf.constant(1)), tf.constant(2));
    Operand<TInt32> words = tf.random.statelessRandomUniformFullInt(tf.expandDims(pairs, axis0), nextKey(),
        TInt32.class);
    Operand<TUint16> halves = tf.reshape(tf.bitcast(words, TUint16.class), tf.constant(new int[] {-1}));
    // an odd count leaves one half unused; an even one slices nothing
    return tf.reshape(tf.slice(halves, tf.constant(new int[] {0}), tf.expandDims(count, axis0)), shape);
  }

  private Operand<TInt64> nextKey() {
    return tf.math.add(stepSeed(), tf.constant(new long[] {0L, nextSeed() << 32}));
  }

  /** Every variable in creation order. */
  public List<Parameter> parameters() {
    return Collections.unmodifiableList(new ArrayList<>(parameters.values()));
  }

  public Parameter parameter(String name) {
    Parameter p = parameters.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no variable '" + name + "' in this model graph");
    }
    return p;
  }

  /**
   * Creates a float variable named exactly {@code name} (e.g. {@code electra/encoder/layer_0/output/dense/kernel}).
   * Creating the same name twice is a bug: shared weights are shared by sharing the layer object.
   */
  public Operand<TFloat32> variable(String name, Init how, double stddev, long... dims) {
    if (parameters.containsKey(name)) {
      throw new IllegalStateException("variable '" + name + "' is created twice");
    }
    Shape shape = Shape.of(dims);
    // fill, not Ops.zeros: the latter opens a sub-scope, which rescans the whole graph each time.
    Operand<TFloat32> initial = switch (how) {
      case ZEROS -> init.fill(init.constant(dims), init.constant(0f));
      case ONES -> init.fill(init.constant(dims), init.constant(1f));
      case TRUNCATED_NORMAL -> init.math.mul(
          init.random.truncatedNormal(init.constant(dims), TFloat32.class,
              TruncatedNormal.seed(seed), TruncatedNormal.seed2(nextSeed())),
          init.constant((float) stddev));
    };
    Variable<TFloat32> variable = new Variable<>(init.scope().env()
        .opBuilder(Variable.OP_NAME, name, init.scope())
        .setAttr("shape", shape)
        .setAttr("dtype", DataType.DT_FLOAT)
        .build());
    init.assign(variable, initial);
    Operand<TFloat32> value = tf.identity(variable);
    parameters.put(name, new Parameter(name, shape, variable, value));
    return value;
  }

  /**
   * Inverted dropout: keeps each value with probability 1 - rate, scaled by the inverse of that probability so that
   * the expected output is x. A value is kept where a 16-bit draw is at least rate·2¹⁶ rounded (rate 0.1: 58,982 of
   * 65,536 draws, 0.899994), and scaled by 2¹⁶ over that count: half the random bits of a float draw per value,
   * which made dropout about twice as fast (its time is the generator's).
   */
  public Operand<TFloat32> dropout(Operand<TFloat32> x, double rate) {
    if (!training || rate == 0) {
      return x;
    }
    long cut = Math.round(rate * 65536);
    if (rate < 0 || cut >= 65536) {
      throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
    }
    // switched off: every draw is >= 0 and the scale is 1, so x passes unchanged, bit for bit
    Operand<TUint16> threshold = tf.select(dropoutOn, tf.dtypes.cast(tf.constant((int) cut), TUint16.class),
        tf.dtypes.cast(tf.constant(0), TUint16.class));
    Operand<TFloat32> scale = tf.select(dropoutOn, tf.constant((float) (65536.0 / (65536 - cut))), tf.constant(1f));
    Operand<TBool> kept = tf.math.greaterEqual(uniformBits16(tf.shape(x)), threshold);
    return tf.math.mul(x, tf.math.mul(tf.dtypes.cast(kept, TFloat32.class), scale));
  }

  private long nextSeed() {
    return ++randomOps;
  }

  /** A placeholder and an assign op that overwrite one variable with a fed value, made on first use. */
  record Importer(Placeholder<TFloat32> value, Assign<TFloat32> assign) {}

  Importer importer(Parameter p) {
    return importers.computeIfAbsent(p.name(), n -> {
      Placeholder<TFloat32> value = tf.placeholder(TFloat32.class, Placeholder.shape(p.shape()));
      return new Importer(value, tf.assign(p.variable(), value));
    });
  }
}
