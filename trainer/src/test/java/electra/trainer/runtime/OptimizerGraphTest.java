package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.trainer.model.ModelGraph;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * LAMB and AdamW updates of the graph optimizer against the formulas of spec §3.1/§3.4 computed here in doubles,
 * on three tiny variables: a kernel (decayed, adapted), a bias and a LayerNorm gamma (neither decayed nor, with
 * skip_adaptive, adapted). The loss s·(Σ c·W + Σ d·(b − 0.5)² + Σ e·γ²) has gradients large enough to be clipped;
 * s is fed per micro-batch to test accumulation (and, huge, to overflow the loss scaling of mixed precision, which
 * is the same graph on CPU and GPU).
 */
class OptimizerGraphTest {

  private static final double[] C = {3, -2, 1.5, 0.5, -1, 2.5};
  private static final double[] D = {1, -2, 0.5};
  private static final double[] E = {0.25, -0.5, 1};
  private static final String[] NAMES = {"dense/kernel", "dense/bias", "layer/LayerNorm/gamma"};

  /** The graph side: variables, loss, optimizer, session. */
  private static final class Tiny implements AutoCloseable {
    final Graph graph = new Graph();
    final Session session = new Session(graph, false);
    final ModelGraph g = ModelGraph.training(graph, 5);
    final Placeholder<TFloat32> scale;
    final OptimizerGraph opt;

    Tiny(OptimizerGraph.Settings settings) {
      Ops tf = g.tf();
      Operand<TFloat32> w = g.variable(NAMES[0], ModelGraph.Init.TRUNCATED_NORMAL, 0.5, 2, 3);
      Operand<TFloat32> b = g.variable(NAMES[1], ModelGraph.Init.TRUNCATED_NORMAL, 0.5, 3);
      Operand<TFloat32> gamma = g.variable(NAMES[2], ModelGraph.Init.ONES, 0, 3);
      scale = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
      Operand<TFloat32> loss = tf.math.mul(scale, tf.math.addN(List.of(
          tf.reduceSum(tf.math.mul(w, tf.constant(new float[][] {{3, -2, 1.5f}, {0.5f, -1, 2.5f}})),
              tf.constant(new int[] {0, 1})),
          tf.reduceSum(tf.math.mul(tf.constant(new float[] {1, -2, 0.5f}),
              tf.math.square(tf.math.sub(b, tf.constant(0.5f)))), tf.constant(0)),
          tf.reduceSum(tf.math.mul(tf.constant(new float[] {0.25f, -0.5f, 1}), tf.math.square(gamma)),
              tf.constant(0)))));
      opt = new OptimizerGraph(g, loss, settings);
      session.initialize();
    }

    void run(double lr, boolean apply, double s) {
      try (TFloat32 l = TFloat32.scalarOf((float) lr); TBool a = TBool.scalarOf(apply);
          TFloat32 sc = TFloat32.scalarOf((float) s)) {
        session.runner().feed(opt.learningRate(), l).feed(opt.applyNow(), a).feed(scale, sc)
            .addTarget(opt.trainOp()).run().close();
      }
    }

    double[][] values() {
      double[][] out = new double[3][];
      for (int i = 0; i < 3; i++) {
        try (Result r = session.runner().fetch(g.parameter(NAMES[i]).value()).run()) {
          TFloat32 t = (TFloat32) r.get(0);
          float[] f = new float[(int) t.size()];
          t.copyTo(DataBuffers.of(f, false, false));
          out[i] = new double[f.length];
          for (int j = 0; j < f.length; j++) {
            out[i][j] = f[j];
          }
        }
      }
      return out;
    }

