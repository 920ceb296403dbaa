package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.model.ElectraConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** Dropout only where asked for, and a training graph that differentiates with respect to every variable. */
class TrainingGraphTest {

  private static final int[][] IDS = {{101, 2054, 2003, 103, 102, 0}, {101, 7592, 2088, 1012, 102, 2000}};
  private static final int[][] MASK = {{1, 1, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1}};
  private static final int[][] SEGMENTS = {{0, 0, 0, 1, 1, 0}, {0, 0, 1, 1, 1, 1}};

  /** The span logits of the golden discriminator in an inference or training graph, with dropout on or off. */
  private static final class Discriminator implements AutoCloseable {
    final Graph graph = new Graph();
    final Session session = new Session(graph);
    final ModelGraph g;
    final Inputs in;
    final Operand<TFloat32> start;

    Discriminator(Path dir, boolean training) throws Exception {
      ElectraConfig config = HuggingFaceWeights.readConfig(dir);
      g = training ? ModelGraph.training(graph, 7) : ModelGraph.inference(graph);
      in = Inputs.placeholders(g.tf());
      start = new SpanHead(g, config)
          .logits(new Encoder(g, Tower.DISCRIMINATOR, config, new Embeddings(g, config)).apply(in)).start();
      HuggingFaceWeights.load(dir, Tower.DISCRIMINATOR, config, g, session, HuggingFaceWeights.Match.ENCODER);
    }

