package electra.trainer.pretrain;

import static electra.trainer.model.HostArrays.floats;

import electra.trainer.distributed.Replication;
import electra.trainer.model.HostArrays;
import electra.trainer.model.ModelGraph;
import electra.trainer.runtime.OpProfile;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.SessionConfigs;
import electra.trainer.runtime.XlaClusters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/**
 * The whole pre-training graph in one session: model + objective + optimizer, run through one fixed
 * feed/fetch/target signature per micro-step, plus checkpoint save/restore. The training loop talks only to this
 * class (and {@link MaskedBatch}), never to the model's parts.
 */
public final class PretrainingGraph implements AutoCloseable {

  /**
   * What one micro-step returns: the scalars of {@link PretrainingObjective.Outputs#SCALAR_NAMES}, whether it applied
   * an optimizer step and the norm of the gradient it applied (before clipping), and, per real token of this
   * worker's micro-batch, the discriminator's probability and label (for AUC).
   *
   * <p>{@code microBatches}: how many micro-batches the scalars stand for, so that the mean of an optimizer step is
   * Σ microBatches·scalars / Σ microBatches in every mode. One process: 1, the scalars of this micro-batch. Data
   * parallel: the micro-step that applies has the mean over the step's micro-batches of every worker (the number of
   * accumulation steps), the others 0 (their scalars are this worker's micro-batch only, and count in that mean).
   * {@code gradientNorm} is NaN where a data-parallel micro-step applied nothing (the norm needs the all-reduce).
   */
  public record StepResult(float[] scalars, int microBatches, boolean applied, float gradientNorm, float[] discProbs,
      float[] discLabels) {
    public float total() {
      return scalars[0];
    }
  }

  /**
   * Values per worker in {@link #lastGatheredPositions()}: epoch, shard index, record, byte offset, manifest entries
   * listed when the epoch started (its shard order is rebuilt from them), run's first step, and whether the worker
   * was asked to stop (1) or not (0).
   */
  public static final int POSITION_VALUES = 7;

  private final Graph graph = new Graph();
  private final ModelGraph model;
  private final PretrainingObjective objective;
  private final OptimizerGraph optimizer;
  private final Session session;
  private final long seed;
  private Placeholder<TString> initPrefix;
  private Op initFromCheckpoint;
  private List<String> initNames;
  private Map<String, Operand<TFloat32>> allValues;
  private final Replication replication;
  private final int accumulationSteps;
  private List<Operand<TFloat32>> reportedScalars;
  private Placeholder<TFloat32> scalarSumsBefore;
  private Operand<TFloat32> reducedStepScalars;
  private final float[] localScalarSums;
  private Placeholder<TInt64> dataPosition;
  private Operand<TInt64> gatheredPositions;
  private long[] lastGatheredPositions;
  private boolean stepped;
  private final boolean xlaRequested;
  private XlaClusters xlaClusters;
  private boolean recordCollectives;
  private OpProfile opProfile;
  private List<String> lastCollectives = List.of();

  /**
   * @param lossScaling dynamic loss scaling (fp16 mixed precision on GPU)
   * @param sessionConfig threads, AMP and XLA settings
   */
  public PretrainingGraph(PretrainConfig c, boolean lossScaling, ConfigProto sessionConfig) {
    this(c, lossScaling, sessionConfig, null);
  }

