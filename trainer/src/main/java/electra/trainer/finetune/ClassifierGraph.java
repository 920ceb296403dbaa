package electra.trainer.finetune;

import electra.export.ClassifierExport;
import electra.model.ElectraConfig;
import electra.trainer.model.ClassificationHead;
import electra.trainer.model.HostArrays;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A sentence (pair) classifier or regressor in one session ({@link FinetuneGraph}): the discriminator tower with
 * {@link ClassificationHead}. Classification is trained with the batch mean of the cross-entropy of the gold label;
 * regression (one output) with the batch mean squared error against the target, as Google's
 * {@code classification_tasks.py} (there per-example losses summed; the mean keeps the learning rate independent of
 * the batch size, as FinetuneSquad's losses do).
 */
public final class ClassifierGraph extends FinetuneGraph {

  private final int outputs;
  private final boolean regression;
  private final Operand<TFloat32> logits;
  private Placeholder<TInt32> labelIds;
  private Placeholder<TFloat32> targets;

  /**
   * @param outputs the number of classes, or 1 for regression
   * @param training null for an inference graph (no dropout, no optimizer)
   */
  public ClassifierGraph(ElectraConfig config, int outputs, boolean regression, Training training,
      ConfigProto sessionConfig) {
    super(config, training);
    if (regression ? outputs != 1 : outputs < 2) {
      close();
      throw new IllegalArgumentException((regression ? "regression has 1 output" : "classes need 2 or more outputs")
          + ", got " + outputs);
    }
    this.outputs = outputs;
    this.regression = regression;
    try {
      Ops tf = model.tf();
      logits = tf.withName("logits").identity(new ClassificationHead(model, config, outputs).logits(hidden));
      Operand<TFloat32> loss = null;
      if (training != null) {
        if (regression) {
          targets = tf.withName("targets").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
          Operand<TFloat32> predicted = tf.squeeze(logits, Squeeze.axis(List.of(-1L)));
          loss = tf.math.mean(tf.math.squaredDifference(predicted, targets), tf.constant(0));
        } else {
          labelIds = tf.withName("label_ids").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
          loss = tf.math.mean(QaGraph.crossEntropy(tf, logits, labelIds), tf.constant(0));
        }
      }
      open(loss, training, sessionConfig);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public int outputs() {
    return outputs;
  }

  public boolean isRegression() {
    return regression;
  }

  /** One optimizer step on a batch of class ids; returns the loss before the update. */
  public float trainStep(Tokens b, int[] labels, Step step) {
    if (regression) {
      throw new IllegalStateException("a regression graph trains on targets, not class ids");
    }
    try (TInt32 t = HostArrays.tensor(Shape.of(b.size()), labels)) {
      return trainStep(b, runner -> runner.feed(labelIds, t), step);
    }
  }

  /** One optimizer step on a batch of regression targets; returns the loss before the update. */
  public float trainStep(Tokens b, float[] values, Step step) {
    if (!regression) {
      throw new IllegalStateException("a classification graph trains on class ids, not targets");
    }
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(b.size()), DataBuffers.of(values, true, false))) {
      return trainStep(b, runner -> runner.feed(targets, t), step);
    }
  }

  /** The logits (dropout off) of a batch, row-major [size, outputs]. */
  public float[] logits(Tokens b) {
    return forward(b, List.of(logits), r -> HostArrays.floats((TFloat32) r.get(0)));
  }

  /**
   * Writes this inference graph as a SavedModel whose one output, {@value ClassifierExport#LOGITS}, is the logits
   * [batch, outputs].
   */
  @Override
  public void exportSavedModel(Path dir) throws IOException {
    exportSavedModel(dir, Map.of(ClassifierExport.LOGITS, logits));
  }
}
