package electra.trainer.model;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Layer normalisation over the last axis with learned {@code <name>/gamma} and {@code <name>/beta}, biased
 * variance and the config's epsilon inside the square root (1e-12 in every ELECTRA).
 */
final class LayerNorm {

  private final Ops tf;
  private final Operand<TFloat32> gamma;
  private final Operand<TFloat32> beta;
  private final float eps;

  LayerNorm(ModelGraph g, String name, long width, double eps) {
    this.tf = g.tf();
    this.gamma = g.variable(name + "/gamma", ModelGraph.Init.ONES, 0, width);
    this.beta = g.variable(name + "/beta", ModelGraph.Init.ZEROS, 0, width);
    this.eps = (float) eps;
  }

  Operand<TFloat32> apply(Operand<TFloat32> x) {
    Operand<TInt32> lastAxis = tf.constant(-1);
    Operand<TFloat32> mean = tf.math.mean(x, lastAxis, Mean.keepDims(true));
    Operand<TFloat32> variance = tf.math.mean(tf.math.squaredDifference(x, mean), lastAxis, Mean.keepDims(true));
    Operand<TFloat32> normalised = tf.math.mul(tf.math.sub(x, mean),
        tf.math.rsqrt(tf.math.add(variance, tf.constant(eps))));
    return tf.math.add(tf.math.mul(normalised, gamma), beta);
  }
}