    long step() {
      try (Result r = session.runner().fetch(opt.globalStep()).run()) {
        return ((TInt64) r.get(0)).getLong();
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  /** The same optimizer in doubles, from the formulas. */
  private static final class Reference {
    final OptimizerGraph.Settings s;
    final double[][] w;
    final double[][] m = new double[3][];
    final double[][] v = new double[3][];
    long step;

    Reference(OptimizerGraph.Settings s, double[][] initial) {
      this.s = s;
      this.w = new double[3][];
      for (int i = 0; i < 3; i++) {
        w[i] = initial[i].clone();
        m[i] = new double[w[i].length];
        v[i] = new double[w[i].length];
      }
    }

    double[][] grads(double scale) {
      double[][] g = new double[3][];
      g[0] = new double[6];
      for (int j = 0; j < 6; j++) {
        g[0][j] = scale * C[j];
      }
      g[1] = new double[3];
      g[2] = new double[3];
      for (int j = 0; j < 3; j++) {
        g[1][j] = scale * 2 * D[j] * (w[1][j] - 0.5);
        g[2][j] = scale * 2 * E[j] * w[2][j];
      }
      return g;
    }

    void apply(double[][] g, double lr) {
      double sq = 0;
      for (double[] gi : g) {
        for (double x : gi) {
          sq += x * x;
        }
      }
      double factor = s.clipNorm() / Math.max(Math.sqrt(sq), s.clipNorm());
      long t = step + 1;
      boolean lamb = s.kind() == OptimizerKind.LAMB;
      for (int i = 0; i < 3; i++) {
        boolean excluded = i > 0;
        double[] u = new double[w[i].length];
        for (int j = 0; j < u.length; j++) {
          double gj = g[i][j] * factor;
          m[i][j] = s.beta1() * m[i][j] + (1 - s.beta1()) * gj;
          v[i][j] = s.beta2() * v[i][j] + (1 - s.beta2()) * gj * gj;
          u[j] = lamb
              ? (m[i][j] / (1 - Math.pow(s.beta1(), t))) / (Math.sqrt(v[i][j] / (1 - Math.pow(s.beta2(), t))) + s.epsilon())
              : m[i][j] / (Math.sqrt(v[i][j]) + s.epsilon());
          if (!excluded) {
            u[j] += s.weightDecay() * w[i][j];
          }
        }
        double ratio = 1;
        if (lamb && !(excluded && s.skipAdaptive())) {
          double wn = norm(w[i]);
          double un = norm(u);
          ratio = wn > 0 && un > 0 ? wn / un : 1;
        }
        for (int j = 0; j < u.length; j++) {
          w[i][j] -= lr * ratio * u[j];
        }
      }
      step++;
    }

    static double norm(double[] x) {
      double s = 0;
      for (double v : x) {
        s += v * v;
      }
      return Math.sqrt(s);
    }
  }

  private static OptimizerGraph.Settings settings(OptimizerKind kind, int accumulation,
      boolean skipAdaptive) {
    boolean lamb = kind == OptimizerKind.LAMB;
    return new OptimizerGraph.Settings(kind, lamb ? 0.878 : 0.9, lamb ? 0.974 : 0.999, 1e-6, 0.01, skipAdaptive,
        1.0, accumulation, false);
  }

  private static void assertClose(double[][] expected, double[][] actual, String when) {
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        assertEquals(expected[i][j], actual[i][j], 2e-6 * Math.max(1, Math.abs(expected[i][j])),
            NAMES[i] + "[" + j + "] " + when);
      }
    }
  }

  private static void checkSteps(OptimizerGraph.Settings s) {
    try (Tiny tiny = new Tiny(s)) {
      Reference ref = new Reference(s, tiny.values());
      double[] lrs = {0.1, 0.05, 0.02};
      for (int k = 0; k < lrs.length; k++) {
        ref.apply(ref.grads(1), lrs[k]);
        tiny.run(lrs[k], true, 1);
        assertClose(ref.w, tiny.values(), s.kind() + " after step " + (k + 1));
      }
      assertEquals(3, tiny.step());
    }
  }

  @Test
  void lambMatchesTheFormulas() {
    checkSteps(settings(OptimizerKind.LAMB, 1, true));
  }

  @Test
  void lambWithoutSkipAdaptiveAdaptsEveryVariable() {
    checkSteps(settings(OptimizerKind.LAMB, 1, false));
  }

  @Test
  void adamWMatchesGooglesFormulasWithoutBiasCorrection() {
    checkSteps(settings(OptimizerKind.ADAM, 1, true));
  }

  @Test
  void aMicroStepThatDoesNotApplyChangesNothingWithoutAccumulationEither() {
    for (OptimizerKind kind : OptimizerKind.values()) {
      OptimizerGraph.Settings s = settings(kind, 1, true);
      try (Tiny tiny = new Tiny(s)) {
        Reference ref = new Reference(s, tiny.values());
        tiny.run(0.1, false, 1);
        assertClose(ref.w, tiny.values(), kind + ": apply_gradients false leaves the weights");
        assertEquals(0, tiny.step(), kind + ": and the step");
        ref.apply(ref.grads(1), 0.1);
        tiny.run(0.1, true, 1);
        assertClose(ref.w, tiny.values(), kind + ": the next step starts from untouched slots");
      }
    }
  }

