package electra.trainer.model;

import electra.model.ElectraConfig;
import org.tensorflow.Operand;
import org.tensorflow.types.TFloat32;

/**
 * The token classification head of Hugging Face's {@code ElectraForTokenClassification}: dropout on every token's
 * final hidden state, then one dense layer H->labels. Variables {@code classifier/kernel} and {@code classifier/bias},
 * which {@link WeightNames} maps to Hugging Face's {@code classifier.weight} and {@code classifier.bias} (the
 * sequence classifier's layers are {@code classifier/dense} and {@code classifier/out_proj}, so a file of one head
 * never fills the other). Google's tagging head is the same dense layer, without the dropout.
 */
public final class TokenClassificationHead {

  public static final String SCOPE = ClassificationHead.SCOPE;

  /** The dense layer's weight matrix, by which a graph or a file is known to hold this head. */
  public static final String KERNEL = SCOPE + "/kernel";

  private final ModelGraph g;
  private final Dense dense;
  private final double dropout;

  public TokenClassificationHead(ModelGraph g, ElectraConfig config, int labels) {
    this.g = g;
    this.dense = Dense.linear(g, SCOPE, config.hiddenSize(), labels, config.initializerRange());
    this.dropout = config.hiddenDropoutProb();
  }

  /** Logits [B, T, labels] from the encoder's output [B, T, H]. */
  public Operand<TFloat32> logits(Operand<TFloat32> hidden) {
    return dense.apply(g.dropout(hidden, dropout));
  }
}
