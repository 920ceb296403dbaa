package electra.trainer.model;

import electra.model.ElectraConfig;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Google's joint SQuAD head ([G] {@code qa_tasks.py} {@code get_prediction_module}, spec §6.3a), under Google's
 * scope {@code task_specific/squad}:
 * <ul>
 *   <li>{@code dense} (H→1): start logits;
 *   <li>{@code qa_hidden} (2H→512, GELU) then {@code dense_1} (512→1): the end logit of every position t given a
 *       start s, from [hidden_s; hidden_t];
 *   <li>{@code dense_2} (2H→512, GELU) then {@code dense_3} (512→1): the answerable logit (higher = more likely
 *       no answer, trained against {@code is_impossible}) from [hidden_[CLS]; Σ_t softmax(start)_t·hidden_t].
 * </ul>
 * Logits outside the answer mask (context tokens plus [CLS]) get −1000·(1 − mask), as in [G]. Training conditions
 * the end on the gold start ({@link #endLogits}); inference runs a beam over the {@code k} best starts and, for
 * each, the {@code k} best ends ({@link #beam}). Kernels start truncated-normal(initializer_range) rather than [G]'s
 * Glorot-uniform.
 */
public final class JointSpanHead {

  public static final String SCOPE = "task_specific/squad";
  /** Width of the end and answerability MLPs ([G]: 512). */
  public static final int MLP_WIDTH = 512;

  /** The beam-search outputs of one batch. */
  public record Beam(
      Operand<TFloat32> startTopLogProbs,   // [B, k] log-softmax of the k best starts, best first
      Operand<TInt32> startTopIndex,        // [B, k] their positions
      Operand<TFloat32> endTopLogProbs,     // [B, k, k] for start beam i, log-softmax of its k best ends
      Operand<TInt32> endTopIndex,          // [B, k, k] their positions
      Operand<TFloat32> answerableLogit) {} // [B]

  private final ModelGraph g;
  private final Ops tf;
  private final long hidden;
  private final Dense start;
  private final Dense qaHidden;
  private final Dense end;
  private final Dense answerHidden;
  private final Dense answerable;

  public JointSpanHead(ModelGraph g, ElectraConfig config) {
    this.g = g;
    this.tf = g.tf();
    this.hidden = config.hiddenSize();
    double std = config.initializerRange();
    this.start = Dense.linear(g, SCOPE + "/dense", hidden, 1, std);
    this.qaHidden = Dense.gelu(g, SCOPE + "/qa_hidden", 2 * hidden, MLP_WIDTH, std);
    this.end = Dense.linear(g, SCOPE + "/dense_1", MLP_WIDTH, 1, std);
    this.answerHidden = Dense.gelu(g, SCOPE + "/dense_2", 2 * hidden, MLP_WIDTH, std);
    this.answerable = Dense.linear(g, SCOPE + "/dense_3", MLP_WIDTH, 1, std);
  }

  /** [B, T] float: 1 on the context tokens (mask × segment) and on [CLS] (position 0), else 0. */
  public Operand<TFloat32> answerMask(Operand<TInt32> inputMask, Operand<TInt32> segmentIds) {
    return answerMask(tf, inputMask, segmentIds);
  }

  /** The answer mask of {@link #answerMask(Operand, Operand)}, for any head. */
  public static Operand<TFloat32> answerMask(Ops tf, Operand<TInt32> inputMask, Operand<TInt32> segmentIds) {
    Operand<TFloat32> context = tf.dtypes.cast(tf.math.mul(inputMask, segmentIds), TFloat32.class);
    Operand<TInt32> length = tf.gather(tf.shape(inputMask), tf.constant(1), tf.constant(0));
    Operand<TFloat32> cls = tf.expandDims(tf.oneHot(tf.constant(0), length, tf.constant(1f), tf.constant(0f)),
        tf.constant(0));
    return tf.math.maximum(context, cls);
  }

  /** Start logits [B, T], masked. */
  public Operand<TFloat32> startLogits(Operand<TFloat32> hiddenStates, Operand<TFloat32> answerMask) {
    return masked(squeezeLast(start.apply(hiddenStates)), answerMask);
  }

  /** End logits [B, T] given one start position per row ([B] int32), masked: the training path. */
  public Operand<TFloat32> endLogits(Operand<TFloat32> hiddenStates, Operand<TInt32> startPositions,
      Operand<TFloat32> answerMask) {
    Operand<TFloat32> startState = tf.gather(hiddenStates, tf.expandDims(startPositions, tf.constant(1)),
        tf.constant(1), org.tensorflow.op.core.Gather.batchDims(1L)); // [B, 1, H]
    Operand<TFloat32> tiled = tf.math.add(startState, tf.zerosLike(hiddenStates)); // [B, T, H]
    Operand<TFloat32> pair = tf.concat(List.of(tiled, hiddenStates), tf.constant(-1)); // [B, T, 2H]
    Operand<TFloat32> logits = squeezeLast(end.apply(qaHidden.apply(fixLast(pair, 2 * hidden))));
    return masked(logits, answerMask);
  }

  /** The answerable logit [B] from [CLS] and the start-probability-weighted hidden state. */
  public Operand<TFloat32> answerableLogit(Operand<TFloat32> hiddenStates, Operand<TFloat32> startLogits) {
    Operand<TFloat32> probs = tf.expandDims(tf.nn.softmax(startLogits), tf.constant(-1)); // [B, T, 1]
    Operand<TFloat32> weighted = tf.reduceSum(tf.math.mul(probs, hiddenStates), tf.constant(1)); // [B, H]
    Operand<TFloat32> cls = tf.squeeze(tf.slice(hiddenStates, tf.constant(new int[] {0, 0, 0}),
        tf.constant(new int[] {-1, 1, -1})), Squeeze.axis(new Long[] {1L})); // [B, H]
    Operand<TFloat32> features = fixLast(tf.concat(List.of(cls, weighted), tf.constant(-1)), 2 * hidden);
    return squeezeLast(answerable.apply(answerHidden.apply(features)));
  }

  /**
   * Beam search over starts then ends ([G] inference): the {@code k} best starts by log-softmax and, for each, the
   * {@code k} best ends of the end distribution conditioned on that start.
   */
  public Beam beam(Operand<TFloat32> hiddenStates, Operand<TFloat32> startLogits, Operand<TFloat32> answerMask,
      int k) {
    Operand<TFloat32> startLogProbs = tf.nn.logSoftmax(startLogits);
    TopK<TFloat32, TInt32> topStarts = tf.nn.topK(startLogProbs, tf.constant(k), TInt32.class);
    Operand<TFloat32> startStates = tf.gather(hiddenStates, topStarts.indices(), tf.constant(1),
        org.tensorflow.op.core.Gather.batchDims(1L)); // [B, k, H]
    // [B, k, T, 2H] = [start state of beam i ; hidden_t]
    Operand<TFloat32> s = tf.expandDims(startStates, tf.constant(2));      // [B, k, 1, H]
    Operand<TFloat32> h = tf.expandDims(hiddenStates, tf.constant(1));     // [B, 1, T, H]
    Operand<TFloat32> zeros = tf.math.add(tf.zerosLike(s), tf.zerosLike(h)); // [B, k, T, H]
    Operand<TFloat32> pair = tf.concat(List.of(tf.math.add(s, zeros), tf.math.add(h, zeros)), tf.constant(-1));
    Operand<TFloat32> endLogits = squeezeLast(end.apply(qaHidden.apply(fixLast(pair, 2 * hidden)))); // [B, k, T]
    endLogits = masked(endLogits, tf.expandDims(answerMask, tf.constant(1)));
    TopK<TFloat32, TInt32> topEnds = tf.nn.topK(tf.nn.logSoftmax(endLogits), tf.constant(k), TInt32.class);
    return new Beam(topStarts.values(), topStarts.indices(), topEnds.values(), topEnds.indices(),
        answerableLogit(hiddenStates, startLogits));
  }

  private Operand<TFloat32> masked(Operand<TFloat32> logits, Operand<TFloat32> mask) {
    return tf.math.add(logits, tf.math.mul(tf.constant(1000f), tf.math.sub(mask, tf.constant(1f))));
  }

  private Operand<TFloat32> squeezeLast(Operand<TFloat32> x) {
    return tf.squeeze(x, Squeeze.axis(new Long[] {-1L}));
  }

  /** Gives the last axis its static width (Dense needs it; concat of dynamic shapes loses it). */
  private Operand<TFloat32> fixLast(Operand<TFloat32> x, long width) {
    int rank = x.shape().numDimensions();
    if (rank < 1) {
      throw new IllegalArgumentException("expected a known rank, got " + x.shape());
    }
    if (x.shape().get(rank - 1) == width) {
      return x;
    }
    return tf.ensureShape(x, x.shape().take(rank - 1).append(width));
  }

  /** The graph this head was built in. */
  public ModelGraph graph() {
    return g;
  }
}
