package electra.trainer.model;

import electra.model.ElectraConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * One post-LayerNorm BERT layer: multi-head self-attention, then the GELU feed-forward network, each followed by
 * dropout, a residual connection and LayerNorm. Works on rows [B*T, H]; variable names are Google's
 * {@code <tower>/encoder/layer_<i>/...}.
 */
final class TransformerLayer {

  private static final int[] SWAP_TIME_AND_HEADS = {0, 2, 1, 3};

  private final ModelGraph g;
  private final ElectraConfig config;
  private final Dense query;
  private final Dense key;
  private final Dense value;
  private final Dense attentionOutput;
  private final LayerNorm attentionNorm;
  private final Dense intermediate;
  private final Dense output;
  private final LayerNorm outputNorm;

  TransformerLayer(ModelGraph g, String name, ElectraConfig c) {
    this.g = g;
    this.config = c;
    long h = c.hiddenSize();
    double std = c.initializerRange();
    this.query = Dense.linear(g, name + "/attention/self/query", h, h, std);
    this.key = Dense.linear(g, name + "/attention/self/key", h, h, std);
    this.value = Dense.linear(g, name + "/attention/self/value", h, h, std);
    this.attentionOutput = Dense.linear(g, name + "/attention/output/dense", h, h, std);
    this.attentionNorm = new LayerNorm(g, name + "/attention/output/LayerNorm", h, c.layerNormEps());
    this.intermediate = Dense.gelu(g, name + "/intermediate/dense", h, c.intermediateSize(), std);
    this.output = Dense.linear(g, name + "/output/dense", c.intermediateSize(), h, std);
    this.outputNorm = new LayerNorm(g, name + "/output/LayerNorm", h, c.layerNormEps());
  }

  /**
   * @param x rows [B*T, H]
   * @param maskAdder [B, 1, 1, T]: 0 for real keys, -10000 for padding keys
   * @param headShape the int32 vector [-1, T, heads, headSize]
   */
  Operand<TFloat32> apply(Operand<TFloat32> x, Operand<TFloat32> maskAdder, Operand<TInt32> headShape) {
    Ops tf = g.tf();
    Operand<TFloat32> q = heads(query.apply(x), headShape);
    Operand<TFloat32> k = heads(key.apply(x), headShape);
    Operand<TFloat32> v = heads(value.apply(x), headShape);
    Operand<TFloat32> scores = tf.math.mul(batchMatMul(q, k, true),
        tf.constant((float) (1 / Math.sqrt(config.headSize()))));
    Operand<TFloat32> probs = g.dropout(tf.nn.softmax(tf.math.add(scores, maskAdder)),
        config.attentionProbsDropoutProb());
    Operand<TFloat32> context = tf.reshape(
        tf.linalg.transpose(batchMatMul(probs, v, false), tf.constant(SWAP_TIME_AND_HEADS)),
        tf.constant(new int[] {-1, config.hiddenSize()}));
    Operand<TFloat32> attended = attentionNorm.apply(
        tf.math.add(g.dropout(attentionOutput.apply(context), config.hiddenDropoutProb()), x));
    Operand<TFloat32> ffn = output.apply(intermediate.apply(attended));
    return outputNorm.apply(tf.math.add(g.dropout(ffn, config.hiddenDropoutProb()), attended));
  }

  /**
   * x·y (y transposed where {@code adjointY}) over the leading axes, as a {@code BatchMatMulV2} node: TensorFlow's
   * CPU build runs V2 with oneDNN, but V3 (what {@code Ops.train.batchMatMul} makes) with Eigen, 6-9 times slower
   * on the attention's shapes (32 products of 128x128 by 128x64, forward and backward).
   */
  private Operand<TFloat32> batchMatMul(Operand<TFloat32> x, Operand<TFloat32> y, boolean adjointY) {
    Scope scope = g.tf().scope();
    return scope.env().opBuilder("BatchMatMulV2", scope.makeOpName("BatchMatMulV2"), scope)
        .addInput(x.asOutput()).addInput(y.asOutput()).setAttr("adj_x", false).setAttr("adj_y", adjointY).build()
        .output(0);
  }

  /** [B*T, H] -> [B, heads, T, headSize]. */
  private Operand<TFloat32> heads(Operand<TFloat32> rows, Operand<TInt32> headShape) {
    Ops tf = g.tf();
    return tf.linalg.transpose(tf.reshape(rows, headShape), tf.constant(SWAP_TIME_AND_HEADS));
  }
}
