package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The v1.1 and v2.0 evaluations on hand-made cases whose scores are worked out in the comments. */
class SquadMetricsTest {

  private static SquadExample answerable(String id, String... answers) {
    List<SquadExample.Answer> gold = new ArrayList<>();
    for (String answer : answers) {
      gold.add(new SquadExample.Answer(answer, 0));
    }
    return new SquadExample(id, "t", "q?", "c", gold, false, List.of());
  }

  private static SquadExample unanswerable(String id) {
    return new SquadExample(id, "t", "q?", "c", List.of(), true, List.of());
  }

  /**
   * q1 right (1), q2 half right (F1 2/3, EM 0), q3 unanswerable but answered, q4 unanswerable and not answered.
   */
  private static final List<SquadExample> DATASET = List.of(
      answerable("q1", "cat"), answerable("q2", "big dog"), unanswerable("q3"), unanswerable("q4"));
  private static final Map<String, String> PREDICTIONS = Map.of("q1", "cat", "q2", "dog", "q3", "bird", "q4", "");

  private static Map<String, Number> probabilities(Object... idsAndValues) {
    Map<String, Number> map = new LinkedHashMap<>();
    for (int i = 0; i < idsAndValues.length; i += 2) {
      map.put((String) idsAndValues[i], (Number) idsAndValues[i + 1]);
    }
    return map;
  }

  @Test
  void withoutProbabilitiesEachQuestionKeepsItsScore() {
    assertEquals("{\n  \"exact\": 50.0,\n  \"f1\": 66.66666666666666,\n  \"total\": 4,\n"
            + "  \"HasAns_exact\": 50.0,\n  \"HasAns_f1\": 83.33333333333333,\n  \"HasAns_total\": 2,\n"
            + "  \"NoAns_exact\": 50.0,\n  \"NoAns_f1\": 50.0,\n  \"NoAns_total\": 2\n}",
        PythonJson.dumpsIndented(SquadMetrics.evaluateV2(DATASET, PREDICTIONS, Optional.empty(), 1.0)));
  }

  /**
   * Probabilities q1 0.1, q2 0.3, q3 0.4, q4 0.9. Answering nothing scores 2 (q3, q4). Raising the threshold past
   * q1 gives 3, past q2 3 for EM (no better, so the EM threshold stays 0.1) and 3⅔ for F1, past q3 one less.
   */
  @Test
  void bestThresholdIsWhereTheRunningScorePeaksFirst() {
    Map<String, Number> result = SquadMetrics.evaluateV2(DATASET, PREDICTIONS,
        Optional.of(probabilities("q4", 0.9, "q3", 0.4, "q2", 0.3, "q1", 0.1)), 1.0);
    assertEquals(75.0, result.get("best_exact"));
    assertEquals(0.1, result.get("best_exact_thresh"));
    assertEquals(91.66666666666666, result.get("best_f1"));
    assertEquals(0.3, result.get("best_f1_thresh"));
    assertEquals(List.of("exact", "f1", "total", "HasAns_exact", "HasAns_f1", "HasAns_total", "NoAns_exact",
        "NoAns_f1", "NoAns_total", "best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"),
        List.copyOf(result.keySet()));
  }

  /** When answering nothing is best, the threshold is the script's initial 0.0; integers stay integers. */
  @Test
  void thresholdsAreTheFilesNumbersOrZero() {
    Map<String, String> wrong = Map.of("q1", "dog", "q2", "cat", "q3", "bird", "q4", "fish");
    Map<String, Number> result = SquadMetrics.evaluateV2(DATASET, wrong,
        Optional.of(probabilities("q1", 1L, "q2", 2L, "q3", 3L, "q4", 4L)), 10.0);
    assertEquals(50.0, result.get("best_exact"));
    assertEquals(0.0, result.get("best_exact_thresh"));
    result = SquadMetrics.evaluateV2(DATASET, PREDICTIONS,
        Optional.of(probabilities("q1", 1L, "q2", 2L, "q3", 3L, "q4", 4L)), 10.0);
    assertEquals("1", PythonJson.number(result.get("best_exact_thresh")));
  }

  /** Python's sort is stable and -0.0 == 0.0 there: equal probabilities keep the file's order. */
  @Test
  void tiesKeepTheProbabilityFilesOrder() {
    Map<String, Number> probabilities = probabilities("b", 0.0, "a", -0.0, "c", 1L, "d", 1.0, "e", -1.0);
    assertEquals(List.of("e", "b", "a", "c", "d"), SquadMetrics.byIncreasingProbability(probabilities));
    // Both orders of q1 and q2 at one probability: the threshold is where the score first peaks within the tie.
    Map<String, Number> result = SquadMetrics.evaluateV2(DATASET, PREDICTIONS,
        Optional.of(probabilities("q2", 0.5, "q1", -0.0, "q3", 0.5, "q4", 0.0)), 1.0);
    assertEquals(-0.0, result.get("best_exact_thresh"));
    assertEquals(0.5, result.get("best_f1_thresh"));
  }

  /** Above the threshold a question counts as answered "no answer": q3 (0.4) and q4 (0.9) above 0.35. */
  @Test
  void noAnswerThresholdIsAppliedBeforeScoring() {
    Map<String, Number> result = SquadMetrics.evaluateV2(DATASET, PREDICTIONS,
        Optional.of(probabilities("q1", 0.1, "q2", 0.3, "q3", 0.4, "q4", 0.9)), 0.35);
    assertEquals(75.0, result.get("exact"));
    assertEquals(100.0, result.get("NoAns_exact"));
    // Without a file every probability is 0.0, so a negative threshold predicts "no answer" everywhere.
    result = SquadMetrics.evaluateV2(DATASET, PREDICTIONS, Optional.empty(), -1.0);
    assertEquals(50.0, result.get("exact"));
    assertEquals(0.0, result.get("HasAns_f1"));
    assertEquals(9, result.size());
  }

  @Test
  void v20NeedsAPredictionAndAProbabilityForEveryQuestion() {
    SquadInputException missing = assertThrows(SquadInputException.class,
        () -> SquadMetrics.evaluateV2(DATASET, Map.of("q1", "cat", "q4", ""), Optional.empty(), 1.0));
    assertEquals("no prediction for 2 of the dataset's questions (first: q2); SQuAD 2.0 scoring needs one for"
        + " each, \"\" for no answer", missing.getMessage());
    SquadInputException noProbability = assertThrows(SquadInputException.class,
        () -> SquadMetrics.evaluateV2(DATASET, PREDICTIONS, Optional.of(probabilities("q1", 0.5)), 1.0));
    assertTrue(noProbability.getMessage().contains("q2"), noProbability.getMessage());
  }

  @Test
  void v11ScoresMissingPredictionsZeroAndSaysSo() {
    List<String> warnings = new ArrayList<>();
    List<SquadExample> dataset = List.of(answerable("q1", "cat", "a cat"), answerable("q2", "dog"),
        answerable("q3", "red fox"));
    Map<String, Number> result = SquadMetrics.evaluateV1(dataset, Map.of("q1", "The cat", "q3", "fox"), warnings::add);
    assertEquals(Map.of("exact_match", 33.333333333333336, "f1", 55.55555555555555), result);
    assertEquals(List.of("Unanswered question q2 will receive score 0."), warnings);
    assertThrows(SquadInputException.class,
        () -> SquadMetrics.evaluateV1(List.of(unanswerable("q1")), Map.of("q1", ""), warnings::add));
    assertThrows(SquadInputException.class, () -> SquadMetrics.evaluateV1(List.of(), Map.of(), warnings::add));
  }
}
