package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.trainer.model.HostArrays;
import electra.trainer.model.ModelGraph;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** The generator's sampling draws replacements from softmax(logits / temperature), tails included, per step seed. */
class SamplingTest {

  /**
   * 200,000 rows of the same 6 logits at temperature 2: the counts of each token against softmax(logits / 2) by
   * Pearson's chi-squared (5 degrees of freedom; 35 is exceeded with probability about 2e-6), and each count within 5
   * standard deviations of its expectation, the rarest token (p = 6.1e-4, 123 expected) included.
   */
  @Test
  void drawsFollowTheSoftmaxAtTheTemperature() {
    float[] logits = {3f, 1f, 0f, -2f, 2.5f, -10f};
    double temperature = 2;
    int rows = 200_000;
    int[] drawn = draw(logits, rows, temperature, 5);
    double[] p = softmax(logits, temperature);
    long[] counts = new long[logits.length];
    for (int token : drawn) {
      counts[token]++;
    }
    double chiSquared = 0;
    for (int j = 0; j < logits.length; j++) {
      double expected = rows * p[j];
      chiSquared += (counts[j] - expected) * (counts[j] - expected) / expected;
      double sd = Math.sqrt(expected * (1 - p[j]));
      assertTrue(Math.abs(counts[j] - expected) < 5 * sd,
          "token " + j + ": " + counts[j] + " drawn, " + expected + " expected");
    }
    assertTrue(chiSquared < 35, "chi-squared " + chiSquared + " for counts " + Arrays.toString(counts));
  }

  /**
   * One token and 999 others 14 below it (each p = 8.3e-7, together 8.3e-4) in 20,000 rows: about 17 draws of the
   * 999 expected. A sampler whose noise is too coarse for such tails would draw them never: 16-bit uniforms cap
   * the difference of two Gumbel noises at 13.5.
   */
  @Test
  void drawsFarTails() {
    float[] logits = new float[1000];
    Arrays.fill(logits, 1, logits.length, -14f);
    int rows = 20_000;
    long rare = Arrays.stream(draw(logits, rows, 1, 3)).filter(t -> t != 0).count();
    double expected = rows * 999 / (Math.exp(14) + 999);
    assertTrue(rare >= 4 && rare <= 40, rare + " draws of the 999, " + expected + " expected");
  }

  @Test
  void theStepSeedFixesTheDraws() {
    float[] logits = {0f, 0f, 0f, 0f};
    int[] first = draw(logits, 1000, 1, 7);
    assertArrayEquals(first, draw(logits, 1000, 1, 7), "the same step seed draws the same tokens");
    assertFalse(Arrays.equals(first, draw(logits, 1000, 1, 8)), "another step seed draws other tokens");
  }

  /** {@code rows} draws from one row of logits repeated, with step seed [3, step]. */
  private static int[] draw(float[] logits, int rows, double temperature, long step) {
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      ModelGraph g = ModelGraph.training(graph, 1);
      Ops tf = g.tf();
      Operand<TFloat32> x = tf.tile(tf.constant(Shape.of(1, logits.length), DataBuffers.of(logits, true, false)),
          tf.constant(new int[] {rows, 1}));
      Operand<TInt32> sampled = PretrainingObjective.sample(g, x, temperature);
      try (TInt64 seed = TInt64.vectorOf(3, step);
          Result r = session.runner().feed(g.stepSeed(), seed).fetch(sampled).run()) {
        int[] drawn = HostArrays.ints((TInt32) r.get(0));
        assertEquals(rows, drawn.length);
        return drawn;
      }
    }
  }

  private static double[] softmax(float[] logits, double temperature) {
    double[] e = new double[logits.length];
    double sum = 0;
    for (int j = 0; j < logits.length; j++) {
      e[j] = Math.exp(logits[j] / temperature);
      sum += e[j];
    }
    for (int j = 0; j < logits.length; j++) {
      e[j] /= sum;
    }
    return e;
  }
}
