package electra.trainer.finetune;

import static electra.trainer.model.HostArrays.floats;

import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.squad.AnswerDecoder;
import electra.trainer.model.Embeddings;
import electra.trainer.model.Encoder;
import electra.trainer.model.HostArrays;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Inputs;
import electra.trainer.model.JointSpanHead;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.runtime.OptimizerGraph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * One SQuAD fine-tuning model in one session: the discriminator tower with a QA head (Google's joint head or the
 * simple {@code qa_outputs} head), its loss and, for training, the optimizer with layer-wise learning-rate decay.
 * Two fixed signatures: {@link #trainStep} and {@link #predict} (each new feed/fetch set costs a graph
 * re-optimisation). A training graph also predicts, with dropout switched off, so train_eval needs one session.
 *
 * <p>Losses (per example, then the batch mean as [N]/Hugging Face, not [G]'s batch sum): cross-entropy of the start
 * and of the end (the joint head's end conditioned on the gold start), averaged; the joint head adds 0.5 × sigmoid
 * cross-entropy of its answerable logit against {@code is_impossible} ([G] {@code answerable_weight}).
 */
public final class QaGraph implements AutoCloseable {

  /** The training side of the graph; absent for inference. */
  public record Training(OptimizerGraph.Settings settings, double layerwiseDecay, long seed) {}

  private final Graph graph = new Graph();
  private final ElectraConfig config;
  private final QaHead head;
  private final int beamSize;
  private final ModelGraph model;
  private final Inputs inputs;
  /** The head's inference outputs by their {@link ExportMetadata} names, in fetch order. */
  private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
  private Placeholder<TInt32> startPositions;
  private Placeholder<TInt32> endPositions;
  private Placeholder<TFloat32> isImpossible;
  private Operand<TFloat32> loss;
  private OptimizerGraph optimizer;
  private final long seed;
  private final Session session;

  /**
   * @param training null for an inference graph (no dropout, no optimizer)
   * @param beamSize the joint head's beam width (ignored by the simple head)
   */
  public QaGraph(ElectraConfig config, QaHead head, int beamSize, Training training, ConfigProto sessionConfig) {
    this.config = config;
    this.head = head;
    this.beamSize = beamSize;
    this.seed = training == null ? 0 : training.seed();
    try {
      model = training == null ? ModelGraph.inference(graph) : ModelGraph.training(graph, training.seed());
      Ops tf = model.tf();
      inputs = Inputs.placeholders(tf);
      Operand<TFloat32> hidden = new Encoder(model, Tower.DISCRIMINATOR, config, new Embeddings(model, config))
          .apply(inputs);
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
      if (training != null) {
        loss = tf.withName("loss").identity(loss);
        optimizer = new OptimizerGraph(model, loss, training.settings(),
            new LayerwiseDecay(training.layerwiseDecay(), config.numHiddenLayers()));
      }
      session = sessionConfig == null ? new Session(graph, false) : new Session(graph, false, sessionConfig);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /** −log softmax(logits)[label], per row. */
  private static Operand<TFloat32> crossEntropy(Ops tf, Operand<TFloat32> logits, Operand<TInt32> labels) {
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

  public ElectraConfig config() {
    return config;
  }

  public int beamSize() {
    return beamSize;
  }

  public ModelGraph model() {
    return model;
  }

  public OptimizerGraph optimizer() {
    return optimizer;
  }

  /** Fresh weights from the seeded initializers. */
  public void initialize() {
    session.initialize();
  }

  /**
   * Initializes, then loads the discriminator (and a {@code qa_outputs} head when the file has one and this is the
   * simple head) from a Hugging Face folder; returns what was loaded.
   */
  public HuggingFaceWeights.Report loadHuggingFace(Path dir) throws IOException {
    return HuggingFaceWeights.load(dir, Tower.DISCRIMINATOR, config, model, session,
        HuggingFaceWeights.Match.ENCODER);
  }

  /**
   * Initializes, then assigns the model variables named {@code names} from a TF bundle (a pre-training checkpoint:
   * the embeddings and discriminator; a fine-tuned one: everything). Optimizer slots and the step stay fresh.
   */
  public void initializeFrom(Path prefix, List<String> names) {
    session.initialize();
    Ops tf = model.tf();
    List<Class<? extends TType>> types = new ArrayList<>();
    names.forEach(n -> types.add(TFloat32.class));
    Placeholder<TString> file = tf.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    Restore restore = tf.train.restore(file, tf.constant(NdArrays.vectorOfObjects(names.toArray(String[]::new))),
        tf.constant(NdArrays.vectorOfObjects(names.stream().map(n -> "").toArray(String[]::new))), types);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> value = (Operand<TFloat32>) restore.tensors().get(i);
      assigns.add(tf.assign(model.parameter(names.get(i)).variable(), value));
    }
    Op all = tf.withControlDependencies(assigns).noOp();
    try (TString p = TString.scalarOf(prefix.toString())) {
      session.runner().feed(file, p).addTarget(all).run().close();
    }
  }

  /**
   * Initializes, then loads every model variable (not the optimizer's slots or step) from a fine-tuned checkpoint
   * of this head.
   */
  public void loadFinetuned(Path prefix) {
    initializeFrom(prefix, model.parameters().stream().map(ModelGraph.Parameter::name).toList());
  }

  /**
   * Writes the discriminator and, for the simple head, {@code qa_outputs} as a Hugging Face folder
   * ({@code ElectraForQuestionAnswering}, loadable by {@code transformers}); the joint head has no Hugging Face
   * counterpart and is left out (export a checkpoint for it).
   */
  public void saveHuggingFace(Path dir) throws IOException {
    HuggingFaceWeights.save(dir, Tower.DISCRIMINATOR, config, model, session);
  }

  /** Every variable (weights, optimizer slots, step) exactly as saved. */
  public void restore(Path prefix) {
    session.restore(prefix.toString());
  }

  public void save(Path prefix) {
    session.save(prefix.toString());
  }

  /** The current value of one model variable, flattened (for checks and tests). */
  public float[] value(String name) {
    try (Result r = session.runner().fetch(model.parameter(name).variable()).run()) {
      return floats((TFloat32) r.get(0));
    }
  }

  /** The current value of one model variable with its shape, as ExportModel writes it into model.onnx. */
  public HostTensor weight(String name) {
    return new HostTensor(model.parameter(name).shape().asArray(), value(name));
  }

  /** Optimizer steps applied so far. */
  public long globalStep() {
    try (Result r = session.runner().fetch(optimizer.globalStep()).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  /** One optimizer step on a batch; returns the loss before the update. */
  public float trainStep(Batch b, double learningRate, long step) {
    if (optimizer == null) {
      throw new IllegalStateException("an inference graph cannot train");
    }
    Shape tokens = Shape.of(b.size(), b.length());
    try (TInt32 ids = HostArrays.tensor(tokens, b.inputIds());
        TInt32 mask = HostArrays.tensor(tokens, b.inputMask());
        TInt32 seg = HostArrays.tensor(tokens, b.segmentIds());
        TInt32 starts = HostArrays.tensor(Shape.of(b.size()), b.startPositions());
        TInt32 ends = HostArrays.tensor(Shape.of(b.size()), b.endPositions());
        TFloat32 impossible = TFloat32.tensorOf(Shape.of(b.size()), DataBuffers.of(b.isImpossible(), true, false));
        TFloat32 lr = TFloat32.scalarOf((float) learningRate); TInt64 key = TInt64.vectorOf(seed, step);
        Result r = session.runner().feed(inputs.inputIds(), ids).feed(inputs.inputMask(), mask)
            .feed(inputs.segmentIds(), seg).feed(startPositions, starts).feed(endPositions, ends)
            .feed(isImpossible, impossible).feed(optimizer.learningRate(), lr).feed(model.stepSeed(), key)
            .fetch(loss).addTarget(optimizer.trainOp()).run()) {
      return ((TFloat32) r.get(0)).getFloat();
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
    Shape tokens = Shape.of(b.size(), b.length());
    try (TInt32 ids = HostArrays.tensor(tokens, b.inputIds());
        TInt32 mask = HostArrays.tensor(tokens, b.inputMask());
        TInt32 seg = HostArrays.tensor(tokens, b.segmentIds()); TBool off = TBool.scalarOf(false)) {
      Session.Runner runner = session.runner().feed(inputs.inputIds(), ids).feed(inputs.inputMask(), mask)
          .feed(inputs.segmentIds(), seg);
      if (model.isTraining()) {
        runner.feed(model.dropoutOn(), off);
      }
      outputs.values().forEach(runner::fetch);
      List<String> names = List.copyOf(outputs.keySet());
      try (Result r = runner.run()) {
        return read.apply(name -> names.contains(name) ? r.get(names.indexOf(name)) : null);
      }
    }
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
  public void exportSavedModel(Path dir) throws IOException {
    if (model.isTraining()) {
      // The exporter writes the session's whole graph: a training graph would bring dropout and the optimizer.
      throw new IllegalStateException("export from an inference graph, not a training graph");
    }
    Signature.Builder signature = Signature.builder().key(ExportMetadata.SIGNATURE)
        .input(ExportMetadata.INPUT_IDS, inputs.inputIds())
        .input(ExportMetadata.INPUT_MASK, inputs.inputMask())
        .input(ExportMetadata.SEGMENT_IDS, inputs.segmentIds());
    outputs.forEach(signature::output);
    SavedModelBundle.exporter(dir.toString()).withSession(session).withSignature(signature.build()).export();
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
