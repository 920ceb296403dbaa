package electra.trainer.model;

import electra.model.ElectraConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The sentence (pair) classification head of Hugging Face's {@code ElectraForSequenceClassification}
 * ({@code ElectraClassificationHead}): the first token's ([CLS]) final hidden state, dropout, a dense H->H layer
 * with GELU, dropout, then {@code out_proj} H->labels (one output for regression). Variables
 * {@code classifier/dense/{kernel,bias}} and {@code classifier/out_proj/{kernel,bias}}, which {@link WeightNames}
 * maps to Hugging Face's {@code classifier.dense.*} and {@code classifier.out_proj.*}, so a fine-tuned model means
 * the same in {@code transformers}. (Google's code has only dropout and one dense layer on [CLS]; the extra layer
 * is the price of that compatibility and does not change what the encoder learns.)
 */
public final class ClassificationHead {

  public static final String SCOPE = "classifier";

  private final ModelGraph g;
  private final Ops tf;
  private final Dense dense;
  private final Dense outProj;
  private final double dropout;

  public ClassificationHead(ModelGraph g, ElectraConfig config, int outputs) {
    this.g = g;
    this.tf = g.tf();
    this.dense = Dense.gelu(g, SCOPE + "/dense", config.hiddenSize(), config.hiddenSize(),
        config.initializerRange());
    this.outProj = Dense.linear(g, SCOPE + "/out_proj", config.hiddenSize(), outputs, config.initializerRange());
    this.dropout = config.hiddenDropoutProb();
  }

  /** Logits [B, outputs] from the encoder's output [B, T, H]. */
  public Operand<TFloat32> logits(Operand<TFloat32> hidden) {
    Operand<TFloat32> first = tf.gather(hidden, tf.constant(0), tf.constant(1)); // [CLS]: position 0
    Operand<TFloat32> x = dense.apply(g.dropout(first, dropout));
    return outProj.apply(g.dropout(x, dropout));
  }
}