  /** The update is TensorFlow's in-place training kernels, not element-wise ops choosing and copying every tensor. */
  @Test
  void updatesAreFusedInPlaceOpsWithoutASelectPerTensor() {
    for (OptimizerKind kind : OptimizerKind.values()) {
      try (Tiny tiny = new Tiny(settings(kind, 1, true))) {
        Map<String, Integer> types = new HashMap<>();
        tiny.graph.operations().forEachRemaining(op -> types.merge(op.type(), 1, Integer::sum));
        if (kind == OptimizerKind.ADAM) {
          assertEquals(3, types.get("ApplyAdam"), "one ApplyAdam a variable: " + types);
          assertEquals(3 + 1, types.get("ApplyGradientDescent"), "v of each variable, and the kernel's weight decay");
          assertEquals(null, types.get("SelectV2"), "no Select: " + types);
        } else {
          assertEquals(3 * 3, types.get("ApplyGradientDescent"), "m, v and weight of each variable: " + types);
          assertEquals(1, types.get("SelectV2"), "one Select, over all trust ratios at once: " + types);
        }
        assertEquals(3, types.get("L2Loss") - (kind == OptimizerKind.LAMB ? 2 : 0),
            "one L2Loss a gradient for the global norm (LAMB: and ‖w‖, ‖u‖ of the adapted kernel): " + types);
      }
    }
  }

  /** Accumulators add in place and are cleared without choosing between tensors (no Select, no Identity copy). */
  @Test
  void accumulationAddsInPlaceWithoutASelectPerTensor() {
    try (Tiny tiny = new Tiny(settings(OptimizerKind.ADAM, 2, true))) {
      Map<String, Integer> types = new HashMap<>();
      tiny.graph.operations().forEachRemaining(op -> types.merge(op.type(), 1, Integer::sum));
      assertEquals(3 + 1, types.get("AssignAdd"), "one a variable's accumulator, and the step: " + types);
      assertEquals(null, types.get("SelectV2"), "no Select: " + types);
      assertEquals(3, types.get("ZerosLike"), "one zeros an accumulator, to clear it: " + types);
    }
  }

  @Test
  void accumulationAveragesMicroBatchesAndAppliesOnlyOnTheLast() {
    OptimizerGraph.Settings s = settings(OptimizerKind.LAMB, 2, true);
    try (Tiny tiny = new Tiny(s)) {
      Reference ref = new Reference(s, tiny.values());
      for (int k = 0; k < 2; k++) {
        double[][] g1 = ref.grads(1);
        double[][] g3 = ref.grads(3);
        double[][] avg = new double[3][];
        for (int i = 0; i < 3; i++) {
          avg[i] = new double[g1[i].length];
          for (int j = 0; j < avg[i].length; j++) {
            avg[i][j] = (g1[i][j] + g3[i][j]) / 2;
          }
        }
        double[][] before = tiny.values();
        tiny.run(0.1, false, 1);
        assertClose(before, tiny.values(), "a micro-step that does not apply changes nothing");
        assertEquals(k, tiny.step());
        tiny.run(0.1, true, 3);
        ref.apply(avg, 0.1);
        assertClose(ref.w, tiny.values(), "after accumulated step " + (k + 1));
      }
      assertEquals(2, tiny.step());
    }
  }

  @Test
  void lossScalingSkipsAnOverflowingStepHalvesTheScaleAndDoublesItAfterEnoughGoodSteps() {
    OptimizerGraph.Settings plain = settings(OptimizerKind.LAMB, 1, true);
    OptimizerGraph.Settings s = new OptimizerGraph.Settings(plain.kind(), plain.beta1(), plain.beta2(),
        plain.epsilon(), plain.weightDecay(), plain.skipAdaptive(), plain.clipNorm(), 1, true);
    try (Tiny tiny = new Tiny(s)) {
      Reference ref = new Reference(s, tiny.values());
      assertEquals(32768, lossScale(tiny), "the initial scale");

      tiny.run(0.1, true, 1);
      ref.apply(ref.grads(1), 0.1);
      assertClose(ref.w, tiny.values(), "a finite step is the unscaled update");
      assertEquals(32768, lossScale(tiny));

      double[][] before = tiny.values();
      tiny.run(0.1, true, 1e35); // loss × 32768 overflows float: gradients are inf
      assertClose(before, tiny.values(), "an overflowing step changes no weight");
      assertEquals(1, tiny.step(), "and is not counted");
      assertEquals(16384, lossScale(tiny), "the scale halves");

      tiny.run(0.1, false, 1e35);
      assertEquals(16384, lossScale(tiny), "a micro-step that does not apply leaves the scale alone");

      for (int k = 1; k < OptimizerGraph.GOOD_STEPS_TO_GROW; k++) {
        tiny.run(0, true, 1);
      }
      assertEquals(16384, lossScale(tiny), "one good step short of growing");
      tiny.run(0, true, 1);
      assertEquals(32768, lossScale(tiny), "the scale doubles after GOOD_STEPS_TO_GROW finite steps");
      assertEquals(1 + OptimizerGraph.GOOD_STEPS_TO_GROW, tiny.step());
    }
  }

  private static float lossScale(Tiny tiny) {
    try (Result r = tiny.session.runner().fetch(tiny.opt.lossScale()).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }
}