  /** @param replication data-parallel replication across workers, or null for one process */
  public PretrainingGraph(PretrainConfig c, boolean lossScaling, ConfigProto sessionConfig, Replication replication) {
    this.seed = c.seed();
    this.replication = replication;
    this.xlaRequested = sessionConfig != null && SessionConfigs.xlaRequested(sessionConfig);
    this.accumulationSteps = c.gradientAccumulationSteps();
    try {
      model = ModelGraph.training(graph, c.seed());
      objective = new PretrainingObjective(model, c.discriminator(), c.generator(), c.genWeight(), c.discWeight(),
          c.temperature());
      reportedScalars = objective.outputs().scalars();
      localScalarSums = new float[reportedScalars.size()];
      optimizer = new OptimizerGraph(model, objective.outputs().total(), c.optimizerSettings(lossScaling),
          OptimizerGraph.NO_LR_DECAY, replication == null ? null : reducingScalarsAlong(replication));
      if (replication != null) {
        Ops tf = model.tf();
        dataPosition = tf.withName("data_position").placeholder(TInt64.class, Placeholder.shape(Shape.of(POSITION_VALUES)));
        gatheredPositions = replication.gather(tf, dataPosition);
      }
      buildInitFromCheckpoint();
      if (replication != null) {
        session = replication.openSession(graph, sessionConfig);
      } else {
        session = sessionConfig == null ? new Session(graph, false) : new Session(graph, false, sessionConfig);
      }
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  /**
   * The gradient all-reduce with the reported scalars packed along (one collective per optimizer step): the
   * scalars' mean over the step's micro-batches, from the sums of the earlier micro-batches (fed, kept in Java) and
   * the applying one's.
   */
  private OptimizerGraph.GradientReducer reducingScalarsAlong(Replication replication) {
    Ops tf = model.tf();
    int n = reportedScalars.size();
    scalarSumsBefore = tf.withName("scalar_sums_before").placeholder(TFloat32.class, Placeholder.shape(Shape.of(n)));
    Operand<TFloat32> stepMean = tf.math.div(tf.math.add(scalarSumsBefore, tf.stack(reportedScalars)),
        tf.constant((float) accumulationSteps));
    return replication.allReduceMeanAlong(tf.ensureShape(stepMean, Shape.of(n)),
        reduced -> reducedStepScalars = reduced);
  }

  /**
   * Test and measurement seam: from now on every {@link #step} also lists the collective ops it ran
   * ({@link #lastStepCollectives()}); this asks TensorFlow for the step's partition graphs, so it slows steps.
   */
  public void recordCollectives() {
    recordCollectives = true;
  }

  /**
   * Measurement seam: from now on every {@link #step} is traced and its op times added to {@code profile}; tracing
   * slows steps down.
   */
  public void profileOps(OpProfile profile) {
    opProfile = profile;
  }

  /**
   * The collective ops the last {@link #step} ran, as {@code op:dtype} (e.g. {@code CollectiveReduce:DT_FLOAT}), when
   * {@link #recordCollectives()} was called; empty otherwise.
   */
  public List<String> lastStepCollectives() {
    return lastCollectives;
  }

  /** Fresh weights from the seeded initializers, zero slots and step. */
  public void initialize() {
    session.initialize();
  }

  /** Every variable (weights, slots, step) exactly as saved at {@code prefix}. */
  public void restore(Path prefix) {
    session.restore(prefix.toString());
  }

  /** Writes every variable to {@code prefix}.index / .data-*. */
  public void save(Path prefix) {
    session.save(prefix.toString());
  }

  /**
   * Initializes, then loads the model weights and their {@code adam_m}/{@code adam_v} slots from another run's
   * checkpoint; the step counter stays 0 and accumulators empty (phase 2 and fine starts).
   */
  public void initializeFrom(Path prefix) {
    session.initialize();
    try (TString p = TString.scalarOf(prefix.toString())) {
      session.runner().feed(initPrefix, p).addTarget(initFromCheckpoint).run().close();
    }
  }

  /** The current dynamic loss scale (only with loss scaling). */
  public double lossScale() {
    try (Result r = session.runner().fetch(optimizer.lossScale()).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  /** Optimizer steps applied so far (read from the graph). */
  public long globalStep() {
    try (Result r = session.runner().fetch(optimizer.globalStep()).run()) {
      return ((TInt64) r.get(0)).getLong();
    }
  }

  /**
   * One micro-step on a masked batch: forward, backward, accumulate, and apply when {@code apply}.
   *
   * @param microStep index of this micro-batch in the run; with the run's seed it keys dropout and sampling
   */
  public StepResult step(MaskedBatch b, double learningRate, boolean apply, long microStep) {
    return step(b, learningRate, apply, microStep, null);
  }

  /**
   * As {@link #step(MaskedBatch, double, boolean, long)}. With replication a micro-step that does not apply only
   * accumulates locally (no collective; its scalars are this worker's, see {@link StepResult}); the one that applies
   * all-reduces the accumulated gradients together with the step's scalars (their means over all workers and
   * micro-batches) and gathers {@code position} ({@link #POSITION_VALUES} values: epoch, shard index, record, byte
   * offset and listed count of this worker's data after the batch, the step this process started from, and its
   * stop flag) from every worker into {@link #lastGatheredPositions()}; {@code position} is ignored otherwise.
   */
  public StepResult step(MaskedBatch b, double learningRate, boolean apply, long microStep, long[] position) {
    boolean replicated = replication != null;
    if (replicated && !apply && optimizer.accumulateOp() == null) {
      throw new IllegalArgumentException("with one micro-batch per optimizer step every micro-step applies");
    }
    PretrainingObjective.Outputs o = objective.outputs();
    try (BatchTensors batch = BatchTensors.of(b);
        TFloat32 lr = TFloat32.scalarOf((float) learningRate); TBool applyNow = TBool.scalarOf(apply);
        TInt64 stepSeed = TInt64.vectorOf(seed, microStep);
        TInt64 positionNow = TInt64.vectorOf(position == null ? new long[POSITION_VALUES] : position);
        TFloat32 sumsBefore = TFloat32.vectorOf(localScalarSums)) {
      Session.Runner r = batch.feed(session.runner(), objective.feeds()).feed(model.stepSeed(), stepSeed);
      // one process: one signature for every micro-step (apply_gradients chooses); data parallel: two, so that
      // only the applying one reaches the collectives
      boolean reduces = replicated && apply;
      boolean trains = !replicated || apply;
      if (reduces) {
        r.fetch(reducedStepScalars).feed(scalarSumsBefore, sumsBefore);
      } else {
        reportedScalars.forEach(r::fetch);
      }
      if (trains) {
        r.fetch(optimizer.gradientNorm()).feed(optimizer.learningRate(), lr);
      }
      r.fetch(o.discProbs()).fetch(o.discLabels());
      if (!replicated) {
        r.feed(optimizer.applyNow(), applyNow);
      }
      r.addTarget(trains ? optimizer.trainOp() : optimizer.accumulateOp());
      RunOptions options = RunOptions.getDefaultInstance();
      if (reduces) {
        r.feed(dataPosition, positionNow).fetch(gatheredPositions);
      }
      if (replicated) {
        options = replication.stepOptions(!stepped);
      }
      // the first step builds the executor, so its graphs show what XLA compiled; later steps reuse them
      boolean inspect = xlaRequested && !stepped;
      boolean metadata = inspect || recordCollectives || opProfile != null;
      if (opProfile != null) {
        options = OpProfile.tracing(options);
      }
      if (metadata || replicated) {
        r.setOptions(inspect || recordCollectives ? XlaClusters.inspecting(options) : options);
      }
      stepped = true;
      try (Result res = metadata ? r.runAndFetchMetadata() : r.run()) {
        if (inspect) {
          xlaClusters = XlaClusters.of(res.getMetadata().orElseThrow());
        }
        if (recordCollectives) {
          lastCollectives = collectives(res.getMetadata().orElseThrow());
        }
        if (opProfile != null) {
          opProfile.add(res.getMetadata().orElseThrow());
        }
        int n = reportedScalars.size();
        int next = 0;
        float[] scalars;
        if (reduces) {
          scalars = floats((TFloat32) res.get(next++));
          Arrays.fill(localScalarSums, 0f);
        } else {
          scalars = new float[n];
          for (int i = 0; i < n; i++) {
            scalars[i] = ((TFloat32) res.get(next++)).getFloat();
          }
          if (replicated) {
            for (int i = 0; i < n; i++) {
              localScalarSums[i] += scalars[i];
            }
          }
        }
        float gradientNorm = trains ? ((TFloat32) res.get(next++)).getFloat() : Float.NaN;
        float[] probs = floats((TFloat32) res.get(next++));
        float[] labels = floats((TFloat32) res.get(next++));
        if (reduces) {
          TInt64 all = (TInt64) res.get(next);
          lastGatheredPositions = new long[Math.toIntExact(all.size())];
          all.copyTo(DataBuffers.of(lastGatheredPositions, false, false));
        }
        int microBatches = !replicated ? 1 : apply ? accumulationSteps : 0;
        return new StepResult(scalars, microBatches, apply, gradientNorm, probs, labels);
      }
    }
  }

  /** A masked batch as the tensors the objective's placeholders take. */
  private record BatchTensors(TInt32 ids, TInt32 mask, TInt32 segments, TInt32 positions, TInt32 lmIds,
      TFloat32 lmWeights) implements AutoCloseable {

    static BatchTensors of(MaskedBatch b) {
      Shape tokens = Shape.of(b.batch(), b.length());
      Shape slots = Shape.of(b.batch(), b.maxPredictions());
      return new BatchTensors(HostArrays.tensor(tokens, b.maskedInputIds()), HostArrays.tensor(tokens, b.inputMask()),
          HostArrays.tensor(tokens, b.segmentIds()), HostArrays.tensor(slots, b.maskedLmPositions()),
          HostArrays.tensor(slots, b.maskedLmIds()),
          TFloat32.tensorOf(slots, DataBuffers.of(b.maskedLmWeights(), true, false)));
    }

    Session.Runner feed(Session.Runner r, PretrainingObjective.Feeds f) {
      return r.feed(f.inputs().inputIds(), ids).feed(f.inputs().inputMask(), mask)
          .feed(f.inputs().segmentIds(), segments).feed(f.maskedLmPositions(), positions)
          .feed(f.maskedLmIds(), lmIds).feed(f.maskedLmWeights(), lmWeights);
    }

    @Override
    public void close() {
      List.of(ids, mask, segments, positions, lmIds, lmWeights).forEach(TType::close);
    }
  }

  /**
   * Every matrix product (MatMul, BatchMatMul) of this graph's training micro-step, forward and backward, with its
   * shapes on batch {@code b}: what {@code BenchmarkPretraining --matmul_floor} times on its own. Runs the forward
   * and backward pass once, without any update.
   */
  List<MatrixProducts.Product> matrixProducts(MaskedBatch b) {
    try (BatchTensors batch = BatchTensors.of(b)) {
      return MatrixProducts.capture(graph, batch.feed(session.runner(), objective.feeds()));
    }
  }

  /** The collective ops in the partition graphs of a run, as {@code op:dtype}. */
  private static List<String> collectives(RunMetadata metadata) {
    List<String> out = new ArrayList<>();
    for (GraphDef partition : metadata.getPartitionGraphsList()) {
      for (NodeDef node : partition.getNodeList()) {
        if (node.getOp().startsWith("Collective")) {
          out.add(node.getOp() + ":" + node.getAttrOrThrow("T").getType());
        }
      }
    }
    return out;
  }

  /**
   * The current value of one model variable, flattened: a check of a model too large to copy whole
   * ({@link #variableValues}) reads one at a time.
   */
  public float[] value(String name) {
    try (Result r = session.runner().fetch(model.parameter(name).variable()).run()) {
      return floats((TFloat32) r.get(0));
    }
  }

  /** Every variable's value by name (model weights, slots, step as float) in one run, for tests and checks. */
  public Map<String, float[]> variableValues() {
    if (allValues == null) {
      List<Variable<?>> all = new ArrayList<>();
      model.parameters().forEach(p -> all.add(p.variable()));
      all.addAll(optimizer.variables());
      Ops tf = model.tf();
      allValues = new LinkedHashMap<>();
      for (Variable<?> v : all) {
        allValues.put(v.op().name(), tf.dtypes.cast(tf.identity(v), TFloat32.class));
      }
    }
    Session.Runner r = session.runner();
    allValues.values().forEach(r::fetch);
    Map<String, float[]> out = new LinkedHashMap<>();
    try (Result res = r.run()) {
      int i = 0;
      for (String name : allValues.keySet()) {
        out.put(name, floats((TFloat32) res.get(i++)));
      }
    }
    return out;
  }

  /**
   * What XLA compiled of the training step, known after the first {@link #step} when the session config asks for
   * XLA ({@link SessionConfigs#xlaRequested}); null otherwise.
   */
  public XlaClusters xlaClusters() {
    return xlaClusters;
  }

  /** Every worker's data position after the last step, {@link #POSITION_VALUES} values per task in task order (replicated runs only). */
  public long[] lastGatheredPositions() {
    return lastGatheredPositions == null ? null : lastGatheredPositions.clone();
  }

  public ModelGraph model() {
    return model;
  }

  public OptimizerGraph optimizer() {
    return optimizer;
  }

  private void buildInitFromCheckpoint() {
    Ops tf = model.tf();
    List<Variable<TFloat32>> targets = new ArrayList<>();
    initNames = new ArrayList<>();
    for (ModelGraph.Parameter p : model.parameters()) {
      targets.add(p.variable());
      initNames.add(p.name());
    }
    for (Variable<?> v : optimizer.variables()) {
      String name = v.op().name();
      if (name.endsWith("/adam_m") || name.endsWith("/adam_v")) {
        @SuppressWarnings("unchecked")
        Variable<TFloat32> f = (Variable<TFloat32>) v;
        targets.add(f);
        initNames.add(name);
      }
    }
    initPrefix = tf.withName("init_checkpoint_prefix").placeholder(TString.class, Placeholder.shape(Shape.scalar()));
    List<Class<? extends TType>> types = new ArrayList<>();
    targets.forEach(t -> types.add(TFloat32.class));
    Restore restore = tf.train.restore(initPrefix, tf.constant(NdArrays.vectorOfObjects(initNames.toArray(String[]::new))),
        tf.constant(NdArrays.vectorOfObjects(initNames.stream().map(n -> "").toArray(String[]::new))), types);
    List<Op> assigns = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> value = (Operand<TFloat32>) restore.tensors().get(i);
      assigns.add(tf.assign(targets.get(i), value));
    }
    initFromCheckpoint = tf.withName("init_from_checkpoint").withControlDependencies(assigns).noOp();
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
