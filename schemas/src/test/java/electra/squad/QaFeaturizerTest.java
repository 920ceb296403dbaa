package electra.squad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Windows, ids, masks, positions and max-context flags, worked out by hand on {@link TinyVocab}. */
class QaFeaturizerTest {

  // Words:  The cat sat on the mat. The dog ran to the park.   (word 5 "mat." and word 11 "park." give 2 pieces)
  // Pieces: 0 the, 1 cat, 2 sat, 3 on, 4 the, 5 mat, 6 ., 7 the, 8 dog, 9 ran, 10 to, 11 the, 12 park, 13 .
  static final String CONTEXT = "The cat sat on the mat. The dog ran to the park.";
  static final SquadExample THE_DOG = example("q1", "Where?", CONTEXT, "The dog", 24);

  // max_seq_length 12 - query 2 - 3 leaves 7 pieces per window; windows start 4 apart: 0..6, 4..10, 8..13.
  static final QaFeaturizer.Options SMALL = new QaFeaturizer.Options(12, 4, 7);

  static SquadExample example(String id, String question, String context, String answer, int start) {
    return new SquadExample(id, "t", question, context, List.of(new SquadExample.Answer(answer, start)), false,
        List.of());
  }

  private static QaFeaturizer featurizer(QaFeaturizer.Options options) {
    return new QaFeaturizer(TinyVocab.tokenizer(), options);
  }

  @Test
  void slidingWindowsHoldTheQueryThenTheirPiecesOfTheContext() {
    List<QaFeature> features = featurizer(SMALL).features(THE_DOG, true);
    assertEquals(3, features.size());

    QaFeature second = features.get(1);
    assertEquals("q1", second.exampleId());
    assertEquals(1, second.windowIndex());
    //                     [CLS] where ? [SEP] the mat . the dog ran to [SEP]
    assertArrayEquals(new int[] {2, 11, 13, 3, 5, 9, 10, 5, 14, 15, 16, 3}, second.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, second.inputMask());
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, second.segmentIds());
    assertArrayEquals(new int[] {-1, -1, -1, -1, 4, 5, 5, 6, 7, 8, 9, -1}, second.tokenToOriginalWord());
    // Piece 4 has more context in window 0 (2 vs 0 on its short side), piece 5 ties and the earlier window
    // wins, piece 9 ties on sides and the longer window (7 > 6 pieces) wins, piece 10 is better in window 2.
    assertArrayEquals(new boolean[] {false, false, false, false, false, false, true, true, true, true, false, false},
        second.tokenIsMaxContext());
    // The answer "The dog" is pieces 7..8: positions 7 - 4 + 4 and 8 - 4 + 4 of this window.
    assertEquals(Optional.of(new QaFeature.Label(7, 8, false)), second.label());

