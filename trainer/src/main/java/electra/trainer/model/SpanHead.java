package electra.trainer.model;

import electra.model.ElectraConfig;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Unstack;
import org.tensorflow.types.TFloat32;

/**
 * The simple extractive-QA head (Hugging Face's {@code qa_outputs}): one dense H->2 giving independent start and
 * end logits per token. Google's code has no such layer (its heads are two H->1 denses or the joint head), so the
 * variables take the name TF ports of the Hugging Face model use: {@code qa_outputs/kernel} [H, 2] and
 * {@code qa_outputs/bias}. No masking here: the decoder restricts spans to the context.
 */
public final class SpanHead {

  public static final String SCOPE = "qa_outputs";

  /** Start and end logits, each [B, T]. */
  public record Logits(Operand<TFloat32> start, Operand<TFloat32> end) {}

  private final Ops tf;
  private final Dense dense;

  public SpanHead(ModelGraph g, ElectraConfig config) {
    this.tf = g.tf();
    this.dense = Dense.linear(g, SCOPE, config.hiddenSize(), 2, config.initializerRange());
  }

  public Logits logits(Operand<TFloat32> hidden) {
    List<Output<TFloat32>> startEnd = tf.unstack(dense.apply(hidden), 2L, Unstack.axis(-1L)).output();
    return new Logits(startEnd.get(0), startEnd.get(1));
  }
}
