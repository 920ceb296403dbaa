package electra.trainer.runtime;

import electra.trainer.model.ModelGraph;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.regex.Pattern;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignAdd;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * LAMB (NVIDIA / TF Addons, spec §3.4) or AdamW (Google, no bias correction, §3.1) in graph ops, with global-norm
 * clipping, gradient accumulation and optional dynamic loss scaling, as one train op with a fixed signature.
 *
 * <p>Every run of {@link #trainOp()} is one micro-step: it adds the gradients into the accumulators and, when
 * {@link #applyNow()} is fed true, averages them, clips, updates the weights and slots, clears the accumulators
 * and increments {@code global_step}. The choice is made inside the graph (a {@code Switch} that leaves the update
 * ops dead on the micro-steps that do not apply), not with a second train op, so the session sees one feed/fetch
 * signature (each new one costs a graph re-optimisation). With one accumulation step there are no accumulators and
 * {@link #applyNow()} defaults to true.
 *
 * <p>Weights and slots are updated in place by TensorFlow's training kernels (ApplyAdam, ApplyGradientDescent), a
 * few passes over each variable where separate element-wise ops made some twenty.
 *
 * <p>With a {@link GradientReducer} (data-parallel) and accumulation the micro-steps are split over two targets,
 * so that the workers all-reduce once per optimizer step and not once per micro-step:
 * {@link #accumulateOp()} only adds this worker's gradients into its accumulators (no collective), and
 * {@link #trainOp()} adds the last micro-batch's, all-reduces the accumulated mean, clips, updates, clears the
 * accumulators and increments {@code global_step}; {@link #applyNow()} is then not used.
 *
 * <p>With loss scaling the gradients are taken of loss × scale and divided back; a step with non-finite gradients
 * is skipped and halves the scale, 2000 finite steps double it (Keras' dynamic loss scale).
 *
 * <p>Slots are VariableV2 named {@code <var>/adam_m}, {@code <var>/adam_v} (as in Google's checkpoints) and
 * {@code <var>/accum}; all of them, {@code global_step} and the loss scale are saved with the model.
 */
public final class OptimizerGraph {

  /** Names excluded from weight decay and (LAMB with skip_adaptive) from the trust ratio. */
  public static final Pattern NO_DECAY = Pattern.compile("LayerNorm|layer_norm|bias");

  static final int GOOD_STEPS_TO_GROW = 2000;

  /** The learning-rate multiplier of every variable without layer-wise decay: 1. */
  public static final ToDoubleFunction<String> NO_LR_DECAY = name -> 1.0;

  private final Ops tf;
  private final Ops init;
  private final Placeholder<TFloat32> learningRate;
  private final Operand<TBool> applyNow;
  private final Variable<TInt64> globalStep;
  private final Variable<TFloat32> lossScale;
  private final Operand<TFloat32> gradientNorm;
  private final Op trainOp;
  private final Op accumulateOp;
  private final List<Variable<?>> slots = new ArrayList<>();

  /** The update rule's constants. */
  public record Settings(OptimizerKind kind, double beta1, double beta2, double epsilon,
      double weightDecay, boolean skipAdaptive, double clipNorm, int accumulationSteps, boolean lossScaling) {

    /**
     * Google's fine-tuning optimizer (spec §6): AdamW without bias correction, β 0.9/0.999, ε 1e-6, no decay on
     * LayerNorm and biases, global-norm clip 1.0, no accumulation.
     */
    public static Settings fineTuning(double weightDecay, boolean lossScaling) {
      return new Settings(OptimizerKind.ADAM, 0.9, 0.999, 1e-6, weightDecay, true, 1.0, 1, lossScaling);
    }
  }

  /**
   * Turns the accumulated, averaged gradients of an optimizer step into the ones the update uses; data-parallel
   * training averages them across workers here ({@code electra.trainer.distributed}). Returns one tensor per input,
   * same shapes. It runs only in the micro-step that applies ({@link #trainOp()}).
   */
  @FunctionalInterface
  public interface GradientReducer {
    List<Operand<TFloat32>> reduce(Ops tf, List<Operand<TFloat32>> gradients);
  }

  public OptimizerGraph(ModelGraph g, Operand<TFloat32> loss, Settings s) {
    this(g, loss, s, NO_LR_DECAY, null);
  }

  /**
   * As above, with a learning-rate multiplier per variable (by name), applied to that variable's update: layer-wise
   * learning-rate decay for fine-tuning (spec §3.6, {@code LayerwiseDecay}). Slots and clipping are unchanged.
   */
  public OptimizerGraph(ModelGraph g, Operand<TFloat32> loss, Settings s, ToDoubleFunction<String> lrMultiplier) {
    this(g, loss, s, lrMultiplier, null);
  }

  /**
   * The general form.
   *
   * @param lrMultiplier learning-rate multiplier per variable name ({@link #NO_LR_DECAY}: 1 for all)
   * @param reducer combines the gradients of all replicas before clipping and the update; null for one process
   */
  public OptimizerGraph(ModelGraph g, Operand<TFloat32> loss, Settings s, ToDoubleFunction<String> lrMultiplier,
      GradientReducer reducer) {
    this.tf = g.tf();
    this.init = tf.withInitScope();
    Graph graph = (Graph) tf.scope().env();
    List<ModelGraph.Parameter> params = g.parameters();

    learningRate = tf.withName("learning_rate").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
    applyNow = tf.withName("apply_gradients").placeholderWithDefault(tf.constant(true), Shape.scalar());
    globalStep = variable("global_step", DataType.DT_INT64, Shape.scalar(), init.constant(0L));
    lossScale = s.lossScaling()
        ? variable("loss_scale", DataType.DT_FLOAT, Shape.scalar(), init.constant(32768f)) : null;
    Variable<TInt64> goodSteps = s.lossScaling()
        ? variable("loss_scale_good_steps", DataType.DT_INT64, Shape.scalar(), init.constant(0L)) : null;

    Operand<TFloat32> scaledLoss = lossScale == null ? loss : tf.math.mul(loss, tf.identity(lossScale));
    Output<?>[] grads = graph.addGradients(scaledLoss.asOutput(),
        params.stream().map(p -> p.variable().asOutput()).toArray(Output<?>[]::new));

    // 1. This micro-step's gradients (unscaled), summed with the accumulated ones and averaged. Data-parallel runs
    // with accumulation accumulate locally in their own target and reach the all-reduce only when applying: there
    // the train op always applies, which `applying` null stands for.
    boolean accumulateLocally = reducer != null && s.accumulationSteps() > 1;
    Operand<TBool> applying = accumulateLocally ? null : applyNow;
    List<Operand<TFloat32>> averaged = new ArrayList<>();
    List<Op> updates = new ArrayList<>();
    List<Op> accumulations = new ArrayList<>();
    Operand<TFloat32> unscale = lossScale == null ? null : tf.math.reciprocal(tf.identity(lossScale));
    Operand<TFloat32> accumulationSteps = tf.constant((float) s.accumulationSteps());
    for (int i = 0; i < params.size(); i++) {
      ModelGraph.Parameter p = params.get(i);
      if (grads[i] == null || grads[i].isClosed()) {
        throw new IllegalStateException("variable " + p.name() + " gets no gradient from the loss");
      }
      @SuppressWarnings("unchecked")
      Operand<TFloat32> grad = (Operand<TFloat32>) grads[i];
      if (unscale != null) {
        grad = tf.math.mul(grad, unscale);
      }
      if (s.accumulationSteps() > 1) {
        // Added in place (one op, where reading, adding, choosing between the sum and zeros and assigning were
        // four); the average reads the sum, and only a micro-step that applies clears it, after that read (the
        // zeros are made from the average).
        Variable<TFloat32> accum = slot(p, "accum");
        AssignAdd<TFloat32> sum = tf.assignAdd(accum, grad);
        accumulations.add(sum);
        grad = tf.math.div(sum, accumulationSteps);
        updates.add(tf.assign(accum, tf.zerosLike(gate(grad, applying))));
      }
      averaged.add(grad);
    }
    if (reducer != null) {
      List<Operand<TFloat32>> shaped = new ArrayList<>();
      for (int i = 0; i < params.size(); i++) {
        shaped.add(tf.ensureShape(averaged.get(i), params.get(i).shape())); // static shapes for packing
      }
      averaged = new ArrayList<>(reducer.reduce(tf, shaped));
    }

    // 2. Global-norm clipping: g · clip / max(‖g‖, clip). L2Loss is Σ g² / 2 in one pass (Square + Sum were two).
    List<Operand<TFloat32>> halfSquares = new ArrayList<>();
    for (Operand<TFloat32> grad : averaged) {
      halfSquares.add(tf.nn.l2Loss(grad));
    }
    gradientNorm = tf.math.sqrt(tf.math.mul(tf.constant(2f), tf.math.addN(halfSquares)));
    Operand<TFloat32> clip = tf.constant((float) s.clipNorm());
    Operand<TFloat32> clipFactor = tf.math.div(clip, tf.math.maximum(gradientNorm, clip));
    Operand<TBool> finite = tf.math.isFinite(gradientNorm);
    // null: always (a train op that only runs when applying, without loss scaling)
    Operand<TBool> update = !s.lossScaling() ? applying
        : applying == null ? finite : tf.math.logicalAnd(applying, finite);

    // 3. The update rule, in place, only when this micro-step applies: the scalars it starts from (clip factor,
    // learning rate, step) pass a Switch on `update`, and when that is false every op that takes them is dead and
    // does not run (a Switch per scalar, where a Select per weight and slot chose and copied whole tensors). Every
    // update op runs after the clip factor, which needs every gradient: the forward and backward ops that read the
    // weights in place are done by then.
    if (s.kind() == OptimizerKind.LAMB) {
      lamb(params, averaged, s, lrMultiplier, clipFactor, update, updates);
    } else {
      adamW(params, averaged, s, lrMultiplier, clipFactor, update, updates);
    }

    // 4. Loss scale: halve on overflow, double after GOOD_STEPS_TO_GROW finite applied steps.
    if (s.lossScaling()) {
      Operand<TInt64> good = tf.math.add(tf.identity(goodSteps), tf.constant(1L));
      Operand<TBool> grow = tf.math.greaterEqual(good, tf.constant((long) GOOD_STEPS_TO_GROW));
      Operand<TFloat32> scale = tf.identity(lossScale);
      Operand<TFloat32> newScale = tf.select(finite,
          tf.select(grow, tf.math.mul(scale, tf.constant(2f)), scale),
          tf.math.maximum(tf.math.mul(scale, tf.constant(0.5f)), tf.constant(1f)));
      Operand<TInt64> newGood = tf.select(finite, tf.select(grow, tf.constant(0L), good), tf.constant(0L));
      updates.add(tf.assign(lossScale, when(applying, newScale, scale)));
      updates.add(tf.assign(goodSteps, when(applying, newGood, tf.identity(goodSteps))));
    }

    Op stepUpdate = tf.withControlDependencies(updates).assignAdd(globalStep,
        update == null ? tf.constant(1L) : tf.dtypes.cast(update, TInt64.class));
    trainOp = tf.withName("train_op").withControlDependencies(List.of(stepUpdate)).noOp();
    accumulateOp = accumulateLocally
        ? tf.withName("accumulate_gradients").withControlDependencies(accumulations).noOp() : null;
  }

  /** {@code then} where {@code condition} holds, else {@code otherwise}; a null condition always holds. */
  private <T extends TType> Operand<T> when(Operand<TBool> condition, Operand<T> then, Operand<T> otherwise) {
    return condition == null ? then : tf.select(condition, then, otherwise);
  }

  /**
   * Google's AdamW without bias correction, w ← w − lr·(m/(√v + ε) + wd·w), in three in-place ops a variable: v ←
   * v − (1 − β2)(v − g²), then the weight decay w ← w − lr·wd·w (ApplyGradientDescent), then TensorFlow's fused
   * ApplyAdam with beta powers 0 (its rate lr·√(1 − 0)/(1 − 0) is lr) for m and w. ApplyAdam gets β2 = 1 and so
   * leaves v alone: its own v update takes 1 − β2 in float, and 1 − 0.999f is 1.3e-5 off 0.001 (the 1 − β here is
   * rounded once from double), which √v would show in every step. Its 1 − β1 in float is 2e-7 off, float noise.
   */
  private void adamW(List<ModelGraph.Parameter> params, List<Operand<TFloat32>> grads, Settings s,
      ToDoubleFunction<String> lrMultiplier, Operand<TFloat32> clipping, Operand<TBool> update, List<Op> updates) {
    Operand<TFloat32> clipFactor = gate(clipping, update);
    Operand<TFloat32> learningRate = gate(this.learningRate, update);
    Operand<TFloat32> noBiasCorrection = tf.constant(0f);
    Operand<TFloat32> b1 = tf.constant((float) s.beta1());
    Operand<TFloat32> vUntouched = tf.constant(1f);
    Operand<TFloat32> oneMinusB2 = tf.constant((float) (1 - s.beta2()));
    Operand<TFloat32> epsilon = tf.constant((float) s.epsilon());
    Operand<TFloat32> decay = tf.constant((float) s.weightDecay());
    Map<Double, Operand<TFloat32>> rates = new HashMap<>();
    Map<Double, Operand<TFloat32>> decayRates = new HashMap<>();
    for (int i = 0; i < params.size(); i++) {
      ModelGraph.Parameter p = params.get(i);
      Operand<TFloat32> clipped = tf.math.mul(grads.get(i), clipFactor);
      Variable<TFloat32> m = slot(p, "adam_m");
      Variable<TFloat32> v = slot(p, "adam_v");
      Operand<TFloat32> vNew = tf.train.applyGradientDescent(v, oneMinusB2, tf.math.sub(v, tf.math.square(clipped)));
      double multiplier = lrMultiplier.applyAsDouble(p.name());
      Operand<TFloat32> rate = rates.computeIfAbsent(multiplier, k -> scaled(learningRate, k));
      Operand<TFloat32> w = p.variable();
      if (!NO_DECAY.matcher(p.name()).find() && s.weightDecay() > 0) {
        // after the clipped gradient, like every other update: the step reads w until all gradients are known
        w = tf.withControlDependencyOps(List.of(clipped.op())).train.applyGradientDescent(w,
            decayRates.computeIfAbsent(multiplier, k -> tf.math.mul(rate, decay)), p.value());
      }
      updates.add(tf.train.applyAdam(w, m, vNew, noBiasCorrection, noBiasCorrection, rate, b1, vUntouched, epsilon,
          clipped));
    }
  }

  /**
   * LAMB (NVIDIA / TF Addons): u = m̂/(√v̂ + ε) + wd·w with m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), and w ← w − lr·r·u
   * with the trust ratio r = ‖w‖/‖u‖ (1 where a norm is 0, and for LayerNorm and biases with skip_adaptive). With
   * c = √(1 − β2^t)/(1 − β1^t) factored out, u = c·d where d = m/(√v + ε·√(1 − β2^t)) + (wd/c)·w, so r·u = ‖w‖/‖d‖·d
   * and the step without the ratio is lr·c·d: d costs one pass less than u. m and v are updated in place as
   * x − (1 − β)(x − g), and the ratios of all variables are one vector op each, not a dozen scalar ops a variable.
   */
  private void lamb(List<ModelGraph.Parameter> params, List<Operand<TFloat32>> grads, Settings s,
      ToDoubleFunction<String> lrMultiplier, Operand<TFloat32> clipping, Operand<TBool> update, List<Op> updates) {
    Operand<TFloat32> clipFactor = gate(clipping, update);
    Operand<TFloat32> learningRate = gate(this.learningRate, update);
    Operand<TFloat32> t = gate(
        tf.dtypes.cast(tf.math.add(tf.identity(globalStep), tf.constant(1L)), TFloat32.class), update);
    Operand<TFloat32> one = tf.constant(1f);
    // 1 − β rounded once from double: 1 − 0.999f is off by 1.3e-5 relative, which √v would show.
    Operand<TFloat32> oneMinusB1 = tf.constant((float) (1 - s.beta1()));
    Operand<TFloat32> oneMinusB2 = tf.constant((float) (1 - s.beta2()));
    Operand<TFloat32> correction1 = tf.math.sub(one, tf.math.pow(tf.constant((float) s.beta1()), t));
    Operand<TFloat32> rootCorrection2 =
        tf.math.sqrt(tf.math.sub(one, tf.math.pow(tf.constant((float) s.beta2()), t)));
    Operand<TFloat32> c = tf.math.div(rootCorrection2, correction1);
    Operand<TFloat32> epsilon = tf.math.mul(tf.constant((float) s.epsilon()), rootCorrection2);
    Operand<TFloat32> decayOverC = tf.math.div(tf.constant((float) s.weightDecay()), c);

    List<Operand<TFloat32>> directions = new ArrayList<>();
    List<Integer> adaptive = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      ModelGraph.Parameter p = params.get(i);
      Operand<TFloat32> clipped = tf.math.mul(grads.get(i), clipFactor);
      Variable<TFloat32> m = slot(p, "adam_m");
      Variable<TFloat32> v = slot(p, "adam_v");
      Operand<TFloat32> mNew = tf.train.applyGradientDescent(m, oneMinusB1, tf.math.sub(m, clipped));
      Operand<TFloat32> vNew = tf.train.applyGradientDescent(v, oneMinusB2, tf.math.sub(v, tf.math.square(clipped)));
      Operand<TFloat32> d = tf.math.div(mNew, tf.math.add(tf.math.sqrt(vNew), epsilon));
      boolean excluded = NO_DECAY.matcher(p.name()).find();
      if (!excluded && s.weightDecay() > 0) {
        d = tf.math.add(d, tf.math.mul(decayOverC, p.value()));
      }
      directions.add(d);
      if (!(excluded && s.skipAdaptive())) {
        adaptive.add(i);
      }
    }

    // Per variable: lr·multiplier·(‖w‖/‖d‖ where both are > 0, else c), the L2Losses' halves cancelling.
    List<Operand<TFloat32>> rates = new ArrayList<>(Collections.nCopies(params.size(), null));
    if (!adaptive.isEmpty()) {
      List<Operand<TFloat32>> weightHalfSquares = new ArrayList<>();
      List<Operand<TFloat32>> directionHalfSquares = new ArrayList<>();
      float[] multipliers = new float[adaptive.size()];
      for (int k = 0; k < adaptive.size(); k++) {
        int i = adaptive.get(k);
        weightHalfSquares.add(tf.nn.l2Loss(params.get(i).value()));
        directionHalfSquares.add(tf.nn.l2Loss(directions.get(i)));
        multipliers[k] = (float) lrMultiplier.applyAsDouble(params.get(i).name());
      }
      Operand<TFloat32> wSquares = tf.stack(weightHalfSquares);
      Operand<TFloat32> dSquares = tf.stack(directionHalfSquares);
      Operand<TFloat32> zero = tf.constant(0f);
      Operand<TFloat32> ratios = tf.select(
          tf.math.logicalAnd(tf.math.greater(wSquares, zero), tf.math.greater(dSquares, zero)),
          tf.math.sqrt(tf.math.div(wSquares, dSquares)), c);
      Operand<TFloat32> adaptiveRates = tf.math.mul(tf.math.mul(learningRate, tf.constant(multipliers)), ratios);
      List<Output<TFloat32>> each = tf.unstack(adaptiveRates, (long) adaptive.size()).output();
      for (int k = 0; k < adaptive.size(); k++) {
        rates.set(adaptive.get(k), each.get(k));
      }
    }
    Operand<TFloat32> plainRate = tf.math.mul(learningRate, c);
    Map<Double, Operand<TFloat32>> plainRates = new HashMap<>();
    for (int i = 0; i < params.size(); i++) {
      ModelGraph.Parameter p = params.get(i);
      Operand<TFloat32> rate = rates.get(i) != null ? rates.get(i)
          : plainRates.computeIfAbsent(lrMultiplier.applyAsDouble(p.name()), k -> scaled(plainRate, k));
      updates.add(tf.train.applyGradientDescent(p.variable(), rate, directions.get(i)));
    }
  }

  /** {@code x} times a learning-rate multiplier, {@code x} itself for 1. */
  private Operand<TFloat32> scaled(Operand<TFloat32> x, double multiplier) {
    return multiplier == 1.0 ? x : tf.math.mul(x, tf.constant((float) multiplier));
  }

  /**
   * {@code x} where {@code condition} holds, else a dead tensor: the ops that take it do not run (Switch); a null
   * condition always holds.
   */
  private <T extends TType> Operand<T> gate(Operand<T> x, Operand<TBool> condition) {
    return condition == null ? x : tf.switchCond(x, condition).outputTrue();
  }

  private Variable<TFloat32> slot(ModelGraph.Parameter p, String suffix) {
    Variable<TFloat32> v = variable(p.name() + "/" + suffix, DataType.DT_FLOAT, p.shape(),
        init.fill(init.constant(p.shape().asArray()), init.constant(0f)));
    return v;
  }

  private <T extends TType> Variable<T> variable(String name, DataType type, Shape shape, Operand<T> initial) {
    Variable<T> v = new Variable<>(init.scope().env().opBuilder(Variable.OP_NAME, name, init.scope())
        .setAttr("shape", shape).setAttr("dtype", type).build());
    init.assign(v, initial);
    slots.add(v);
    return v;
  }

  /** The scalar learning rate fed every step (the schedule lives in Java). */
  public Placeholder<TFloat32> learningRate() {
    return learningRate;
  }

  /**
   * Bool fed every micro-step: true on the last micro-batch of an optimizer step (not used when the steps are split
   * over {@link #accumulateOp()} and {@link #trainOp()}).
   */
  public Operand<TBool> applyNow() {
    return applyNow;
  }

  /** Optimizer steps applied so far (saved with the checkpoint). */
  public Variable<TInt64> globalStep() {
    return globalStep;
  }

  /** The dynamic loss scale, or null without loss scaling. */
  public Variable<TFloat32> lossScale() {
    return lossScale;
  }

  /** Global norm of the (averaged, unscaled) gradients before clipping. */
  public Operand<TFloat32> gradientNorm() {
    return gradientNorm;
  }

  /**
   * The micro-step: accumulates and, when {@link #applyNow()} (or, with {@link #accumulateOp()}, always) applies the
   * optimizer step.
   */
  public Op trainOp() {
    return trainOp;
  }

  /**
   * The micro-step that does not apply when a reducer is given and gradients accumulate: adds this worker's
   * gradients into its accumulators, without any collective; null otherwise (then {@link #trainOp()} does every
   * micro-step).
   */
  public Op accumulateOp() {
    return accumulateOp;
  }

  /** Every variable this optimizer made (slots, accumulators, step, loss scale), in creation order. */
  public List<Variable<?>> variables() {
    return List.copyOf(slots);
  }
}
