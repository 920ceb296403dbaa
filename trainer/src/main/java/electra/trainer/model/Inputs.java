package electra.trainer.model;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TInt32;

/**
 * The three int32 inputs of every ELECTRA graph, [batch, length] with both dimensions dynamic, named as in
 * ELECTRA's records: token ids, 1 for real tokens and 0 for padding, and segment (token type) ids.
 */
public record Inputs(Placeholder<TInt32> inputIds, Placeholder<TInt32> inputMask, Placeholder<TInt32> segmentIds) {

  public static Inputs placeholders(Ops tf) {
    return new Inputs(placeholder(tf, "input_ids"), placeholder(tf, "input_mask"), placeholder(tf, "segment_ids"));
  }

  // A known rank keeps grappler's cost model quiet (it warns on unknown-rank placeholders).
  private static Placeholder<TInt32> placeholder(Ops tf, String name) {
    return tf.withName(name).placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
  }
}
