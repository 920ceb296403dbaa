package electra.squad;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The official SQuAD evaluations, {@code evaluate-v1.1.py} and {@code evaluate-v2.0.py}, as the ordered dicts they
 * print (keys in their order, Python ints as {@link Integer}, floats as {@link Double}); {@link PythonJson} prints
 * them the way the scripts do.
 *
 * <p>Sums are plain left-to-right double additions in dataset order, as Python up to 3.11 computes {@code +=} and
 * {@code sum()}. Python 3.12 made {@code sum()} of floats compensated, so evaluate-v2.0.py run by 3.12 or 3.13
 * prints different last digits for the same predictions: for BERT on the first five dev-v2.0 articles f1
 * 78.83251404548828 and HasAns_f1 76.90403866950636 where 3.11 prints 78.83251404548824 and 76.9040386695064.
 * The v1.1 script adds with {@code +=} and prints the same under every version.
 */
public final class SquadMetrics {

  private SquadMetrics() {}

  /**
   * {@code evaluate(dataset, predictions)} of evaluate-v1.1.py: {@code exact_match} and {@code f1}, each the mean
   * over all questions (×100) of the best score against any gold answer. A question without a prediction scores 0
   * and is reported to {@code warnings} with the script's message.
   */
  public static Map<String, Number> evaluateV1(List<SquadExample> dataset, Map<String, String> predictions,
      Consumer<String> warnings) {
    requireQuestions(dataset);
    int exactMatch = 0;
    double f1 = 0;
    for (SquadExample example : dataset) {
      String prediction = predictions.get(example.id());
      if (prediction == null) {
        warnings.accept("Unanswered question " + example.id() + " will receive score 0.");
        continue;
      }
      List<String> golds = example.answerTexts();
      if (golds.isEmpty()) {
        // evaluate-v1.1.py stops here with "max() arg is an empty sequence".
        throw new SquadInputException("question " + example.id()
            + " has no gold answer; SQuAD 1.1 scoring needs at least one (is this a 2.0 dataset?)");
      }
      exactMatch += golds.stream().anyMatch(gold -> AnswerScores.exactMatch(prediction, gold)) ? 1 : 0;
      f1 += golds.stream().mapToDouble(gold -> AnswerScores.f1V1(prediction, gold)).max().orElseThrow();
    }
    Map<String, Number> result = new LinkedHashMap<>();
    result.put("exact_match", 100.0 * exactMatch / dataset.size());
    result.put("f1", 100.0 * f1 / dataset.size());
    return Collections.unmodifiableMap(result);
  }

  /**
   * evaluate-v2.0.py's {@code main}: {@code exact}, {@code f1}, {@code total}, then the same three over answerable
   * ({@code HasAns_}) and unanswerable ({@code NoAns_}) questions where there are any, after predicting "no answer"
   * for every question whose no-answer probability exceeds {@code noAnswerThreshold}. Given a no-answer
   * probability file, also the best scores any threshold would give and that threshold ({@code best_exact},
   * {@code best_exact_thresh}, {@code best_f1}, {@code best_f1_thresh}).
   *
   * <p>Predictions for questions outside the dataset are ignored. Every question of the dataset needs a prediction
   * (the official script fails with a {@code KeyError} otherwise), and with a probability file, a probability.
   */
  public static Map<String, Number> evaluateV2(List<SquadExample> dataset, Map<String, String> predictions,
      Optional<Map<String, ? extends Number>> noAnswerProbabilities, double noAnswerThreshold) {
    requireQuestions(dataset);
    Map<String, Boolean> hasAnswer = new LinkedHashMap<>();
    dataset.forEach(example -> hasAnswer.put(example.id(), !example.answers().isEmpty()));
    RawScores raw = rawScoresV2(dataset, predictions);
    Map<String, ? extends Number> probabilities = noAnswerProbabilities.orElseGet(() -> zeroFor(predictions));
    Map<String, Double> exact = applyNoAnswerThreshold(raw.exact(), probabilities, hasAnswer, noAnswerThreshold);
    Map<String, Double> f1 = applyNoAnswerThreshold(raw.f1(), probabilities, hasAnswer, noAnswerThreshold);

    Map<String, Number> result = new LinkedHashMap<>(evalDict(exact, f1, exact.keySet()));
    List<String> answerable = qidsWhere(hasAnswer, true);
    List<String> unanswerable = qidsWhere(hasAnswer, false);
    if (!answerable.isEmpty()) {
      evalDict(exact, f1, answerable).forEach((key, value) -> result.put("HasAns_" + key, value));
    }
    if (!unanswerable.isEmpty()) {
      evalDict(exact, f1, unanswerable).forEach((key, value) -> result.put("NoAns_" + key, value));
    }
    if (noAnswerProbabilities.isPresent()) {
      BestThreshold bestExact = findBestThreshold(predictions, raw.exact(), probabilities, hasAnswer);
      BestThreshold bestF1 = findBestThreshold(predictions, raw.f1(), probabilities, hasAnswer);
      result.put("best_exact", bestExact.score());
      result.put("best_exact_thresh", bestExact.threshold());
      result.put("best_f1", bestF1.score());
      result.put("best_f1_thresh", bestF1.threshold());
    }
    return Collections.unmodifiableMap(result);
  }

  /** Per-question scores before any no-answer threshold, keyed by question id in dataset order. */
  record RawScores(Map<String, Double> exact, Map<String, Double> f1) {}

