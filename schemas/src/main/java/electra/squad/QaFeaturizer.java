package electra.squad;

import electra.tokenization.BertTokenizer;
import electra.tokenization.CharClasses;
import electra.tokenization.Vocabulary;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns a SQuAD question into model inputs the way Google's ELECTRA does ([G] {@code qa_tasks.py}
 * {@code featurize}; BERT's {@code run_squad.py} is the same): the context is split into words
 * ({@link QaDocument}), each word into WordPieces; the query is cut to {@code maxQueryLength} pieces; the
 * document is covered by windows of up to {@code maxSeqLength - |query| - 3} pieces that start {@code docStride}
 * apart, each becoming {@code [CLS] query [SEP] window [SEP]}. Fine-tuning, evaluation and serving all cut
 * windows here, so a position means the same thing everywhere.
 *
 * <p>Immutable and thread-safe.
 */
public final class QaFeaturizer {

  /**
   * Window sizes.
   *
   * @param maxSeqLength tokens per feature, padding included (384 as NVIDIA; Google uses 512 for SQuAD)
   * @param docStride how far apart windows start, in WordPieces
   * @param maxQueryLength the question is cut to this many WordPieces
   */
  public record Options(int maxSeqLength, int docStride, int maxQueryLength) implements Serializable {

    /** NVIDIA's SQuAD settings: 384 / 128 / 64. */
    public static final Options DEFAULTS = new Options(384, 128, 64);

    public Options {
      if (docStride < 1) {
        throw new IllegalArgumentException("doc_stride must be at least 1, got " + docStride);
      }
      if (maxQueryLength < 1) {
        throw new IllegalArgumentException("max_query_length must be at least 1, got " + maxQueryLength);
      }
      if (maxSeqLength - maxQueryLength - 3 < 1) {
        throw new IllegalArgumentException("max_seq_length " + maxSeqLength + " leaves no room for the document "
            + "after a query of up to max_query_length " + maxQueryLength + " tokens, [CLS] and two [SEP]s: "
            + "it must be at least max_query_length + 4 = " + (maxQueryLength + 4));
      }
    }
  }

  private final BertTokenizer tokenizer;
  private final Options options;
  private final int clsId;
  private final int sepId;

