package electra.squad;

import electra.tokenization.BasicTokenizer;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * From a question's windows and the model's start/end logits to its n-best answers and its prediction, as
 * Google's ELECTRA decodes them with its simple (independent start/end) head ([G] {@code qa_metrics.py}
 * {@code write_predictions}; BERT's {@code run_squad.py} is the same up to the v2.0 rule):
 * <ol>
 *   <li>per window, every pair of the {@code nBestSize} highest start and end logits is a candidate unless it
 *       starts at [CLS], leaves the window's document tokens, starts where the window is not the token's
 *       max-context window, ends before it starts or is longer than {@code maxAnswerLength} tokens;
 *   <li>candidates go by start + end logit, highest first (ties in window, start, end order), and become texts
 *       mapped back onto the context ({@link #answer}) until {@code nBestSize} distinct texts are found;
 *   <li>v2.0: the null score is the smallest over the windows of the answerable logit when the model has one,
 *       else of start[0] + end[0]; the null-odds score is that null score (answerable logit), or it minus the
 *       best non-empty candidate's start + end (span logits); "no answer" is predicted when it exceeds
 *       {@code nullScoreDiffThreshold}.
 * </ol>
 * Logit sums are taken in float, as numpy sums the model's float32 outputs. Immutable and thread-safe.
 */
public final class AnswerDecoder {

  /**
   * Decoding settings.
   *
   * @param nBestSize candidates kept per question, and start/end logits tried per window (20)
   * @param maxAnswerLength longest answer in WordPieces (30)
   * @param version 2.0 computes null scores and may predict "no answer"
   * @param nullScoreDiffThreshold v2.0 predicts "no answer" when the null-odds score exceeds this: 0.0 is BERT's
   *     default for span logits; Google's ELECTRA uses -2.75 on its answerable logit, NVIDIA -5.6 on its
   *     {@code cls_logits}
   */
  public record Options(int nBestSize, int maxAnswerLength, SquadVersion version, double nullScoreDiffThreshold) {

    public Options {
      if (nBestSize < 1) {
        throw new IllegalArgumentException("n_best_size must be at least 1, got " + nBestSize);
      }
      if (maxAnswerLength < 1) {
        throw new IllegalArgumentException("max_answer_length must be at least 1, got " + maxAnswerLength);
      }
      Objects.requireNonNull(version, "version");
      if (Double.isNaN(nullScoreDiffThreshold)) {
        throw new IllegalArgumentException("null_score_diff_threshold must be a number");
      }
    }

    /** n-best 20, answers up to 30 pieces, threshold 0.0. */
    public static Options defaults(SquadVersion version) {
      return new Options(20, 30, version, 0.0);
    }
  }

  /**
   * What a QA model gives for one window, by head: span logits ({@link WindowLogits}, the simple head) or the
   * joint head's beams ({@link WindowBeams}). {@link #decode} takes either, so evaluation and serving decode each
   * head the same way.
   */
  public sealed interface WindowOutput permits WindowLogits, WindowBeams {}

  /**
   * The model's outputs for one window.
   *
   * @param startLogits one per position, max_seq_length of them
   * @param endLogits one per position
   * @param answerableLogit the joint head's answerability score (higher: more likely no answer, as [G] trains it
   *     against {@code is_impossible}); empty for a model without one
   */
  public record WindowLogits(float[] startLogits, float[] endLogits, OptionalDouble answerableLogit)
      implements WindowOutput {
    public WindowLogits {
      if (startLogits.length != endLogits.length) {
        throw new IllegalArgumentException("start and end logits differ in length: " + startLogits.length + " vs "
            + endLogits.length);
      }
      Objects.requireNonNull(answerableLogit, "answerableLogit");
      startLogits = startLogits.clone();
      endLogits = endLogits.clone();
    }

    public static WindowLogits of(float[] startLogits, float[] endLogits) {
      return new WindowLogits(startLogits, endLogits, OptionalDouble.empty());
    }

    public static WindowLogits withAnswerable(float[] startLogits, float[] endLogits, float answerableLogit) {
      return new WindowLogits(startLogits, endLogits, OptionalDouble.of(answerableLogit));
    }

    @Override
    public float[] startLogits() {
      return startLogits.clone();
    }

    @Override
    public float[] endLogits() {
      return endLogits.clone();
    }
  }

  /**
   * An answer in the context.
   *
   * @param text the answer as the reference prints it: the context's characters, except that words are joined
   *     by single spaces whatever whitespace stood between them
   * @param startChar where it starts in the context, in code points
   * @param endChar where it ends, exclusive
   */
  public record AnswerSpan(String text, int startChar, int endChar) {
    public AnswerSpan {
      Objects.requireNonNull(text, "text");
      if (startChar < 0 || endChar < startChar) {
        throw new IllegalArgumentException("character span must satisfy 0 <= start <= end, got " + startChar + ".."
            + endChar);
      }
    }
  }

  /**
   * One of the n best answers.
   *
   * @param probability softmax of start + end logit over the n-best list
   * @param span where it is in the context; empty only for the reference's placeholder {@code "empty"}, the one
   *     candidate of a question where no span survived
   */
  public record Candidate(String text, double probability, float startLogit, float endLogit,
      Optional<AnswerSpan> span) {
    public Candidate {
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(span, "span");
      if (!(probability >= 0 && probability <= 1)) {
        throw new IllegalArgumentException("probability must be in [0, 1], got " + probability);
      }
    }
  }

  /**
   * The decoded answer of one question.
   *
   * @param nbest the candidates, best first; never empty
   * @param nullOdds v2.0's null-odds score ({@code null_odds.json}), empty for v1.1
   * @param answer the predicted candidate: the best one for v1.1; for v2.0 the best one with a non-empty text, or
   *     empty for "no answer"
   */
  public record Prediction(String exampleId, List<Candidate> nbest, OptionalDouble nullOdds,
      Optional<Candidate> answer) {
    public Prediction {
      Objects.requireNonNull(exampleId, "exampleId");
      nbest = List.copyOf(nbest);
      if (nbest.isEmpty()) {
        throw new IllegalArgumentException("the n-best list of " + exampleId + " is empty");
      }
      Objects.requireNonNull(nullOdds, "nullOdds");
      if (answer.isPresent() && !nbest.contains(answer.get())) {
        throw new IllegalArgumentException("the answer of " + exampleId + " is not among its n-best");
      }
    }

    /** The predicted text, {@code ""} for "no answer": the value in {@code predictions.json}. */
    public String text() {
      return answer.map(Candidate::text).orElse("");
    }
  }

  private final Vocabulary vocabulary;
  private final BasicTokenizer basic;
  private final Options options;

  /** {@code tokenizer} must be the one the features were made with. */
  public AnswerDecoder(BertTokenizer tokenizer, Options options) {
    this.vocabulary = tokenizer.vocabulary();
    this.basic = new BasicTokenizer(tokenizer.doLowerCase());
    this.options = Objects.requireNonNull(options, "options");
  }

  public Options options() {
    return options;
  }

  /** A span of a window before it has a text. */
  private record Scored(QaFeature feature, int start, int end, float startLogit, float endLogit) {
    float score() {
      return startLogit + endLogit;
    }
  }

  /**
   * Decodes one question from all its windows ({@code features}, as {@link QaFeaturizer} made them) and the
   * model's outputs for each, in the same order: span logits as described above, the joint head's beams as [G]
   * decodes them with {@code joint_prediction}; all windows must come from one head. A context without any
   * WordPiece has no windows and cannot be decoded; callers answer it themselves (the reference would predict its placeholder "empty").
   */
  public Prediction decode(List<QaFeature> features, List<? extends WindowOutput> outputs) {
    checkWindows(features, outputs.size());
    if (outputs.stream().allMatch(WindowLogits.class::isInstance)) {
      return decodeLogits(features, outputs.stream().map(WindowLogits.class::cast).toList());
    }
    if (outputs.stream().allMatch(WindowBeams.class::isInstance)) {
      return decodeBeams(features, outputs.stream().map(WindowBeams.class::cast).toList());
    }
    throw new IllegalArgumentException("the windows of " + features.get(0).exampleId()
        + " mix span logits and beams");
  }

  private Prediction decodeLogits(List<QaFeature> features, List<WindowLogits> logits) {
    List<Scored> spans = new ArrayList<>();
    float nullScore = Float.POSITIVE_INFINITY;
    for (int w = 0; w < features.size(); w++) {
      QaFeature feature = features.get(w);
      WindowLogits window = logits.get(w);
      if (window.startLogits.length != feature.length()) {
        throw new IllegalArgumentException("window " + w + " of " + feature.exampleId() + " has " + feature.length()
            + " positions but " + window.startLogits.length + " logits");
      }
      if (window.answerableLogit().isPresent() != logits.get(0).answerableLogit().isPresent()) {
        throw new IllegalArgumentException("some windows of " + feature.exampleId()
            + " have an answerable logit, some not");
      }
      nullScore = Math.min(nullScore, nullScore(window));
      spans.addAll(candidates(feature, window));
    }
    return predict(features.get(0).exampleId(), spans, nullScore, logits.get(0).answerableLogit().isPresent());
  }

  /**
   * The outputs of the joint head's beam search for one window ([G] {@code joint_prediction}): the k best start
   * positions with their log-probabilities and, for start beam i, the k best ends given that start.
   *
   * @param answerableLogit the answerability score (higher: more likely no answer)
   */
  public record WindowBeams(int[] startIndex, float[] startLogProb, int[][] endIndex, float[][] endLogProb,
      double answerableLogit) implements WindowOutput {
    public WindowBeams {
      if (startIndex.length != startLogProb.length || endIndex.length != startIndex.length
          || endLogProb.length != startIndex.length) {
        throw new IllegalArgumentException("beam arrays differ in length");
      }
    }
  }

  /**
   * The joint head's beams, decoded as [G] does with {@code joint_prediction}: each (start beam i, end beam j)
   * pair is a candidate scored start log-prob + end log-prob, filtered exactly as span logits' candidates; the
   * null score is the smallest answerable logit over the windows.
   */
  private Prediction decodeBeams(List<QaFeature> features, List<WindowBeams> beams) {
    List<Scored> spans = new ArrayList<>();
    float nullScore = Float.POSITIVE_INFINITY;
    for (int w = 0; w < features.size(); w++) {
      QaFeature feature = features.get(w);
      WindowBeams beam = beams.get(w);
      nullScore = Math.min(nullScore, (float) beam.answerableLogit());
      for (int i = 0; i < beam.startIndex().length; i++) {
        int start = beam.startIndex()[i];
        for (int j = 0; j < beam.endIndex()[i].length; j++) {
          int end = beam.endIndex()[i][j];
          if (valid(feature, start, end)) {
            spans.add(new Scored(feature, start, end, beam.startLogProb()[i], beam.endLogProb()[i][j]));
          }
        }
      }
    }
    return predict(features.get(0).exampleId(), spans, nullScore, true);
  }

  private static void checkWindows(List<QaFeature> features, int outputs) {
    if (features.isEmpty() || features.size() != outputs) {
      throw new IllegalArgumentException("need the windows of a question and their model outputs, got "
          + features.size() + " windows and " + outputs + " outputs");
    }
    String exampleId = features.get(0).exampleId();
    for (QaFeature feature : features) {
      if (!feature.exampleId().equals(exampleId)) {
        throw new IllegalArgumentException("windows of two questions: " + exampleId + " and " + feature.exampleId());
      }
    }
  }

  private Prediction predict(String exampleId, List<Scored> spans, float nullScore, boolean classifier) {
    spans.sort(Comparator.comparingDouble(Scored::score).reversed()); // stable, like Python's sorted
    List<Candidate> nbest = nbest(spans);
    if (options.version() == SquadVersion.V1_1) {
      return new Prediction(exampleId, nbest, OptionalDouble.empty(), Optional.of(nbest.get(0)));
    }
    Candidate bestNonNull = nbest.stream().filter(c -> !c.text().isEmpty()).findFirst().orElse(nbest.get(0));
    float nullOdds = classifier ? nullScore : nullScore - bestNonNull.startLogit() - bestNonNull.endLogit();
    return new Prediction(exampleId, nbest, OptionalDouble.of(nullOdds),
        nullOdds > options.nullScoreDiffThreshold() ? Optional.empty() : Optional.of(bestNonNull));
  }

  private boolean valid(QaFeature feature, int start, int end) {
    int tokens = feature.tokenCount();
    return !(start >= tokens || end >= tokens || start == 0
        || feature.originalWord(start) < 0 || feature.originalWord(end) < 0 || !feature.isMaxContext(start)
        || end < start || end - start + 1 > options.maxAnswerLength());
  }

  private static float nullScore(WindowLogits window) {
    return window.answerableLogit().isPresent()
        ? (float) window.answerableLogit().getAsDouble()
        : window.startLogits[0] + window.endLogits[0];
  }

  /** The window's valid spans among its best starts and ends, in start-major order. */
  private List<Scored> candidates(QaFeature feature, WindowLogits window) {
    List<Scored> spans = new ArrayList<>();
    // Only the window's real tokens are ranked: padding is never part of a span, and a model whose loss ignores it
    // (the simple head's is masked to the context) may give all its identical padding positions the top logits.
    int tokens = Math.min(feature.tokenCount(), window.startLogits.length);
    int[] ends = bestIndexes(window.endLogits, tokens, options.nBestSize());
    for (int start : bestIndexes(window.startLogits, tokens, options.nBestSize())) {
      for (int end : ends) {
        if (!valid(feature, start, end)) {
          continue;
        }
        spans.add(new Scored(feature, start, end, window.startLogits[start], window.endLogits[end]));
      }
    }
    return spans;
  }

  /** The positions of the {@code n} highest logits, highest first; equal logits in position order. */
  static int[] bestIndexes(float[] logits, int n) {
    return bestIndexes(logits, logits.length, n);
  }

  /** {@link #bestIndexes(float[], int)} among the first {@code length} positions. */
  static int[] bestIndexes(float[] logits, int length, int n) {
    return IntStream.range(0, length).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> logits[i]).reversed())
        .limit(n).mapToInt(Integer::intValue).toArray();
  }

  /** The first {@code nBestSize} distinct texts, with softmax probabilities; "empty" when there is none. */
  private List<Candidate> nbest(List<Scored> sorted) {
    List<Scored> kept = new ArrayList<>();
    List<AnswerSpan> answers = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Scored span : sorted) {
      if (kept.size() >= options.nBestSize()) {
        break;
      }
      AnswerSpan answer = answer(span.feature(), span.start(), span.end());
      if (seen.add(answer.text())) {
        kept.add(span);
        answers.add(answer);
      }
    }
    if (kept.isEmpty()) {
      return List.of(new Candidate("empty", 1.0, 0f, 0f, Optional.empty()));
    }
    double[] probabilities = softmax(kept.stream().mapToDouble(Scored::score).toArray());
    List<Candidate> nbest = new ArrayList<>(kept.size());
    for (int i = 0; i < kept.size(); i++) {
      Scored s = kept.get(i);
      nbest.add(new Candidate(answers.get(i).text(), probabilities[i], s.startLogit(), s.endLogit(),
          Optional.of(answers.get(i))));
    }
    return nbest;
  }

  static double[] softmax(double[] scores) {
    double max = Arrays.stream(scores).max().orElse(0);
    double[] exp = Arrays.stream(scores).map(s -> Math.exp(s - max)).toArray();
    double sum = Arrays.stream(exp).sum();
    return Arrays.stream(exp).map(e -> e / sum).toArray();
  }

  /**
   * The context text of the window's tokens {@code start..end} (inclusive, both document tokens): the WordPieces
   * are joined back into words ({@code "##"} removed) and aligned character by character with the context words
   * they came from, so that the answer keeps the context's casing and accents but not the rest of the word
   * ({@code "smith"} in {@code "Smith's"} gives {@code "Smith"}): [G] {@code get_final_text}. Where the alignment
   * fails (the tokenizer dropped or changed characters), the whole words are the answer, as in [G].
   */
  public AnswerSpan answer(QaFeature feature, int start, int end) {
    if (end < start || feature.originalWord(start) < 0 || feature.originalWord(end) < 0) {
      throw new IllegalArgumentException("positions " + start + ".." + end + " are not a span of document tokens");
    }
    int[] ids = Arrays.copyOfRange(feature.inputIds(), start, end + 1);
    String pieces = String.join(" ", vocabulary.tokens(ids)).replace(" ##", "").replace("##", "");
    String predicted = String.join(" ", AnswerNormalization.split(pieces));
    QaDocument document = feature.document();
    int firstWord = feature.originalWord(start);
    int lastWord = feature.originalWord(end);
    String original = document.joinedWords(firstWord, lastWord);
    int[] aligned = align(predicted, original);
    if (aligned == null) {
      return new AnswerSpan(original, document.wordStart(firstWord), document.wordEnd(lastWord));
    }
    int from = original.offsetByCodePoints(0, aligned[0]);
    int to = original.offsetByCodePoints(from, aligned[1] - aligned[0]);
    return new AnswerSpan(original.substring(from, to), contextOffset(document, firstWord, aligned[0]),
        contextOffset(document, firstWord, aligned[1] - 1) + 1);
  }

  /**
   * Where {@code predicted} lies in {@code original} (code points, end exclusive), or null when [G]'s heuristic
   * gives up: {@code original} is run through the basic tokenizer, and the two are aligned character for
   * character after removing spaces, which works only when tokenizing changed no character count (lower-casing
   * and stripping precomposed accents do not; dropping controls or combining marks does).
   */
  private int[] align(String predicted, String original) {
    String tokenized = String.join(" ", basic.tokenize(original));
    int at = tokenized.indexOf(predicted);
    if (at < 0) {
      return null;
    }
    int start = tokenized.codePointCount(0, at);
    int end = start + predicted.codePointCount(0, predicted.length()) - 1;
    int[] originalNonSpace = nonSpacePositions(original);
    int[] tokenizedNonSpace = nonSpacePositions(tokenized);
    if (originalNonSpace.length != tokenizedNonSpace.length) {
      return null;
    }
    int nsStart = Arrays.binarySearch(tokenizedNonSpace, start);
    int nsEnd = Arrays.binarySearch(tokenizedNonSpace, end);
    if (nsStart < 0 || nsEnd < 0) {
      return null;
    }
    return new int[] {originalNonSpace[nsStart], originalNonSpace[nsEnd] + 1};
  }

  /** The code-point positions of the characters other than {@code ' '}, ascending. */
  private static int[] nonSpacePositions(String text) {
    int[] codePoints = text.codePoints().toArray();
    return IntStream.range(0, codePoints.length).filter(i -> codePoints[i] != ' ').toArray();
  }

  /**
   * The context offset of code point {@code offset} of the words from {@code firstWord} joined by single spaces;
   * the offset must fall on a word's character (not a joining space).
   */
  private static int contextOffset(QaDocument document, int firstWord, int offset) {
    int word = firstWord;
    int wordOffset = 0;
    while (offset >= wordOffset + document.wordEnd(word) - document.wordStart(word)) {
      wordOffset += document.wordEnd(word) - document.wordStart(word) + 1;
      word++;
    }
    return document.wordStart(word) + offset - wordOffset;
  }
}
