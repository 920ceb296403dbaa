package electra.trainer.model;

import java.util.List;
import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A fully connected layer {@code x·kernel + bias}, optionally followed by exact GELU, with TensorFlow's variable
 * names {@code <name>/kernel} [in, out] and {@code <name>/bias} [out]. Inputs of any rank are taken as rows over
 * their last axis.
 */
final class Dense {

  private static final float INV_SQRT2 = (float) (1 / Math.sqrt(2));

  private final Ops tf;
  private final Operand<TFloat32> kernel;
  private final Operand<TFloat32> bias;
  private final long out;
  private final boolean gelu;

  private Dense(ModelGraph g, String name, long in, long out, double stddev, boolean gelu) {
    this.tf = g.tf();
    this.kernel = g.variable(name + "/kernel", ModelGraph.Init.TRUNCATED_NORMAL, stddev, in, out);
    this.bias = g.variable(name + "/bias", ModelGraph.Init.ZEROS, 0, out);
    this.out = out;
    this.gelu = gelu;
  }

  static Dense linear(ModelGraph g, String name, long in, long out, double stddev) {
    return new Dense(g, name, in, out, stddev, false);
  }

  static Dense gelu(ModelGraph g, String name, long in, long out, double stddev) {
    return new Dense(g, name, in, out, stddev, true);
  }

  Operand<TFloat32> apply(Operand<TFloat32> x) {
    return onRows(tf, x, out, rows -> {
      Operand<TFloat32> y = tf.nn.biasAdd(tf.linalg.matMul(rows, kernel), bias);
      return gelu ? gelu(tf, y) : y;
    });
  }

  /** Exact GELU, 0.5·x·(1 + erf(x/√2)), as ELECTRA's "gelu" (not the tanh approximation). */
  static Operand<TFloat32> gelu(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> cdf = tf.math.mul(tf.constant(0.5f),
        tf.math.add(tf.constant(1f), tf.math.erf(tf.math.mul(x, tf.constant(INV_SQRT2)))));
    return tf.math.mul(x, cdf);
  }

  /**
   * Applies a function of a matrix [rows, features] to the last axis of {@code x} of any rank >= 2, giving
   * [..., outWidth]. MatMul only takes matrices; the reshapes are free at run time.
   */
  static Operand<TFloat32> onRows(Ops tf, Operand<TFloat32> x, long outWidth, UnaryOperator<Operand<TFloat32>> f) {
    int rank = x.shape().numDimensions();
    if (rank == 2) {
      return f.apply(x);
    }
    if (rank < 2) {
      throw new IllegalArgumentException("expected at least a matrix, got shape " + x.shape());
    }
    long width = x.shape().get(rank - 1);
    if (width < 0) {
      throw new IllegalArgumentException("the last axis must have a static size, got shape " + x.shape());
    }
    Operand<TFloat32> rows = tf.reshape(x, tf.constant(new int[] {-1, (int) width}));
    Operand<TInt32> leading = tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {rank - 1}));
    Operand<TInt32> shape = tf.concat(List.of(leading, tf.constant(new int[] {(int) outWidth})), tf.constant(0));
    return tf.reshape(f.apply(rows), shape);
  }
}
