package electra.trainer.finetune;

import static electra.trainer.model.HostArrays.floats;

import electra.export.ExportMetadata;
import electra.model.ElectraConfig;
import electra.trainer.distributed.Replication;
import electra.trainer.model.Embeddings;
import electra.trainer.model.Encoder;
import electra.trainer.model.HostArrays;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Inputs;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Tower;
import electra.trainer.runtime.OptimizerGraph;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
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
 * What every fine-tuning model shares, in one graph and one session: the discriminator tower fed the three token
 * inputs, the task head a subclass puts on its output ({@link #hidden}), the head's loss and, for training, the
 * optimizer with layer-wise learning-rate decay; loading the starting weights (a Hugging Face folder, a pre-training
 * checkpoint, a fine-tuned checkpoint), checkpoints, and the two fixed run signatures (a training step; a forward
 * pass with dropout off, so that train_eval needs one session).
 *
 * <p>Data-parallel ({@link Training#replication()}): every worker holds this graph, trains on its share of each
 * global batch, and the gradients are averaged over the workers by all-reduce before clipping and the update, with
 * the step's loss packed into the same collective. A worker's loss is its batch mean times its {@link Step#lossShare()}
 * (its rows × workers / the global batch's rows), so the average over workers is the mean over the whole global
 * batch, also when the last batch of an epoch does not split evenly.
 */
public abstract class FinetuneGraph implements AutoCloseable {

  /** How many values each worker states in {@link #gatherStart}. */
  public static final int START_VALUES = 3;

  /**
   * The training side of the graph; absent for inference.
   *
   * @param replication the workers of a data-parallel run ({@code electra.trainer.distributed}), or null for one
   *     process
   */
  public record Training(OptimizerGraph.Settings settings, double layerwiseDecay, long seed,
      Replication replication) {

    /** Training in one process. */
    public Training(OptimizerGraph.Settings settings, double layerwiseDecay, long seed) {
      this(settings, layerwiseDecay, seed, null);
    }
  }

  /**
   * One training step as a worker takes it.
   *
   * @param randomKey keys the step's dropout with the seed (the step, or with N workers step × N + worker)
   * @param lossShare the worker's weight in the global batch's mean loss: its rows × workers / the global batch's
   *     rows (1 for one process and for every full batch)
   */
  public record Step(double learningRate, long randomKey, float lossShare) {

    /** A step of one process: {@code step} keys the dropout. */
    public static Step single(double learningRate, long step) {
      return new Step(learningRate, step, 1f);
    }
  }

  /** A batch's token inputs as flat row-major [size, length] arrays. */
  public record Tokens(int size, int length, int[] inputIds, int[] inputMask, int[] segmentIds) {}

  protected final Graph graph = new Graph();
  protected final ElectraConfig config;
  protected final ModelGraph model;
  protected final Inputs inputs;
  /** The encoder's output [B, T, H]. */
  protected final Operand<TFloat32> hidden;
  private final long seed;
  private Operand<TFloat32> loss;
  private OptimizerGraph optimizer;
  private Session session;
  private Replication replication;
  private Placeholder<TFloat32> lossShare;
  /** The loss all-reduced with the gradients: the global batch's mean (data-parallel only). */
  private Operand<TFloat32> reducedLoss;
  private Placeholder<TInt64> startValues;
  private Operand<TInt64> gatheredStartValues;
  private boolean stepped;

  /** Builds the tower; the subclass then builds its head on {@link #hidden} and calls {@link #open}. */
  protected FinetuneGraph(ElectraConfig config, Training training) {
    this.config = config;
    this.seed = training == null ? 0 : training.seed();
    try {
      model = training == null ? ModelGraph.inference(graph) : ModelGraph.training(graph, training.seed());
      inputs = Inputs.placeholders(model.tf());
      hidden = new Encoder(model, Tower.DISCRIMINATOR, config, new Embeddings(model, config)).apply(inputs);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * Ends construction: the head's per-batch {@code loss} (ignored without {@code training}) gets the optimizer, and
   * the session opens. A subclass whose constructor fails after {@code super} closes the graph with {@link #close}.
   */
  protected final void open(Operand<TFloat32> loss, Training training, ConfigProto sessionConfig) {
    replication = training == null ? null : training.replication();
    if (training != null) {
      Ops tf = model.tf();
      this.loss = tf.withName("loss").identity(loss);
      Operand<TFloat32> trained = this.loss;
      OptimizerGraph.GradientReducer reducer = null;
      if (replication != null) {
        lossShare = tf.withName("loss_share").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        trained = tf.math.mul(this.loss, lossShare);
        reducer = replication.allReduceMeanAlong(tf.reshape(trained, tf.constant(new long[] {1})),
            reduced -> reducedLoss = tf.reshape(reduced, tf.constant(new long[0])));
      }
      optimizer = new OptimizerGraph(model, trained, training.settings(),
          new LayerwiseDecay(training.layerwiseDecay(), config.numHiddenLayers()), reducer);
      if (replication != null) {
        startValues = tf.withName("worker_start").placeholder(TInt64.class,
            Placeholder.shape(Shape.of(START_VALUES)));
        gatheredStartValues = replication.gather(tf, startValues);
      }
    }
    if (replication != null) {
      session = replication.openSession(graph, sessionConfig);
    } else {
      session = sessionConfig == null ? new Session(graph, false) : new Session(graph, false, sessionConfig);
    }
  }

  public ElectraConfig config() {
    return config;
  }

  public ModelGraph model() {
    return model;
  }

  public OptimizerGraph optimizer() {
    return optimizer;
  }

  protected Session session() {
    return session;
  }

  /** Fresh weights from the seeded initializers. */
  public void initialize() {
    session.initialize();
  }

  /**
   * Initializes, then loads the discriminator (and this head's layers when the file has them) from a Hugging Face
   * folder; returns what was loaded.
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

  /** Initializes, then loads the embeddings and the discriminator from a pre-training checkpoint. */
  public void loadPretrained(Path prefix) {
    initializeFrom(prefix, model.parameters().stream().map(ModelGraph.Parameter::name)
        .filter(n -> n.startsWith(Tower.DISCRIMINATOR.scope + "/")).toList()); // the embeddings are electra/ too
  }

  /**
   * Initializes, then loads every model variable (not the optimizer's slots or step) from a fine-tuned checkpoint
   * of this head.
   */
  public void loadFinetuned(Path prefix) {
    initializeFrom(prefix, model.parameters().stream().map(ModelGraph.Parameter::name).toList());
  }

  /**
   * Writes the discriminator and the head's layers that Hugging Face has (those {@code WeightNames} translates) as
   * a Hugging Face folder.
   */
  public void saveHuggingFace(Path dir) throws IOException {
    HuggingFaceWeights.save(dir, Tower.DISCRIMINATOR, config, model, session);
  }

  /** Writes this inference graph and its weights as a SavedModel of the head's outputs. */
  public abstract void exportSavedModel(Path dir) throws IOException;

  /**
   * Writes this inference graph and its weights as a SavedModel (tag {@code serve}) whose one signature,
   * {@value ExportMetadata#SIGNATURE}, maps the three token inputs to {@code outputs} (by their names).
   */
  protected void exportSavedModel(Path dir, Map<String, ? extends Operand<?>> outputs) throws IOException {
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

  /**
   * Data-parallel: every worker's {@code values} ({@link #START_VALUES} of them, the same on every worker when all
   * start alike), concatenated in task order; run once before training.
   */
  public long[] gatherStart(long[] values) {
    if (replication == null) {
      throw new IllegalStateException("only a data-parallel training graph gathers from workers");
    }
    try (TInt64 mine = TInt64.vectorOf(values);
        Result r = session.runner().feed(startValues, mine).fetch(gatheredStartValues)
            .setOptions(replication.stepOptions(true)).run()) {
      TInt64 all = (TInt64) r.get(0);
      long[] out = new long[Math.toIntExact(all.size())];
      all.copyTo(DataBuffers.of(out, false, false));
      return out;
    }
  }

  /**
   * One optimizer step on a batch whose labels {@code labels} feeds; returns the loss before the update: with
   * replication the global batch's, all-reduced.
   */
  protected float trainStep(Tokens b, UnaryOperator<Session.Runner> labels, Step step) {
    if (optimizer == null) {
      throw new IllegalStateException("an inference graph cannot train");
    }
    if (replication == null && step.lossShare() != 1f) {
      throw new IllegalArgumentException("one process trains on the whole batch: loss share 1, got "
          + step.lossShare());
    }
    Shape tokens = Shape.of(b.size(), b.length());
    try (TInt32 ids = HostArrays.tensor(tokens, b.inputIds());
        TInt32 mask = HostArrays.tensor(tokens, b.inputMask());
        TInt32 seg = HostArrays.tensor(tokens, b.segmentIds());
        TFloat32 lr = TFloat32.scalarOf((float) step.learningRate());
        TInt64 key = TInt64.vectorOf(seed, step.randomKey()); TFloat32 share = TFloat32.scalarOf(step.lossShare())) {
      Session.Runner runner = labels.apply(session.runner().feed(inputs.inputIds(), ids)
          .feed(inputs.inputMask(), mask).feed(inputs.segmentIds(), seg).feed(optimizer.learningRate(), lr)
          .feed(model.stepSeed(), key)).addTarget(optimizer.trainOp());
      if (replication == null) {
        runner.fetch(loss);
      } else {
        // the first step also optimises the graph and forms the collective group: it may take longer
        runner.feed(lossShare, share).fetch(reducedLoss).setOptions(replication.stepOptions(!stepped));
        stepped = true;
      }
      try (Result r = runner.run()) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }
  }

  /**
   * Runs the model forward on a batch (dropout off), fetching {@code fetches}; {@code read} gets the result, which
   * is closed when it returns.
   */
  protected <T> T forward(Tokens b, List<? extends Operand<?>> fetches, Function<Result, T> read) {
    Shape tokens = Shape.of(b.size(), b.length());
    try (TInt32 ids = HostArrays.tensor(tokens, b.inputIds());
        TInt32 mask = HostArrays.tensor(tokens, b.inputMask());
        TInt32 seg = HostArrays.tensor(tokens, b.segmentIds()); TBool off = TBool.scalarOf(false)) {
      Session.Runner runner = session.runner().feed(inputs.inputIds(), ids).feed(inputs.inputMask(), mask)
          .feed(inputs.segmentIds(), seg);
      if (model.isTraining()) {
        runner.feed(model.dropoutOn(), off);
      }
      fetches.forEach(runner::fetch);
      try (Result r = runner.run()) {
        return read.apply(r);
      }
    }
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }
}