  public QaFeaturizer(BertTokenizer tokenizer, Options options) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.options = Objects.requireNonNull(options, "options");
    Vocabulary vocabulary = tokenizer.vocabulary();
    this.clsId = vocabulary.id(Vocabulary.CLS);
    this.sepId = vocabulary.id(Vocabulary.SEP);
  }

  public Options options() {
    return options;
  }

  public BertTokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * The windows of a question. With {@code training}, each carries its {@link QaFeature.Label} from the first
   * gold answer, and a question whose answer cannot be found in the context gives no windows at all (Google skips
   * it too; {@link #trainingProblem} says why); without, the answers are ignored.
   */
  public List<QaFeature> features(SquadExample example, boolean training) {
    QaDocument document = QaDocument.of(example.context());
    DocTokens doc = tokenize(document);
    if (!training) {
      return windows(example.id(), example.question(), document, doc, null);
    }
    try {
      return windows(example.id(), example.question(), document, doc, target(example, document, doc));
    } catch (UnusableAnswer e) {
      return List.of();
    }
  }

  /** The windows of a question asked at serving time, for prediction. */
  public List<QaFeature> features(String id, String question, String context) {
    QaDocument document = QaDocument.of(context);
    return windows(id, question, document, tokenize(document), null);
  }

  /** Why the question cannot be a training example, or empty when it can. */
  public Optional<String> trainingProblem(SquadExample example) {
    QaDocument document = QaDocument.of(example.context());
    try {
      target(example, document, tokenize(document));
      return Optional.empty();
    } catch (UnusableAnswer e) {
      return Optional.of(e.getMessage());
    }
  }

  /** The context's WordPieces and where each comes from. */
  private record DocTokens(int[] ids, int[] tokenToWord, int[] wordToFirstToken) {
    int size() {
      return ids.length;
    }
  }

  private DocTokens tokenize(QaDocument document) {
    List<String> words = document.words();
    int[] wordToFirstToken = new int[words.size()];
    List<int[]> pieces = new ArrayList<>(words.size());
    int count = 0;
    for (int w = 0; w < words.size(); w++) {
      wordToFirstToken[w] = count;
      int[] ids = tokenizer.ids(words.get(w));
      pieces.add(ids);
      count += ids.length;
    }
    int[] ids = new int[count];
    int[] tokenToWord = new int[count];
    int at = 0;
    for (int w = 0; w < pieces.size(); w++) {
      int[] p = pieces.get(w);
      System.arraycopy(p, 0, ids, at, p.length);
      Arrays.fill(tokenToWord, at, at + p.length, w);
      at += p.length;
    }
    return new DocTokens(ids, tokenToWord, wordToFirstToken);
  }

  /** What training predicts for a question: [CLS] when it has no answer, else the answer's first and last piece. */
  private record Target(boolean impossible, int firstToken, int lastToken) {}

  private static final class UnusableAnswer extends Exception {
    UnusableAnswer(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * The pieces of the first gold answer. Its words are found the way [G] finds them: from {@code answer_start}
   * and the answer's length in code points through {@code char_to_word_offset}; the question is unusable when the
   * answer runs past the context or when the (lower-cased, whitespace-normalised) answer text is not in those
   * words. [N]/Hugging Face compare case-sensitively and clamp the end instead.
   */
  private Target target(SquadExample example, QaDocument document, DocTokens doc) throws UnusableAnswer {
    if (example.isImpossible()) {
      return new Target(true, 0, 0);
    }
    if (example.answers().isEmpty()) {
      throw new UnusableAnswer("question " + example.id() + " has no answer and is not marked impossible");
    }
    SquadExample.Answer answer = example.answers().get(0);
    String text = answer.text();
    int start = answer.answerStart();
    int end = start + text.codePointCount(0, text.length()) - 1;
    if (end < start) {
      throw new UnusableAnswer("question " + example.id() + " has an empty answer text");
    }
    if (end >= document.length()) {
      throw new UnusableAnswer("the answer of question " + example.id() + " ends at character " + end
          + ", past the context's " + document.length());
    }
    int firstWord = document.wordAt(start);
    int lastWord = document.wordAt(end);
    String actual = firstWord < 0 ? "" : CharClasses.lower(document.joinedWords(firstWord, lastWord));
    String cleaned = CharClasses.lower(String.join(" ", AnswerNormalization.split(text)));
    if (firstWord < 0 || !actual.contains(cleaned)) {
      throw new UnusableAnswer("the answer '" + text + "' of question " + example.id()
          + " is not in the context words at character " + start + ": '" + actual + "'");
    }
    int[] pieces = answerPieces(doc, firstWord, lastWord, tokenizer.ids(text));
    // Words without any WordPiece (only control characters, say) can leave the answer no piece of its own.
    if (pieces[1] < pieces[0] || pieces[1] >= doc.size()) {
      throw new UnusableAnswer("the answer '" + text + "' of question " + example.id() + " has no WordPiece");
    }
    return new Target(false, pieces[0], pieces[1]);
  }

  /**
   * The answer's first and last WordPiece: from its first word's first piece to its last word's last piece, then
   * narrowed to the sub-span whose pieces equal the answer text's own pieces when there is one ([G]
   * {@code _improve_answer_span}: "(1895-1943)." holds the answer "1895").
   */
  private static int[] answerPieces(DocTokens doc, int firstWord, int lastWord, int[] answer) {
    int start = doc.wordToFirstToken()[firstWord];
    int end = lastWord + 1 < doc.wordToFirstToken().length
        ? doc.wordToFirstToken()[lastWord + 1] - 1 : doc.size() - 1;
    for (int newStart = start; newStart <= end; newStart++) {
      for (int newEnd = end; newEnd >= newStart; newEnd--) {
        if (newEnd - newStart + 1 == answer.length
            && Arrays.equals(doc.ids(), newStart, newEnd + 1, answer, 0, answer.length)) {
          return new int[] {newStart, newEnd};
        }
      }
    }
    return new int[] {start, end};
  }

  /** A window of the document's WordPieces: {@code length} pieces from {@code start}. */
  private record Window(int start, int length) {
    int last() {
      return start + length - 1;
    }

    boolean holds(int token) {
      return token >= start && token <= last();
    }
  }

  /** The features of every window; {@code target} is null for prediction. */
  private List<QaFeature> windows(String id, String question, QaDocument document, DocTokens doc, Target target) {
    int[] query = tokenizer.ids(question);
    if (query.length > options.maxQueryLength()) {
      query = Arrays.copyOf(query, options.maxQueryLength());
    }
    List<Window> windows = cover(doc.size(), options.maxSeqLength() - query.length - 3);
    List<QaFeature> features = new ArrayList<>(windows.size());
    for (int w = 0; w < windows.size(); w++) {
      features.add(feature(id, w, document, query, doc, windows, target));
    }
    return features;
  }

  /**
   * Windows that start at 0 and then {@code min(length, docStride)} further on, until one reaches the end: [G]'s
   * rule. (Hugging Face's starts, k * doc_stride, are the same whenever doc_stride fits in a window.)
   */
  private List<Window> cover(int tokens, int maxTokensForDoc) {
    List<Window> windows = new ArrayList<>();
    int start = 0;
    while (start < tokens) {
      int length = Math.min(tokens - start, maxTokensForDoc);
      windows.add(new Window(start, length));
      if (start + length == tokens) {
        break;
      }
      start += Math.min(length, options.docStride());
    }
    return windows;
  }

  private QaFeature feature(String id, int windowIndex, QaDocument document, int[] query, DocTokens doc,
      List<Window> windows, Target target) {
    int length = options.maxSeqLength();
    int[] ids = new int[length];
    int[] mask = new int[length];
    int[] segments = new int[length];
    int[] toWord = new int[length];
    boolean[] maxContext = new boolean[length];
    Arrays.fill(toWord, -1);
    Window window = windows.get(windowIndex);
    int pos = 0;
    ids[pos++] = clsId;
    for (int q : query) {
      ids[pos++] = q;
    }
    ids[pos++] = sepId;
    int docOffset = pos;
    for (int t = window.start(); t <= window.last(); t++, pos++) {
      ids[pos] = doc.ids()[t];
      segments[pos] = 1;
      toWord[pos] = doc.tokenToWord()[t];
      maxContext[pos] = isMaxContext(windows, windowIndex, t);
    }
    ids[pos] = sepId;
    segments[pos++] = 1;
    Arrays.fill(mask, 0, pos, 1);
    return new QaFeature(id, windowIndex, document, ids, mask, segments, toWord, maxContext,
        Optional.ofNullable(target).map(t -> label(t, window, docOffset)));
  }

  /** [CLS] when the question has no answer or this window does not hold all of it, else the answer's positions. */
  private static QaFeature.Label label(Target target, Window window, int docOffset) {
    if (target.impossible() || !window.holds(target.firstToken()) || !window.holds(target.lastToken())) {
      return new QaFeature.Label(0, 0, target.impossible());
    }
    return new QaFeature.Label(target.firstToken() - window.start() + docOffset,
        target.lastToken() - window.start() + docOffset, false);
  }

  /**
   * Whether window {@code current} gives document token {@code token} the most context of all windows holding it:
   * the most tokens on its shorter side, plus 0.01 per token of window length to break ties towards longer
   * windows (the first such window wins a remaining tie).
   */
  private static boolean isMaxContext(List<Window> windows, int current, int token) {
    double bestScore = Double.NEGATIVE_INFINITY;
    int best = -1;
    for (int w = 0; w < windows.size(); w++) {
      Window window = windows.get(w);
      if (!window.holds(token)) {
        continue;
      }
      double score = Math.min(token - window.start(), window.last() - token) + 0.01 * window.length();
      if (score > bestScore) {
        bestScore = score;
        best = w;
      }
    }
    return best == current;
  }
}
