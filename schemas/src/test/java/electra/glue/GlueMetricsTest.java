package electra.glue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The metrics on cases worked out by hand, and their edge cases (constant predictions, ties). */
class GlueMetricsTest {

  private static final double EPS = 1e-12;

  @Test
  void accuracyAndF1OfThePositiveClass() {
    int[] gold = {1, 0, 1, 1};
    int[] predicted = {1, 1, 1, 0}; // tp 2, fp 1, fn 1, tn 0
    assertEquals(0.5, GlueMetrics.accuracy(gold, predicted), EPS);
    assertEquals(2.0 / 3, GlueMetrics.f1(gold, predicted, 1), EPS); // 2·2 / (2·2 + 1 + 1)
    assertEquals(0, GlueMetrics.f1(new int[] {0, 0}, new int[] {0, 0}, 1), EPS, "no positive anywhere: 0");
  }

  @Test
  void matthewsCorrelation() {
    // tp 2, tn 2, fp 1, fn 1: (4 - 1) / sqrt(3·3·3·3) = 1/3
    assertEquals(1.0 / 3, GlueMetrics.matthews(new int[] {1, 1, 0, 0, 1, 0}, new int[] {1, 0, 0, 0, 1, 1}), EPS);
    // tp 2, tn 0, fp 1, fn 1: (0 - 1) / sqrt(3·3·1·1) = -1/3
    assertEquals(-1.0 / 3, GlueMetrics.matthews(new int[] {1, 0, 1, 1}, new int[] {1, 1, 1, 0}), EPS);
    assertEquals(1, GlueMetrics.matthews(new int[] {1, 0, 1}, new int[] {1, 0, 1}), EPS);
    assertEquals(-1, GlueMetrics.matthews(new int[] {1, 0, 1}, new int[] {0, 1, 0}), EPS);
  }

  @Test
  void matthewsOfAConstantPredictionIsZero() {
    assertEquals(0, GlueMetrics.matthews(new int[] {1, 0, 1, 0}, new int[] {1, 1, 1, 1}), EPS);
    assertEquals(0, GlueMetrics.matthews(new int[] {1, 0, 1, 0}, new int[] {0, 0, 0, 0}), EPS);
    assertEquals(0, GlueMetrics.matthews(new int[] {1, 1}, new int[] {1, 1}), EPS, "constant gold too");
  }

  @Test
  void pearsonCorrelation() {
    assertEquals(1, GlueMetrics.pearson(new double[] {1, 2, 3, 4}, new double[] {2, 4, 6, 8}), EPS);
    // deviations (-1, 0, 1) and (-1, 1, 0): 1 / sqrt(2·2)
    assertEquals(0.5, GlueMetrics.pearson(new double[] {1, 2, 3}, new double[] {1, 3, 2}), EPS);
    assertEquals(-1, GlueMetrics.pearson(new double[] {1, 2, 3}, new double[] {3, 2, 1}), EPS);
    assertEquals(0, GlueMetrics.pearson(new double[] {1, 2, 3}, new double[] {5, 5, 5}), EPS, "constant side");
  }

  @Test
  void spearmanGivesTiesTheirAverageRank() {
    assertArrayEquals(new double[] {1.5, 4, 1.5, 6, 4, 4}, GlueMetrics.ranks(new double[] {10, 20, 10, 30, 20, 20}));
    // ranks (1, 2.5, 2.5, 4) and (1, 2, 3, 4): 4.5 / sqrt(4.5·5) = sqrt(0.9), scipy's spearmanr
    assertEquals(Math.sqrt(0.9), GlueMetrics.spearman(new double[] {1, 2, 2, 3}, new double[] {1, 2, 3, 4}), EPS);
    // monotone but not linear: Spearman 1, Pearson below
    double[] x = {1, 2, 3, 4};
    double[] y = {1, 4, 9, 100};
    assertEquals(1, GlueMetrics.spearman(x, y), EPS);
    assertEquals(true, GlueMetrics.pearson(x, y) < 0.9);
  }

  @Test
  void refusesMismatchedOrEmptyInputs() {
    assertThrows(IllegalArgumentException.class, () -> GlueMetrics.accuracy(new int[] {1}, new int[] {1, 0}));
    assertThrows(IllegalArgumentException.class, () -> GlueMetrics.pearson(new double[0], new double[0]));
  }
}
