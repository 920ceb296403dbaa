package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.squad.AnswerDecoder.AnswerSpan;
import electra.squad.AnswerDecoder.Prediction;
import electra.squad.AnswerDecoder.WindowLogits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoding synthetic logits over the hand-worked windows of {@link QaFeaturizerTest}. */
class AnswerDecoderTest {

  private static final float LOW = -10f;

  private static final QaFeaturizer FEATURIZER = new QaFeaturizer(TinyVocab.tokenizer(), QaFeaturizerTest.SMALL);
  /** Three windows of 12 positions; pieces 7..8 ("the dog") sit at positions 7..8 of window 1. */
  private static final List<QaFeature> WINDOWS = FEATURIZER.features("q1", "Where?", QaFeaturizerTest.CONTEXT);

  private static AnswerDecoder decoder(AnswerDecoder.Options options) {
    return new AnswerDecoder(TinyVocab.tokenizer(), options);
  }

  private static AnswerDecoder v1() {
    return decoder(AnswerDecoder.Options.defaults(SquadVersion.V1_1));
  }

  /** LOW everywhere, except the given {position, value} pairs in window {@code window}'s start or end logits. */
  private static List<WindowLogits> logits(int window, float[][] starts, float[][] ends) {
    List<WindowLogits> all = new ArrayList<>();
    for (int w = 0; w < WINDOWS.size(); w++) {
      float[] start = filled();
      float[] end = filled();
      if (w == window) {
        Arrays.stream(starts).forEach(p -> start[(int) p[0]] = p[1]);
        Arrays.stream(ends).forEach(p -> end[(int) p[0]] = p[1]);
      }
      all.add(WindowLogits.of(start, end));
    }
    return all;
  }

  private static float[] filled() {
    float[] values = new float[12];
    Arrays.fill(values, LOW);
    return values;
  }

  private static float[][] at(float position, float value) {
    return new float[][] {{position, value}};
  }

  @Test
  void paddingWithTheHighestLogitsDoesNotCrowdTheContextOutOfTheNBest() {
    // The simple head's loss is masked to the context, so padding logits are unconstrained: a barely trained model
    // can give every (identical) padding position the top logits. Only a window's real tokens are ranked.
    QaFeature window = WINDOWS.stream().filter(f -> f.tokenCount() < 12).findFirst().orElseThrow();
    int w = WINDOWS.indexOf(window);
    int position = -1;
    for (int i = 1; i < window.tokenCount() && position < 0; i++) {
      if (window.originalWord(i) >= 0 && window.isMaxContext(i)) {
        position = i;
      }
    }
    assertTrue(position > 0, "the window has a context token");
    List<WindowLogits> all = new ArrayList<>();
    for (int i = 0; i < WINDOWS.size(); i++) {
      float[] start = filled();
      float[] end = filled();
      if (i == w) {
        for (int pad = window.tokenCount(); pad < 12; pad++) {
          start[pad] = 50f;
          end[pad] = 50f;
        }
        start[position] = 1f;
        end[position] = 1f;
      }
      all.add(WindowLogits.of(start, end));
    }
    AnswerDecoder oneBest = decoder(new AnswerDecoder.Options(1, 30, SquadVersion.V1_1, 0.0));
    Prediction p = oneBest.decode(WINDOWS, all);
    assertTrue(p.answer().isPresent() && p.answer().get().span().isPresent(), "an answer despite the padding");
    assertEquals(1f, p.answer().get().startLogit());
  }