    QaFeature third = features.get(2);
    //                     [CLS] where ? [SEP] dog ran to the park . [SEP] [PAD]
    assertArrayEquals(new int[] {2, 11, 13, 3, 14, 15, 16, 5, 17, 10, 3, 0}, third.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0}, third.inputMask());
    assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0}, third.segmentIds());
    assertEquals(11, third.tokenCount());
    assertArrayEquals(new int[] {-1, -1, -1, -1, 7, 8, 9, 10, 11, 11, -1, -1}, third.tokenToOriginalWord());
  }

  @Test
  void aWindowWithoutTheWholeAnswerPointsAtCls() {
    List<QaFeature> features = featurizer(SMALL).features(THE_DOG, true);
    // Window 0 ends at piece 6, before the answer; window 2 starts at piece 8, cutting "the" off "the dog".
    assertEquals(Optional.of(new QaFeature.Label(0, 0, false)), features.get(0).label());
    assertEquals(Optional.of(new QaFeature.Label(0, 0, false)), features.get(2).label());
    assertFalse(features.get(2).label().orElseThrow().hasAnswer());
  }

  @Test
  void predictionFeaturesCarryNoLabelAndIgnoreAnswers() {
    QaFeaturizer featurizer = featurizer(SMALL);
    List<QaFeature> forEval = featurizer.features(THE_DOG, false);
    List<QaFeature> fromRaw = featurizer.features("q1", "Where?", CONTEXT);
    assertEquals(forEval, fromRaw);
    assertTrue(fromRaw.stream().allMatch(f -> f.label().isEmpty()));
    List<QaFeature> forTraining = featurizer.features(THE_DOG, true);
    for (int w = 0; w < 3; w++) {
      assertArrayEquals(forTraining.get(w).inputIds(), fromRaw.get(w).inputIds());
    }
  }

  @Test
  void aLongQuestionIsCutToMaxQueryLength() {
    // "where did the dog sat ?" is 6 pieces; 3 are kept, leaving 12 - 3 - 3 = 6 pieces per window.
    QaFeaturizer featurizer = featurizer(new QaFeaturizer.Options(12, 4, 3));
    List<QaFeature> features = featurizer.features("q", "Where did the dog sat?", CONTEXT);
    QaFeature first = features.get(0);
    assertArrayEquals(new int[] {2, 11, 12, 5, 3, 5, 6, 7, 8, 5, 9, 3}, first.inputIds());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1}, first.segmentIds());
    // 14 pieces in windows of 6 starting 4 apart: 0..5, 4..9, 8..13.
    assertEquals(3, features.size());
    assertArrayEquals(new int[] {-1, -1, -1, -1, -1, 7, 8, 9, 10, 11, 11, -1}, features.get(2).tokenToOriginalWord());
  }

  @Test
  void aShortContextIsOneWindowAndStrideLargerThanTheWindowSkipsNothing() {
    List<QaFeature> one = featurizer(QaFeaturizer.Options.DEFAULTS).features(THE_DOG, true);
    assertEquals(1, one.size());
    assertEquals(384, one.get(0).length());
    assertEquals(Optional.of(new QaFeature.Label(11, 12, false)), one.get(0).label());
    // A stride of 100 moves by the window length (7) instead: windows 0..6 and 7..13.
    List<QaFeature> wide = featurizer(new QaFeaturizer.Options(12, 100, 7)).features(THE_DOG, true);
    assertEquals(2, wide.size());
    assertEquals(6, wide.get(1).originalWord(4)); // piece 7, the second "The"
    assertEquals(Optional.of(new QaFeature.Label(4, 5, false)), wide.get(1).label());
  }

  @Test
  void theAnswerSpanIsNarrowedToTheAnswersOwnPieces() {
    // "mat." is one word of two pieces; the answer "mat" is only the first.
    List<QaFeature> features = featurizer(QaFeaturizer.Options.DEFAULTS)
        .features(example("q", "Where?", CONTEXT, "mat", 19), true);
    assertEquals(Optional.of(new QaFeature.Label(9, 9, false)), features.get(0).label());
  }

  @Test
  void nonAsciiContextsKeepCodePointOffsets() {
    // Accents fold away in the pieces; 北京 is one word of two CJK pieces; U+20000 counts as one character,
    // so "naïve" starts at character 18 (UTF-16 index 19).
    String context = "Café au lait 北京 \uD840\uDC00 naïve";
    QaFeaturizer featurizer = featurizer(QaFeaturizer.Options.DEFAULTS);
    QaFeature capital = featurizer.features(example("q", "Where?", context, "京", 14), true).get(0);
    //                                  [CLS] where ? [SEP] cafe au lait 北 京 U+20000 naive [SEP]
    assertArrayEquals(new int[] {2, 11, 13, 3, 18, 19, 20, 21, 22, 23, 24, 3},
        Arrays.copyOf(capital.inputIds(), 12));
    assertEquals(Optional.of(new QaFeature.Label(8, 8, false)), capital.label());
    QaFeature naive = featurizer.features(example("q", "Where?", context, "naïve", 18), true).get(0);
    assertEquals(Optional.of(new QaFeature.Label(10, 10, false)), naive.label());
    assertEquals(5, naive.originalWord(10));
    QaDocument document = naive.document();
    assertEquals(List.of("Café", "au", "lait", "北京", "\uD840\uDC00", "naïve"), document.words());
    assertEquals(18, document.wordStart(5));
    assertEquals(23, document.wordEnd(5));
    assertEquals(23, document.length());
  }

  @Test
  void unanswerableQuestionsTrainTowardsClsInEveryWindow() {
    SquadExample impossible = new SquadExample("q", "t", "Where?", CONTEXT, List.of(), true,
        List.of(new SquadExample.Answer("the park", 39)));
    List<QaFeature> features = featurizer(SMALL).features(impossible, true);
    assertEquals(3, features.size());
    assertTrue(features.stream().allMatch(f -> f.label().equals(Optional.of(new QaFeature.Label(0, 0, true)))));
  }

  @Test
  void answersThatCannotBeFoundSkipTheQuestionForTraining() {
    QaFeaturizer featurizer = featurizer(SMALL);
    SquadExample wrongText = example("q", "Where?", CONTEXT, "the cow", 24);
    assertEquals(List.of(), featurizer.features(wrongText, true));
    assertTrue(featurizer.trainingProblem(wrongText).orElseThrow().contains("not in the context words"));
    SquadExample pastTheEnd = example("q", "Where?", CONTEXT, "park. And more", 43);
    assertEquals(List.of(), featurizer.features(pastTheEnd, true));
    assertTrue(featurizer.trainingProblem(pastTheEnd).orElseThrow().contains("past the context"));
    // Case does not matter ([G] lower-cases both sides) and neither do whitespace runs in the answer.
    assertEquals(Optional.empty(), featurizer.trainingProblem(example("q", "Where?", CONTEXT, "THE  dog", 24)));
    // Prediction never looks at answers.
    assertEquals(3, featurizer.features(wrongText, false).size());
  }

  @Test
  void onlyTheReferenceWhitespaceSeparatesWords() {
    assertEquals(List.of("a", "b", "c"), QaDocument.of(" a\u202Fb\t\r\nc ").words());
    assertEquals(List.of("a\u00A0b"), QaDocument.of("a\u00A0b").words());
    QaDocument document = QaDocument.of("  ab  c");
    assertEquals(-1, document.wordAt(0));
    assertEquals(0, document.wordAt(3));
    assertEquals(0, document.wordAt(4)); // whitespace belongs to the word before it
    assertEquals(1, document.wordAt(6));
    assertEquals("ab c", document.joinedWords(0, 1));
  }

  @Test
  void optionsMustLeaveRoomForTheDocument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QaFeaturizer.Options(67, 128, 64));
    assertTrue(e.getMessage().contains("at least max_query_length + 4 = 68"), e.getMessage());
    new QaFeaturizer.Options(68, 128, 64);
    assertThrows(IllegalArgumentException.class, () -> new QaFeaturizer.Options(384, 0, 64));
    assertThrows(IllegalArgumentException.class, () -> new QaFeaturizer.Options(384, 128, 0));
  }
}
