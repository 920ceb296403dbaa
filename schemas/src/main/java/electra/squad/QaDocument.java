package electra.squad;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A context split into "doc tokens" the way the reference SQuAD readers split it ([G] {@code qa_tasks.py}
 * {@code is_whitespace}, [N] {@code squad_utils.py} {@code _is_whitespace}): at space, tab, CR, LF and U+202F
 * only. Other whitespace (no-break space, ideographic space, ...) stays inside a word; the tokenizer splits there
 * later, and answers are still mapped back through these words.
 *
 * <p>All character offsets count code points, as Python and SQuAD's {@code answer_start} do, not UTF-16 chars.
 * Immutable.
 */
public final class QaDocument {

  private final String context;
  private final List<String> words;
  private final int[] wordStarts;
  private final int[] wordEnds;
  /** Python's {@code char_to_word_offset}: for each code point, the word it is in or last followed; -1 before any. */
  private final int[] charToWord;

  private QaDocument(String context, List<String> words, int[] wordStarts, int[] wordEnds, int[] charToWord) {
    this.context = context;
    this.words = List.copyOf(words);
    this.wordStarts = wordStarts;
    this.wordEnds = wordEnds;
    this.charToWord = charToWord;
  }

  /** Splits {@code context} into words. */
  public static QaDocument of(String context) {
    Objects.requireNonNull(context, "context");
    int length = context.codePointCount(0, context.length());
    List<String> words = new ArrayList<>();
    int[] starts = new int[length];
    int[] ends = new int[length];
    int[] charToWord = new int[length];
    int wordStartIndex = -1; // UTF-16 index where the current word began, -1 between words
    int cp = 0;
    for (int i = 0; i < context.length(); cp++) {
      int c = context.codePointAt(i);
      if (isWhitespace(c)) {
        if (wordStartIndex >= 0) {
          words.add(context.substring(wordStartIndex, i));
          wordStartIndex = -1;
        }
      } else if (wordStartIndex < 0) {
        wordStartIndex = i;
        starts[words.size()] = cp;
      }
      if (wordStartIndex >= 0) {
        ends[words.size()] = cp + 1;
      }
      charToWord[cp] = wordStartIndex >= 0 ? words.size() : words.size() - 1;
      i += Character.charCount(c);
    }
    if (wordStartIndex >= 0) {
      words.add(context.substring(wordStartIndex));
    }
    return new QaDocument(context, words, Arrays.copyOf(starts, words.size()),
        Arrays.copyOf(ends, words.size()), charToWord);
  }

  /** The reference's {@code is_whitespace}: the only characters that separate doc tokens. */
  static boolean isWhitespace(int c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0x202F;
  }

  public String context() {
    return context;
  }

  /** The doc tokens, in order. */
  public List<String> words() {
    return words;
  }

  /** The length of the context in code points. */
  public int length() {
    return charToWord.length;
  }

  /** Where word {@code i} starts in the context (code points). */
  public int wordStart(int i) {
    return wordStarts[i];
  }

  /** Where word {@code i} ends in the context (code points, exclusive). */
  public int wordEnd(int i) {
    return wordEnds[i];
  }

  /**
   * The word at code point {@code offset}, or for whitespace the word before it (-1 before the first word):
   * the reference's {@code char_to_word_offset[offset]}.
   */
  public int wordAt(int offset) {
    return charToWord[offset];
  }

  /** Words {@code from..to} (inclusive) joined by single spaces: the reference's {@code orig_text}. */
  public String joinedWords(int from, int to) {
    return String.join(" ", words.subList(from, to + 1));
  }

  /** The context between two code-point offsets ({@code end} exclusive). */
  public String substring(int start, int end) {
    return context.substring(context.offsetByCodePoints(0, start), context.offsetByCodePoints(0, end));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QaDocument other && context.equals(other.context);
  }

  @Override
  public int hashCode() {
    return context.hashCode();
  }

  @Override
  public String toString() {
    return "QaDocument[" + words.size() + " words]";
  }
}