  @Test
  void logitsPeakingAtASpanGiveExactlyItsTextAndCharacters() {
    Prediction p = v1().decode(WINDOWS, logits(1, at(7, 10), at(8, 10)));
    AnswerDecoder.Candidate best = p.nbest().get(0);
    assertEquals("The dog", p.text());
    assertEquals(Optional.of(new AnswerSpan("The dog", 24, 31)), best.span());
    assertEquals("The dog", QaDocument.of(QaFeaturizerTest.CONTEXT).substring(24, 31));
    assertEquals(10f, best.startLogit());
    assertEquals(10f, best.endLogit());
    assertTrue(best.probability() > 0.99, "probability " + best.probability());
    assertEquals(20, p.nbest().size());
    assertEquals(1.0, p.nbest().stream().mapToDouble(AnswerDecoder.Candidate::probability).sum(), 1e-12);
    assertEquals(20, p.nbest().stream().map(AnswerDecoder.Candidate::text).distinct().count(), "texts are unique");
    assertEquals(OptionalDouble.empty(), p.nullOdds());
  }

  @Test
  void spansLongerThanMaxAnswerLengthOrEndingBeforeTheyStartAreRejected() {
    AnswerDecoder oneToken = decoder(new AnswerDecoder.Options(20, 1, SquadVersion.V1_1, 0));
    // "the dog" (2 pieces) is too long; of the one-piece spans scoring 10 - 10 = 0, (7, 7) comes first.
    assertEquals("The", oneToken.decode(WINDOWS, logits(1, at(7, 10), at(8, 10))).text());
    // Start 8 and end 7 would be the best pair, but it runs backwards; (8, 8) ties with (7, 7) and comes first.
    Prediction backwards = v1().decode(WINDOWS, logits(1, at(8, 10), at(7, 10)));
    assertEquals("dog", backwards.text());
    assertTrue(backwards.nbest().stream().noneMatch(c -> c.startLogit() + c.endLogit() == 20f));
  }

  @Test
  void aSpanMustStartInTheWindowWhereItsFirstTokenHasMostContext() {
    // Pieces 4..5 ("the mat") are positions 8..9 of window 0 and 4..5 of window 1; piece 4 has more context in
    // window 0, so the span is taken from there although window 1 scores it far higher.
    List<WindowLogits> logits = logits(1, at(4, 10), at(5, 10));
    float[] start = filled();
    float[] end = filled();
    start[8] = 3;
    end[9] = 3;
    logits.set(0, WindowLogits.of(start, end));
    Prediction p = v1().decode(WINDOWS, logits);
    assertEquals("the mat", p.text());
    assertEquals(3f, p.nbest().get(0).startLogit());
    assertEquals(Optional.of(new AnswerSpan("the mat", 15, 22)), p.nbest().get(0).span());
  }

  @Test
  void clsAndQueryPositionsAreNeverAnswers() {
    Prediction p = v1().decode(WINDOWS, logits(1, new float[][] {{0, 50}, {1, 40}}, new float[][] {{0, 50}, {2, 40}}));
    assertTrue(p.nbest().stream().allMatch(c -> c.span().isPresent() && c.startLogit() == LOW), p.toString());
  }

  @Test
  void textIsMappedBackOntoTheContextsCharacters() {
    AnswerDecoder decoder = v1();
    QaFeaturizer oneWindow = new QaFeaturizer(TinyVocab.tokenizer(), QaFeaturizer.Options.DEFAULTS);
    // "Smith's" is pieces smith ' s: the piece "smith" gives "Smith", not the whole word.
    QaFeature smith = oneWindow.features("q", "Where?", "The cat sat on Smith's mat.").get(0);
    assertEquals(new AnswerSpan("Smith", 15, 20), decoder.answer(smith, 8, 8));
    assertEquals(new AnswerSpan("Smith's mat", 15, 26), decoder.answer(smith, 8, 11));
    // "Cats" is pieces cat ##s; runs of whitespace between words become one space in the text only.
    QaFeature cats = oneWindow.features("q", "Where?", "Cats \n sat.").get(0);
    assertEquals(new AnswerSpan("Cats", 0, 4), decoder.answer(cats, 4, 5));
    assertEquals(new AnswerSpan("Cat", 0, 3), decoder.answer(cats, 4, 4));
    assertEquals(new AnswerSpan("Cats sat", 0, 10), decoder.answer(cats, 4, 6));
    // Accents and CJK keep their characters; offsets count code points (U+20000 is one).
    QaFeature cafe = oneWindow.features("q", "Where?", "Café au lait 北京 \uD840\uDC00 naïve").get(0);
    assertEquals(new AnswerSpan("Café", 0, 4), decoder.answer(cafe, 4, 4));
    assertEquals(new AnswerSpan("京", 14, 15), decoder.answer(cafe, 8, 8));
    assertEquals(new AnswerSpan("naïve", 18, 23), decoder.answer(cafe, 10, 10));
    // A combining accent is dropped by the tokenizer, so the character alignment fails and, as in the
    // reference, the whole word (with its "!") is the answer.
    QaFeature combining = oneWindow.features("q", "Where?", "Cafe\u0301! au lait").get(0);
    assertEquals(new AnswerSpan("Cafe\u0301!", 0, 6), decoder.answer(combining, 4, 4));
    assertThrows(IllegalArgumentException.class, () -> decoder.answer(smith, 2, 4));
  }

