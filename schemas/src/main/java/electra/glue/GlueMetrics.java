package electra.glue;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * The GLUE benchmark's metrics, as scikit-learn and scipy compute them for the benchmark: accuracy, F1 of the
 * positive class (label 1), Matthews correlation, Pearson and Spearman correlation. Each is a fraction (accuracy,
 * F1 in [0, 1], correlations in [-1, 1]); the GLUE leaderboard and the ELECTRA paper print them times 100.
 */
public final class GlueMetrics {

  private GlueMetrics() {}

  /** The fraction of predictions equal to their gold label. */
  public static double accuracy(int[] gold, int[] predicted) {
    requireSameLength(gold.length, predicted.length);
    long right = IntStream.range(0, gold.length).filter(i -> gold[i] == predicted[i]).count();
    return (double) right / gold.length;
  }

  /**
   * F1 of the positive class {@code positive}: 2·tp / (2·tp + fp + fn); 0 when there is no positive example and no
   * positive prediction (scikit-learn's {@code zero_division=0}).
   */
  public static double f1(int[] gold, int[] predicted, int positive) {
    requireSameLength(gold.length, predicted.length);
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (int i = 0; i < gold.length; i++) {
      boolean g = gold[i] == positive;
      boolean p = predicted[i] == positive;
      tp += g && p ? 1 : 0;
      fp += !g && p ? 1 : 0;
      fn += g && !p ? 1 : 0;
    }
    long denominator = 2 * tp + fp + fn;
    return denominator == 0 ? 0 : 2.0 * tp / denominator;
  }

  /**
   * Matthews correlation of binary labels (1 positive, anything else negative): (tp·tn − fp·fn) over the square
   * root of the product of the four margins; 0 when a margin is empty (e.g. a constant prediction), as scikit-learn.
   */
  public static double matthews(int[] gold, int[] predicted) {
    requireSameLength(gold.length, predicted.length);
    double tp = 0;
    double tn = 0;
    double fp = 0;
    double fn = 0;
    for (int i = 0; i < gold.length; i++) {
      boolean g = gold[i] == 1;
      boolean p = predicted[i] == 1;
      if (g && p) {
        tp++;
      } else if (!g && !p) {
        tn++;
      } else if (p) {
        fp++;
      } else {
        fn++;
      }
    }
    double denominator = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn);
    return denominator == 0 ? 0 : (tp * tn - fp * fn) / Math.sqrt(denominator);
  }

  /** Pearson's correlation; 0 when either side is constant (its variance is 0). */
  public static double pearson(double[] x, double[] y) {
    requireSameLength(x.length, y.length);
    double mx = Arrays.stream(x).average().orElse(0);
    double my = Arrays.stream(y).average().orElse(0);
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (int i = 0; i < x.length; i++) {
      double dx = x[i] - mx;
      double dy = y[i] - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    return sxx == 0 || syy == 0 ? 0 : sxy / Math.sqrt(sxx * syy);
  }

  /** Spearman's correlation: Pearson's of the ranks, tied values sharing their average rank (scipy's default). */
  public static double spearman(double[] x, double[] y) {
    requireSameLength(x.length, y.length);
    return pearson(ranks(x), ranks(y));
  }

  /** 1-based ranks; a run of equal values gets the mean of the ranks it spans. */
  static double[] ranks(double[] values) {
    Integer[] order = IntStream.range(0, values.length).boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.comparingDouble(i -> values[i]));
    double[] ranks = new double[values.length];
    int from = 0;
    while (from < order.length) {
      int to = from;
      while (to + 1 < order.length && values[order[to + 1]] == values[order[from]]) {
        to++;
      }
      double average = (from + to) / 2.0 + 1;
      for (int k = from; k <= to; k++) {
        ranks[order[k]] = average;
      }
      from = to + 1;
    }
    return ranks;
  }

  private static void requireSameLength(int gold, int predicted) {
    if (gold != predicted) {
      throw new IllegalArgumentException(gold + " gold labels but " + predicted + " predictions");
    }
    if (gold == 0) {
      throw new IllegalArgumentException("no examples to score");
    }
  }
}