  /**
   * {@code get_raw_scores}: the best score over the gold answers that do not normalise to nothing, or against
   * {@code ""} when none is left (an unanswerable question).
   */
  static RawScores rawScoresV2(List<SquadExample> dataset, Map<String, String> predictions) {
    Map<String, Double> exact = new LinkedHashMap<>();
    Map<String, Double> f1 = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (SquadExample example : dataset) {
      String prediction = predictions.get(example.id());
      if (prediction == null) {
        missing.add(example.id());
        continue;
      }
      List<String> golds = example.answerTexts().stream()
          .filter(gold -> !AnswerNormalization.normalize(gold).isEmpty()).toList();
      List<String> scoredAgainst = golds.isEmpty() ? List.of("") : golds;
      exact.put(example.id(), scoredAgainst.stream().anyMatch(gold -> AnswerScores.exactMatch(prediction, gold)) ? 1.0 : 0.0);
      f1.put(example.id(), scoredAgainst.stream().mapToDouble(gold -> AnswerScores.f1V2(prediction, gold)).max().orElseThrow());
    }
    if (!missing.isEmpty()) {
      throw new SquadInputException("no prediction for " + missing.size() + " of the dataset's questions (first: "
          + missing.get(0) + "); SQuAD 2.0 scoring needs one for each, \"\" for no answer");
    }
    return new RawScores(exact, f1);
  }

  /**
   * {@code apply_no_ans_threshold}: a question whose no-answer probability is above the threshold counts as
   * answered "no answer": 1 if it has none, else 0.
   */
  static Map<String, Double> applyNoAnswerThreshold(Map<String, Double> scores,
      Map<String, ? extends Number> noAnswerProbabilities, Map<String, Boolean> hasAnswer, double threshold) {
    Map<String, Double> thresholded = new LinkedHashMap<>();
    scores.forEach((qid, score) -> {
      boolean predictsNoAnswer = probability(noAnswerProbabilities, qid) > threshold;
      thresholded.put(qid, predictsNoAnswer ? (hasAnswer.get(qid) ? 0.0 : 1.0) : score);
    });
    return thresholded;
  }

  /** {@code make_eval_dict}: mean exact and F1 (×100) over {@code qids}, and their number. */
  static Map<String, Number> evalDict(Map<String, Double> exact, Map<String, Double> f1, Collection<String> qids) {
    Map<String, Number> dict = new LinkedHashMap<>();
    dict.put("exact", 100.0 * sum(exact, qids) / qids.size());
    dict.put("f1", 100.0 * sum(f1, qids) / qids.size());
    dict.put("total", qids.size());
    return dict;
  }

  /** The best score a no-answer threshold can give, and the threshold that gives it. */
  record BestThreshold(double score, Number threshold) {}

  /**
   * {@code find_best_thresh}: walk the questions by increasing no-answer probability (ties in the probability
   * file's order), as if the threshold were just above each one in turn: everything up to it is answered with its
   * prediction, everything after it gets "no answer". Starting from all "no answer" (the unanswerable questions
   * right), each step adds the question's score if it has an answer, or loses 1 if it has none and the
   * prediction is not empty. The best total, as a percentage of the scored questions, and the probability where
   * it was first reached (strictly better only, so a tie keeps the lower threshold; 0.0 when nothing beats
   * answering nothing).
   */
  static BestThreshold findBestThreshold(Map<String, String> predictions, Map<String, Double> scores,
      Map<String, ? extends Number> noAnswerProbabilities, Map<String, Boolean> hasAnswer) {
    double score = qidsWhere(hasAnswer, false).size();
    double best = score;
    Number bestThreshold = 0.0;
    for (String qid : byIncreasingProbability(noAnswerProbabilities)) {
      Double questionScore = scores.get(qid);
      if (questionScore == null) {
        continue;
      }
      if (hasAnswer.get(qid)) {
        score += questionScore;
      } else if (!predictions.get(qid).isEmpty()) {
        score -= 1;
      }
      if (score > best) {
        best = score;
        bestThreshold = noAnswerProbabilities.get(qid);
      }
    }
    return new BestThreshold(100.0 * best / scores.size(), bestThreshold);
  }

  /**
   * {@code sorted(na_probs, key=lambda k: na_probs[k])}: stable, and comparing as Python does, so -0.0 and 0.0
   * (or 1 and 1.0) are a tie kept in file order, where {@link Double#compare} would put -0.0 first.
   */
  static List<String> byIncreasingProbability(Map<String, ? extends Number> noAnswerProbabilities) {
    List<String> qids = new ArrayList<>(noAnswerProbabilities.keySet());
    qids.sort((a, b) -> {
      double x = noAnswerProbabilities.get(a).doubleValue();
      double y = noAnswerProbabilities.get(b).doubleValue();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return qids;
  }

  private static double probability(Map<String, ? extends Number> noAnswerProbabilities, String qid) {
    Number probability = noAnswerProbabilities.get(qid);
    if (probability == null) {
      throw new SquadInputException("no no-answer probability for question " + qid);
    }
    return probability.doubleValue();
  }

  /** The probabilities the script assumes without a file: 0.0 for every prediction. */
  private static Map<String, Double> zeroFor(Map<String, String> predictions) {
    Map<String, Double> zeros = new LinkedHashMap<>();
    predictions.keySet().forEach(qid -> zeros.put(qid, 0.0));
    return zeros;
  }

  private static List<String> qidsWhere(Map<String, Boolean> hasAnswer, boolean answerable) {
    return hasAnswer.entrySet().stream().filter(e -> e.getValue() == answerable).map(Map.Entry::getKey).toList();
  }

  private static double sum(Map<String, Double> scores, Collection<String> qids) {
    double sum = 0;
    for (String qid : qids) {
      sum += scores.get(qid);
    }
    return sum;
  }

  private static void requireQuestions(List<SquadExample> dataset) {
    if (dataset.isEmpty()) {
      // Both scripts divide by the number of questions.
      throw new SquadInputException("the dataset has no questions to score");
    }
  }
}
