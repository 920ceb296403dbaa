package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Exact match and token F1 on the cases where v1.1 and v2.0 or naive implementations part ways. */
class AnswerScoresTest {

  @Test
  void exactMatchComparesNormalisedTexts() {
    assertTrue(AnswerScores.exactMatch("The Cat!", "cat"));
    assertTrue(AnswerScores.exactMatch("an", ""));
    assertFalse(AnswerScores.exactMatch("cats", "cat"));
  }

  @Test
  void f1IsTheHarmonicMeanOfTokenPrecisionAndRecall() {
    assertEquals(1.0, AnswerScores.f1V1("The cat.", "cat"));
    // Articles do not count: [cat, sat] against [cat, sat, on, mat].
    assertEquals(0.6666666666666666, AnswerScores.f1V1("the cat sat", "cat sat on the mat"));
    assertEquals(0.0, AnswerScores.f1V1("dog", "cat"));
  }

  @Test
  void repeatedTokensCountAsOftenAsBothSidesHaveThem() {
    assertEquals(1, AnswerScores.commonTokens(List.of("cat", "cat", "cat"), List.of("cat")));
    assertEquals(2, AnswerScores.commonTokens(List.of("cat", "cat", "dog"), List.of("cat", "cat", "cat")));
    assertEquals(0.5, AnswerScores.f1V1("cat cat cat", "cat"));
    assertEquals(0.6666666666666666, AnswerScores.f1V1("cat cat dog", "cat cat cat"));
  }

  @Test
  void emptyAnswersScoreZeroInV11AndAgreeingEmptiesScoreOneInV20() {
    assertEquals(0.0, AnswerScores.f1V1("", ""));
    assertEquals(0.0, AnswerScores.f1V1("the", "a"));
    assertEquals(1.0, AnswerScores.f1V2("", ""));
    assertEquals(1.0, AnswerScores.f1V2("the", ""));
    assertEquals(0.0, AnswerScores.f1V2("a cat", ""));
    assertEquals(0.0, AnswerScores.f1V2("", "cat"));
    assertEquals(0.5, AnswerScores.f1V2("cat cat cat", "cat"));
  }
}