  @Test
  void version2PredictsNoAnswerWhenTheNullScoreBeatsTheBestSpanByTheThreshold() {
    List<WindowLogits> logits = new ArrayList<>();
    for (WindowLogits w : logits(1, at(7, 10), at(8, 10))) {
      float[] start = w.startLogits();
      float[] end = w.endLogits();
      start[0] = 8;
      end[0] = 8;
      logits.add(WindowLogits.of(start, end));
    }
    // null score 8 + 8 = 16 against the best span's 20: null odds -4.
    Prediction answered = decoder(AnswerDecoder.Options.defaults(SquadVersion.V2_0)).decode(WINDOWS, logits);
    assertEquals(OptionalDouble.of(-4), answered.nullOdds());
    assertEquals("The dog", answered.text());
    Prediction declined = decoder(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, -5)).decode(WINDOWS, logits);
    assertEquals("", declined.text());
    assertEquals(Optional.empty(), declined.answer());
    assertEquals("The dog", declined.nbest().get(0).text(), "the n-best list still holds the spans");
  }

  @Test
  void anAnswerableLogitIsTheNullOddsItself() {
    List<WindowLogits> spans = logits(1, at(7, 10), at(8, 10));
    float[] answerable = {3, 1, 2};
    List<WindowLogits> withClassifier = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      withClassifier.add(WindowLogits.withAnswerable(spans.get(w).startLogits(), spans.get(w).endLogits(),
          answerable[w]));
    }
    Prediction declined = decoder(AnswerDecoder.Options.defaults(SquadVersion.V2_0)).decode(WINDOWS, withClassifier);
    assertEquals(OptionalDouble.of(1), declined.nullOdds(), "the smallest over the windows");
    assertEquals("", declined.text());
    AnswerDecoder lenient = decoder(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, 1.5));
    assertEquals("The dog", lenient.decode(WINDOWS, withClassifier).text());
    List<WindowLogits> mixed = new ArrayList<>(withClassifier);
    mixed.set(2, spans.get(2));
    assertThrows(IllegalArgumentException.class, () -> lenient.decode(WINDOWS, mixed));
  }

  @Test
  void jointHeadBeamsAreScoredByLogProbabilitiesAndTheirAnswerableLogitIsTheNullOdds() {
    // Window 1's beams: start 7 ("the") with ends 8 ("dog") and 6 (before the start: dropped); start 0 ([CLS]:
    // dropped). The other windows' beams point only at [CLS].
    List<AnswerDecoder.WindowOutput> beams = new ArrayList<>();
    float[] answerable = {2, -1, 3};
    for (int w = 0; w < WINDOWS.size(); w++) {
      int[] starts = w == 1 ? new int[] {7, 0} : new int[] {0, 0};
      int[][] ends = w == 1 ? new int[][] {{8, 6}, {0, 0}} : new int[][] {{0, 0}, {0, 0}};
      beams.add(new AnswerDecoder.WindowBeams(starts, new float[] {-0.5f, -2f}, ends,
          new float[][] {{-0.25f, -3f}, {-1f, -1f}}, answerable[w]));
    }
    Prediction answered = decoder(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, -0.5)).decode(WINDOWS, beams);
    assertEquals("The dog", answered.text());
    assertEquals(1, answered.nbest().size(), "only the one valid pair: " + answered.nbest());
    assertEquals(-0.75f, answered.nbest().get(0).startLogit() + answered.nbest().get(0).endLogit());
    assertEquals(OptionalDouble.of(-1), answered.nullOdds(), "the smallest answerable logit over the windows");
    Prediction declined = decoder(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, -2.75)).decode(WINDOWS, beams);
    assertEquals("", declined.text());

    List<AnswerDecoder.WindowOutput> mixed = new ArrayList<>(beams);
    mixed.set(0, logits(1, at(7, 10), at(8, 10)).get(0));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v1().decode(WINDOWS, mixed));
    assertTrue(e.getMessage().contains("mix span logits and beams"), e.getMessage());
  }

  @Test
  void withoutAnyValidSpanTheReferencePlaceholderIsPredicted() {
    // Equal logits everywhere: the two best starts and ends are positions 0 and 1, [CLS] and the query.
    QaFeature one = FEATURIZER.features("q", "Where?", "Cats sat.").get(0);
    Prediction none = decoder(new AnswerDecoder.Options(2, 30, SquadVersion.V1_1, 0))
        .decode(List.of(one), List.of(WindowLogits.of(new float[12], new float[12])));
    assertEquals("empty", none.text());
    assertEquals(1, none.nbest().size());
    assertEquals(Optional.empty(), none.nbest().get(0).span());
    assertEquals(1.0, none.nbest().get(0).probability());
    assertThrows(IllegalArgumentException.class, () -> v1().decode(List.of(), List.of()));
  }

  @Test
  void predictionFilesHaveTheReferenceLayout(@TempDir Path dir) throws IOException {
    AnswerDecoder v2 = decoder(new AnswerDecoder.Options(2, 30, SquadVersion.V2_0, 0));
    QaFeature cafe = FEATURIZER.features("q\u00e9", "Where?", "北京").get(0);
    float[] start = filled();
    float[] end = filled();
    start[4] = 2;
    end[5] = 1.5f;
    end[4] = 1;
    Prediction p = v2.decode(List.of(cafe), List.of(WindowLogits.of(start, end)));
    PredictionFiles.write(dir, List.of(p));
    assertEquals("{\n    \"q\\u00e9\": \"\\u5317\\u4eac\"\n}\n", Files.readString(dir.resolve("predictions.json")));
    String nbest = Files.readString(dir.resolve("nbest_predictions.json"));
    double first = p.nbest().get(0).probability();
    assertEquals("{\n    \"q\\u00e9\": [\n        {\n            \"text\": \"\\u5317\\u4eac\",\n"
        + "            \"probability\": " + PythonFloat.repr(first) + ",\n"
        + "            \"start_logit\": 2.0,\n            \"end_logit\": 1.5\n        },\n"
        + "        {\n            \"text\": \"\\u5317\",\n"
        + "            \"probability\": " + PythonFloat.repr(p.nbest().get(1).probability()) + ",\n"
        + "            \"start_logit\": 2.0,\n            \"end_logit\": 1.0\n        }\n    ]\n}\n", nbest);
    // null score -10 + -10 = -20, best span 3.5: null odds -23.5.
    assertEquals("{\n    \"q\\u00e9\": -23.5\n}\n", Files.readString(dir.resolve("null_odds.json")));
    PredictionFiles.write(dir.resolve("v1"), List.of(v1().decode(WINDOWS, logits(1, at(7, 10), at(8, 10)))));
    assertFalse(Files.exists(dir.resolve("v1").resolve(PredictionFiles.NULL_ODDS)), "v1.1 has no null odds");
  }
}
