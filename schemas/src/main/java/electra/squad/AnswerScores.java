package electra.squad;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The official per-answer scores: exact match and token F1, in their v1.1 and v2.0 forms. */
public final class AnswerScores {

  private AnswerScores() {}

  /** {@code exact_match_score} / {@code compute_exact}: the normalised texts are equal. */
  public static boolean exactMatch(String prediction, String gold) {
    return AnswerNormalization.normalize(prediction).equals(AnswerNormalization.normalize(gold));
  }

  /**
   * v1.1's {@code f1_score}: harmonic mean of token precision and recall, 0 without a common token, so also 0
   * when either side normalises to nothing.
   */
  public static double f1V1(String prediction, String gold) {
    return tokenF1(AnswerNormalization.tokens(prediction), AnswerNormalization.tokens(gold));
  }

  /**
   * v2.0's {@code compute_f1}: as in v1.1, except that an empty side ("no answer") scores 1 when the other is
   * empty too, else 0.
   */
  public static double f1V2(String prediction, String gold) {
    List<String> predicted = AnswerNormalization.tokens(prediction);
    List<String> expected = AnswerNormalization.tokens(gold);
    if (predicted.isEmpty() || expected.isEmpty()) {
      return predicted.isEmpty() && expected.isEmpty() ? 1 : 0;
    }
    return tokenF1(predicted, expected);
  }

  /** F1 of two token bags, {@code Counter(pred) & Counter(gold)}, in the scripts' operation order. */
  static double tokenF1(List<String> predicted, List<String> gold) {
    int common = commonTokens(predicted, gold);
    if (common == 0) {
      return 0;
    }
    double precision = 1.0 * common / predicted.size();
    double recall = 1.0 * common / gold.size();
    return (2 * precision * recall) / (precision + recall);
  }

  /** How many tokens the two bags share, counting a repeated token as often as both sides have it. */
  static int commonTokens(List<String> a, List<String> b) {
    Map<String, Integer> remaining = new HashMap<>();
    a.forEach(token -> remaining.merge(token, 1, Integer::sum));
    int common = 0;
    for (String token : b) {
      Integer left = remaining.get(token);
      if (left != null && left > 0) {
        remaining.put(token, left - 1);
        common++;
      }
    }
    return common;
  }
}
