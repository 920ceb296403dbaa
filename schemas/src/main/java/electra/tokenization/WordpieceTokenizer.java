package electra.tokenization;

import java.util.List;
import java.util.Objects;

/**
 * BERT's WordPiece: greedy longest-match-first. A word is cut into the longest vocabulary entry that starts
 * it, then the longest {@code ##}-entry that continues it, and so on; if some position has no match, or the word
 * has more than {@code maxInputCharsPerWord} code points, the whole word becomes {@code [UNK]}.
 * Immutable and thread-safe.
 */
public final class WordpieceTokenizer {

  /** NVIDIA's and Hugging Face's limit. */
  public static final int NVIDIA_MAX_INPUT_CHARS_PER_WORD = 100;
  /** Google's limit (google-research/electra). */
  public static final int GOOGLE_MAX_INPUT_CHARS_PER_WORD = 200;

  private final Vocabulary vocabulary;
  private final int maxInputCharsPerWord;

  /**
   * @param maxInputCharsPerWord words longer than this many code points become [UNK]: 100 like NVIDIA and
   *     Hugging Face, 200 like Google
   */
  public WordpieceTokenizer(Vocabulary vocabulary, int maxInputCharsPerWord) {
    this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
    if (maxInputCharsPerWord < 1) {
      throw new IllegalArgumentException("max_input_chars_per_word must be at least 1, got " + maxInputCharsPerWord
          + " (use " + NVIDIA_MAX_INPUT_CHARS_PER_WORD + " like NVIDIA/Hugging Face or "
          + GOOGLE_MAX_INPUT_CHARS_PER_WORD + " like Google)");
    }
    this.maxInputCharsPerWord = maxInputCharsPerWord;
  }

  public int maxInputCharsPerWord() {
    return maxInputCharsPerWord;
  }

  /** The word pieces of {@code text}, which is first split at whitespace as Python's {@code str.split()} does. */
  public List<String> tokenize(String text) {
    char[] chars = text.toCharArray();
    IntArray ids = new IntArray();
    int start = 0;
    for (int i = 0; i < chars.length; ) {
      int cp = Character.codePointAt(chars, i);
      int next = i + Character.charCount(cp);
      if (CharClasses.isPythonWhitespace(cp)) {
        if (start < i) {
          appendIds(chars, start, i, ids);
        }
        start = next;
      }
      i = next;
    }
    if (start < chars.length) {
      appendIds(chars, start, chars.length, ids);
    }
    return vocabulary.tokens(ids.toArray());
  }

  /** Appends the ids of the pieces of the word {@code chars[from, to)}, which holds no whitespace. */
  void appendIds(char[] chars, int from, int to, IntArray ids) {
    if (Character.codePointCount(chars, from, to - from) > maxInputCharsPerWord) {
      ids.add(vocabulary.unkId());
      return;
    }
    int mark = ids.size();
    int[] pieceHashes = new int[vocabulary.longestToken() + 1];
    for (int start = from; start < to; ) {
      int end = longestPiece(chars, start, to, start > from, pieceHashes, ids);
      if (end < 0) {
        ids.truncate(mark);
        ids.add(vocabulary.unkId());
        return;
      }
      start = end;
    }
  }

  /**
   * Finds the longest vocabulary piece at {@code start}, appends its id and returns its end, or -1 if none.
   * No piece is longer than the vocabulary's longest token, and the hashes of all candidates are computed in
   * one pass, so a long word costs linear, not quadratic, hashing.
   */
  private int longestPiece(char[] chars, int start, int to, boolean continuation, int[] pieceHashes, IntArray ids) {
    int limit = Math.min(to, start + vocabulary.longestToken());
    int hash = Vocabulary.initialHash(continuation);
    for (int end = start + 1; end <= limit; end++) {
      hash = Vocabulary.extendHash(hash, chars[end - 1]);
      pieceHashes[end - start] = hash;
    }
    for (int end = limit; end > start; end--) {
      if (end < to && Character.isLowSurrogate(chars[end]) && Character.isHighSurrogate(chars[end - 1])) {
        continue; // a piece never ends inside a code point
      }
      int id = vocabulary.find(chars, start, end, continuation, pieceHashes[end - start]);
      if (id >= 0) {
        ids.add(id);
        return end;
      }
    }
    return -1;
  }
}
