package electra.trainer.model;

import electra.model.ElectraConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.types.TFloat32;

/**
 * Replaced-token detection: dense H->H with GELU, then dense H->1, one logit per token (positive = "replaced").
 * Google's names {@code discriminator_predictions/dense} and {@code discriminator_predictions/dense_1}.
 */
public final class DiscriminatorHead {

  public static final String SCOPE = "discriminator_predictions";

  private final ModelGraph g;
  private final Dense dense;
  private final Dense prediction;

  public DiscriminatorHead(ModelGraph g, ElectraConfig config) {
    this.g = g;
    long h = config.hiddenSize();
    this.dense = Dense.gelu(g, SCOPE + "/dense", h, h, config.initializerRange());
    this.prediction = Dense.linear(g, SCOPE + "/dense_1", h, 1, config.initializerRange());
  }

  /** Logits [B, T] from the discriminator's hidden states [B, T, H]. */
  public Operand<TFloat32> logits(Operand<TFloat32> hidden) {
    return g.tf().squeeze(prediction.apply(dense.apply(hidden)), Squeeze.axis(new Long[] {-1L}));
  }
}
