package electra.trainer.finetune;

import electra.export.ClassifierExport;
import electra.model.ElectraConfig;
import electra.trainer.model.HostArrays;
import electra.trainer.model.TokenClassificationHead;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A token tagger in one session ({@link FinetuneGraph}): the discriminator tower with
 * {@link TokenClassificationHead}, trained with the mean cross-entropy over the labelled positions of the batch (each
 * word's first WordPiece; a label below 0 is ignored), as Hugging Face's token classification averages over the
 * positions not labelled -100. (Google's tagging task sums per sentence; the mean keeps the learning rate
 * independent of the batch and sentence sizes.)
 */
public final class TaggerGraph extends FinetuneGraph {

  private final int labels;
  private final Operand<TFloat32> logits;
  private Placeholder<TInt32> labelIds;

  /** @param training null for an inference graph (no dropout, no optimizer) */
  public TaggerGraph(ElectraConfig config, int labels, Training training, ConfigProto sessionConfig) {
    super(config, training);
    if (labels < 2) {
      close();
      throw new IllegalArgumentException("a tagger needs 2 or more labels, got " + labels);
    }
    this.labels = labels;
    try {
      Ops tf = model.tf();
      logits = tf.withName("logits").identity(new TokenClassificationHead(model, config, labels).logits(hidden));
      Operand<TFloat32> loss = null;
      if (training != null) {
        labelIds = tf.withName("label_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1, -1)));
        Operand<TFloat32> rows = tf.reshape(logits, tf.constant(new long[] {-1, labels}));
        Operand<TInt32> flat = tf.reshape(labelIds, tf.constant(new long[] {-1}));
        Operand<TFloat32> labelled = tf.dtypes.cast(tf.math.greaterEqual(flat, tf.constant(0)), TFloat32.class);
        Operand<TFloat32> losses = tf.math.mul(
            QaGraph.crossEntropy(tf, rows, tf.math.maximum(flat, tf.constant(0))), labelled);
        loss = tf.math.divNoNan(tf.reduceSum(losses, tf.constant(0)), tf.reduceSum(labelled, tf.constant(0)));
      }
      open(loss, training, sessionConfig);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public int labels() {
    return labels;
  }

  /** One optimizer step on a batch with one label per position ([size, length] row-major, below 0 ignored). */
  public float trainStep(Tokens b, int[] positionLabels, Step step) {
    try (TInt32 t = HostArrays.tensor(Shape.of(b.size(), b.length()), positionLabels)) {
      return trainStep(b, runner -> runner.feed(labelIds, t), step);
    }
  }

  /** The logits (dropout off) of a batch, row-major [size, length, labels]. */
  public float[] logits(Tokens b) {
    return forward(b, List.of(logits), r -> HostArrays.floats((TFloat32) r.get(0)));
  }

  /**
   * Writes this inference graph as a SavedModel whose one output, {@value ClassifierExport#LOGITS}, is the logits
   * [batch, length, labels].
   */
  @Override
  public void exportSavedModel(Path dir) throws IOException {
    exportSavedModel(dir, Map.of(ClassifierExport.LOGITS, logits));
  }
}
