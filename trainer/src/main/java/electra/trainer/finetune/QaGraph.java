package electra.trainer.finetune;

import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.squad.AnswerDecoder;
import electra.trainer.model.HostArrays;
import electra.trainer.model.JointSpanHead;
import electra.trainer.model.SpanHead;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Operand;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * One SQuAD fine-tuning model in one session ({@link FinetuneGraph}): the discriminator tower with a QA head
 * (Google's joint head or the simple {@code qa_outputs} head), its loss and, for training, the optimizer with
 * layer-wise learning-rate decay. Two fixed signatures: {@link #trainStep} and {@link #predict} (each new feed/fetch
 * set costs a graph re-optimisation). A training graph also predicts, with dropout switched off, so train_eval needs
 * one session.
 *
 * <p>Losses (per example, then the batch mean as [N]/Hugging Face, not [G]'s batch sum): cross-entropy of the start
 * and of the end (the joint head's end conditioned on the gold start), averaged; the joint head adds 0.5 × sigmoid
 * cross-entropy of its answerable logit against {@code is_impossible} ([G] {@code answerable_weight}).
 */
public final class QaGraph extends FinetuneGraph {

  private final QaHead head;
  private final int beamSize;
  /** The head's inference outputs by their {@link ExportMetadata} names, in fetch order. */
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  private Placeholder<TInt32> startPositions;
  private Placeholder<TInt32> endPositions;
  private Placeholder<TFloat32> isImpossible;

  /**
   * @param training null for an inference graph (no dropout, no optimizer)
   * @param beamSize the joint head's beam width (ignored by the simple head)
   */
  public QaGraph(ElectraConfig config, QaHead head, int beamSize, Training training, ConfigProto sessionConfig) {
    super(config, training);
    this.head = head;
    this.beamSize = beamSize;
    try {
      Ops tf = model.tf();
      Operand<TFloat32> loss = null;
      if (training != null) {
        startPositions = tf.withName("start_positions").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
        endPositions = tf.withName("end_positions").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
        isImpossible = tf.withName("is_impossible").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1)));
      }
      if (head == QaHead.JOINT) {
        JointSpanHead joint = new JointSpanHead(model, config);
        Operand<TFloat32> mask = joint.answerMask(inputs.inputMask(), inputs.segmentIds());
        Operand<TFloat32> start = joint.startLogits(hidden, mask);
        JointSpanHead.Beam beam = joint.beam(hidden, start, mask, beamSize);
        outputs.put(ExportMetadata.START_TOP_LOG_PROBS, beam.startTopLogProbs());
        outputs.put(ExportMetadata.START_TOP_INDEX, beam.startTopIndex());
        outputs.put(ExportMetadata.END_TOP_LOG_PROBS, beam.endTopLogProbs());
        outputs.put(ExportMetadata.END_TOP_INDEX, beam.endTopIndex());
        outputs.put(ExportMetadata.ANSWERABLE_LOGIT, beam.answerableLogit());
        if (training != null) {
          Operand<TFloat32> end = joint.endLogits(hidden, startPositions, mask);
          Operand<TFloat32> spanLoss = tf.math.mul(tf.constant(0.5f),
              tf.math.add(crossEntropy(tf, start, startPositions), crossEntropy(tf, end, endPositions)));
          Operand<TFloat32> answerLoss = sigmoidCrossEntropy(tf, joint.answerableLogit(hidden, start), isImpossible);
          loss = tf.math.mean(tf.math.add(spanLoss, tf.math.mul(tf.constant(0.5f), answerLoss)), tf.constant(0));
        }
      } else {
        SpanHead.Logits logits = new SpanHead(model, config).logits(hidden);
        outputs.put(ExportMetadata.START_LOGITS, logits.start());
        outputs.put(ExportMetadata.END_LOGITS, logits.end());
        if (training != null) {
          // The loss sees [G]'s answer mask (context + [CLS]); predictions stay the raw qa_outputs logits,
          // as Hugging Face computes them (the decoder only reads context positions anyway).
          Operand<TFloat32> mask = tf.math.mul(tf.constant(1000f), tf.math.sub(
              JointSpanHead.answerMask(tf, inputs.inputMask(), inputs.segmentIds()), tf.constant(1f)));
          loss = tf.math.mean(tf.math.mul(tf.constant(0.5f), tf.math.add(
              crossEntropy(tf, tf.math.add(logits.start(), mask), startPositions),
              crossEntropy(tf, tf.math.add(logits.end(), mask), endPositions))), tf.constant(0));
        }
      }
      open(loss, training, sessionConfig);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** −log softmax(logits)[label], per row. */
  static Operand<TFloat32> crossEntropy(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels) {
    Operand<TInt32> length = tf.gather(tf.shape(logits), tf.constant(1), tf.constant(0));
    Operand<TFloat32> oneHot = tf.oneHot(labels, length, tf.constant(1f), tf.constant(0f));
    return tf.math.neg(tf.reduceSum(tf.math.mul(oneHot, tf.nn.logSoftmax(logits)), tf.constant(-1)));
  }

  /** max(x, 0) − x·z + log(1 + e^−|x|). */
  private static Operand<TFloat32> sigmoidCrossEntropy(Ops tf, Operand<TFloat32> x, Operand<TFloat32> z) {
    return tf.math.add(tf.math.sub(tf.math.maximum(x, tf.constant(0f)), tf.math.mul(x, z)),
        tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(x)))));
  }

  public QaHead head() {
    return head;
  }

  public int beamSize() {
    return beamSize;
  }

  private static Tokens tokens(Batch b) {
    return new Tokens(b.size(), b.length(), b.inputIds(), b.inputMask(), b.segmentIds());
  }

  /** One optimizer step on a batch; returns the loss before the update. */
  public float trainStep(Batch b, Step step) {
    try (TInt32 starts = HostArrays.tensor(Shape.of(b.size()), b.startPositions());
        TInt32 ends = HostArrays.tensor(Shape.of(b.size()), b.endPositions());
        TFloat32 impossible = TFloat32.tensorOf(Shape.of(b.size()), DataBuffers.of(b.isImpossible(), true, false))) {
      return trainStep(tokens(b), runner -> runner.feed(startPositions, starts).feed(endPositions, ends)
          .feed(isImpossible, impossible), step);
    }
  }

  /** The head's outputs for every window of a batch (dropout off), as the decoder reads them. */
  public List<AnswerDecoder.WindowOutput> predict(Batch b) {
    return run(b, output -> HeadOutputs.windows(head, headOutputs(output), b.size(), b.length()));
  }

  /**
   * Runs the head on a batch (dropout off) and hands {@code read} its outputs by {@link ExportMetadata} name; the
   * tensors are closed when {@code read} returns.
   */
  public <T> T run(Batch b, Function<Function<String, Tensor>, T> read) {
    List<String> names = List.copyOf(outputs.keySet());
    return forward(tokens(b), List.copyOf(outputs.values()),
        r -> read.apply(name -> names.contains(name) ? r.get(names.indexOf(name)) : null));
  }

  /** The names of the head's outputs, in the order {@link #run} fetches them. */
  public List<String> outputNames() {
    return List.copyOf(outputs.keySet());
  }

  /**
   * A run's outputs, looked up by {@link ExportMetadata} name in this graph's session or in its exported SavedModel,
   * as the decoder's arrays.
   */
  public static HeadOutputs headOutputs(Function<String, Tensor> output) {
    return new HeadOutputs() {
      @Override
      public float[] floats(String role) {
        return HostArrays.floats(tensor(output, role, TFloat32.class));
      }

      @Override
      public int[] ints(String role) {
        return HostArrays.ints(tensor(output, role, TInt32.class));
      }
    };
  }

  private static <T extends TType> T tensor(Function<String, Tensor> output, String name, Class<T> type) {
    Tensor t = output.apply(name);
    if (!type.isInstance(t)) {
      throw new IllegalStateException("the model gave no " + type.getSimpleName() + " output " + name + ": " + t);
    }
    return type.cast(t);
  }

  /**
   * Writes this inference graph and its weights as a SavedModel (tag {@code serve}) whose one signature,
   * {@value ExportMetadata#SIGNATURE}, maps the three inputs to {@link #outputNames()}.
   */
  @Override
  public void exportSavedModel(Path dir) throws IOException {
    exportSavedModel(dir, outputs);
  }
}