    float[] run(Boolean dropoutOn) {
      try (TInt32 ids = TestData.matrix(IDS); TInt32 mask = TestData.matrix(MASK);
          TInt32 seg = TestData.matrix(SEGMENTS); TBool on = TBool.scalarOf(Boolean.TRUE.equals(dropoutOn))) {
        Session.Runner r = session.runner().feed(in.inputIds(), ids).feed(in.inputMask(), mask)
            .feed(in.segmentIds(), seg).fetch(start);
        if (dropoutOn != null) {
          r.feed(g.dropoutOn(), on);
        }
        try (Result result = r.run()) {
          return TestData.floats((TFloat32) result.get(0));
        }
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  @Test
  void dropoutIsOffInInferenceAndSwitchable() throws Exception {
    Path dir = TestData.golden("tiny-discriminator-qa");
    try (Discriminator inference = new Discriminator(dir, false);
        Discriminator training = new Discriminator(dir, true)) {
      float[] first = inference.run(null);
      assertArrayEquals(first, inference.run(null), "inference runs must be identical");

      // Switched off, dropout multiplies by exactly 1; grappler fuses the two graphs' ops differently, so the
      // results agree to float rounding rather than bit for bit.
      float[] trainedOff = training.run(false);
      for (int i = 0; i < first.length; i++) {
        assertTrue(Math.abs(first[i] - trainedOff[i]) <= 1e-6, "dropout switched off changes position " + i);
      }
      float[] on1 = training.run(null); // default: dropout on
      float[] on2 = training.run(true);
      assertFalse(Arrays.equals(on1, on2), "dropout masks must differ between steps");
      assertFalse(Arrays.equals(on1, first), "dropout must change the outputs in training");
    }
  }

  /**
   * Dropout 0.1 on 100,233 ones (an odd count: one 16-bit half of the last draw is unused): about 9 in 10 kept, each
   * scaled by exactly 2¹⁶/58,982 (58,982 of 65,536 draws keep), the rest 0; the same step seed gives the same mask,
   * another one a different mask; switched off, the ones pass unchanged.
   */
  @Test
  void dropoutKeepsNineInTenScaledByTheInverseAndFollowsTheStepSeed() {
    int rows = 301;
    int columns = 333;
    float[][] ones = new float[rows][columns];
    for (float[] row : ones) {
      Arrays.fill(row, 1f);
    }
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      ModelGraph g = ModelGraph.training(graph, 3);
      Ops tf = g.tf();
      Operand<TFloat32> x = tf.placeholder(TFloat32.class);
      Operand<TFloat32> y = g.dropout(x, 0.1);
      float scale = (float) (65536.0 / 58982);
      float[] first = run(g, session, x, y, ones, 5, true);
      int kept = 0;
      for (float v : first) {
        assertTrue(v == 0 || v == scale, "a dropped 0 or a kept value times 2^16/58982, got " + v);
        kept += v == 0 ? 0 : 1;
      }
      double fraction = (double) kept / (rows * columns);
      assertTrue(Math.abs(fraction - 58982.0 / 65536) < 0.005, "kept fraction " + fraction); // 5 sd
      assertArrayEquals(first, run(g, session, x, y, ones, 5, true), "the same step seed, the same mask");
      assertFalse(Arrays.equals(first, run(g, session, x, y, ones, 6, true)), "another step seed, another mask");
      float[] off = run(g, session, x, y, ones, 5, false);
      for (float v : off) {
        assertTrue(v == 1f, "switched off, dropout passes 1 unchanged, got " + v);
      }
    }
  }

  /** {@code y} for {@code x} fed {@code value}, with step seed [11, step] and dropout switched as asked. */
  private static float[] run(ModelGraph g, Session session, Operand<TFloat32> x, Operand<TFloat32> y, float[][] value,
      long step, boolean dropoutOn) {
    try (TFloat32 in = TFloat32.tensorOf(StdArrays.ndCopyOf(value)); TInt64 seed = TInt64.vectorOf(11, step);
        TBool on = TBool.scalarOf(dropoutOn); Result r = session.runner().feed(x, in).feed(g.stepSeed(), seed)
            .feed(g.dropoutOn(), on).fetch(y).run()) {
      return TestData.floats((TFloat32) r.get(0));
    }
  }

  @Test
  void everyVariableOfGeneratorDiscriminatorAndSpanHeadGetsAGradient() {
    ElectraConfig disc = new ElectraConfig(120, 16, 32, 2, 2, 64, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
    ElectraConfig gen = new ElectraConfig(120, 16, 24, 2, 1, 48, "gelu", 0.1, 0.1, 16, 2, 0.02, 1e-12);
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      ModelGraph g = ModelGraph.training(graph, 1);
      Ops tf = g.tf();
      Inputs in = Inputs.placeholders(tf);
      Embeddings embeddings = new Embeddings(g, disc);
      Operand<TFloat32> genLogits = new GeneratorHead(g, gen, embeddings)
          .logits(new Encoder(g, Tower.GENERATOR, gen, embeddings).apply(in));
      Operand<TFloat32> hidden = new Encoder(g, Tower.DISCRIMINATOR, disc, embeddings).apply(in);
      SpanHead.Logits span = new SpanHead(g, disc).logits(hidden);
      Operand<TFloat32> all = tf.math.add(tf.math.add(sum(tf, genLogits), sum(tf, new DiscriminatorHead(g, disc)
          .logits(hidden))), tf.math.add(sum(tf, span.start()), sum(tf, tf.math.square(span.end()))));

      List<ModelGraph.Parameter> params = g.parameters();
      Output<?>[] variables = params.stream().map(p -> p.variable().asOutput()).toArray(Output<?>[]::new);
      Output<?>[] grads = graph.addGradients(all.asOutput(), variables);
      Session.Runner runner = session.runner();
      List<String> names = new ArrayList<>();
      for (int i = 0; i < grads.length; i++) {
        assertFalse(grads[i] == null || grads[i].isClosed(), "no gradient for " + params.get(i).name());
        runner.fetch(grads[i]);
        names.add(params.get(i).name());
      }
      int[][] ids = {{1, 5, 7, 119, 2, 0}, {1, 9, 9, 3, 2, 4}};
      try (TInt32 idsT = TestData.matrix(ids); TInt32 mask = TestData.matrix(MASK);
          TInt32 seg = TestData.matrix(SEGMENTS); Result r = runner.feed(in.inputIds(), idsT)
              .feed(in.inputMask(), mask).feed(in.segmentIds(), seg).run()) {
        for (int i = 0; i < grads.length; i++) {
          float[] grad = TestData.floats((TFloat32) r.get(i));
          boolean finite = true;
          boolean nonZero = false;
          for (float v : grad) {
            finite &= Float.isFinite(v);
            nonZero |= v != 0;
          }
          assertTrue(finite && nonZero, "gradient of " + names.get(i) + " is zero or not finite");
        }
      }
    }
  }

  private static Operand<TFloat32> sum(Ops tf, Operand<TFloat32> x) {
    return tf.reduceSum(x, tf.range(tf.constant(0), tf.rank(x), tf.constant(1)));
  }
}
