package electra.tokenization;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * BERT's BasicTokenizer, to the code point: (1) clean the text: drop NUL, U+FFFD and control characters
 * (category C* except tab, newline, carriage return), turn whitespace (those three, space, Zs) into spaces;
 * (2) put spaces around CJK ideographs; (3) split like Python's {@code str.split()}, which also cuts at
 * U+2028/U+2029; (4) when lower-casing: Python's {@code str.lower()}, then NFD with nonspacing marks (Mn)
 * dropped; (5) make every punctuation character its own token.
 *
 * <p>Special tokens are not recognised in the text: a literal {@code [CLS]} is punctuation and letters like any
 * other (Google's behaviour; Hugging Face's never_split differs). Callers add [CLS]/[SEP] by id.
 *
 * <p>Immutable and thread-safe. All-ASCII words take a fast path (table look-ups, in-place lower-casing);
 * only words with other characters go through ICU.
 */
public final class BasicTokenizer {

  /** Receives one token as {@code chars[from, to)}; the array is reused once the call returns. */
  @FunctionalInterface
  interface TokenSink {
    void accept(char[] chars, int from, int to);
  }

  // What cleaning and the first split do with an ASCII char.
  private static final byte KEEP = 0;
  private static final byte DROP = 1;
  private static final byte SPACE = 2;
  // What the punctuation split does with a char of a word.
  private static final byte PART_OF_WORD = 0;
  private static final byte PUNCTUATION = 1;
  private static final byte SEPARATOR = 2;

  private static final byte[] ASCII_CLEANING = new byte[128];
  private static final byte[] ASCII_SPLITTING = new byte[128];

  static {
    for (int c = 0; c < 128; c++) {
      ASCII_CLEANING[c] = cleaning(c);
      ASCII_SPLITTING[c] = splitting(c);
    }
  }

  private final boolean doLowerCase;

  /** @param doLowerCase lower-case and strip accents, as for every uncased model (the released ELECTRA ones) */
  public BasicTokenizer(boolean doLowerCase) {
    this.doLowerCase = doLowerCase;
  }

  public boolean doLowerCase() {
    return doLowerCase;
  }

  /**
   * Whether this character always forms a token of its own (punctuation, CJK ideographs): it never continues a
   * word, so a vocabulary needs no {@code ##} piece for it.
   */
  public static boolean standsAlone(int codePoint) {
    return CharClasses.isPunctuation(codePoint) || CharClasses.isCjk(codePoint);
  }

  /** The basic tokens of {@code text}. */
  public List<String> tokenize(String text) {
    List<String> tokens = new ArrayList<>();
    tokenize(text, (chars, from, to) -> tokens.add(new String(chars, from, to - from)));
    return tokens;
  }

  /** Streams the basic tokens of {@code text} to {@code sink}, without a String per token. */
  void tokenize(String text, TokenSink sink) {
    Word word = new Word();
    for (int i = 0; i < text.length(); ) {
      char c = text.charAt(i);
      if (c < 128) {
        i++;
        byte cleaning = ASCII_CLEANING[c];
        if (cleaning == KEEP) {
          word.appendAscii(c);
        } else if (cleaning == SPACE) {
          emit(word, sink);
        }
        continue;
      }
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      byte cleaning = cleaning(cp);
      if (cleaning == SPACE) {
        emit(word, sink);
      } else if (cleaning == KEEP && CharClasses.isCjk(cp)) {
        emit(word, sink);
        word.append(cp);
        emit(word, sink);
      } else if (cleaning == KEEP) {
        word.append(cp);
      }
    }
    emit(word, sink);
  }

  /** Lower-cases the word if asked, splits it at punctuation and hands the pieces on; leaves the word empty. */
  private void emit(Word word, TokenSink sink) {
    if (word.length == 0) {
      return;
    }
    if (doLowerCase && !word.ascii) {
      char[] folded = CharClasses.stripAccents(CharClasses.lower(word.toString())).toCharArray();
      splitOnPunctuation(folded, folded.length, sink);
    } else {
      if (doLowerCase) {
        word.lowerAscii();
      }
      splitOnPunctuation(word.chars, word.length, sink);
    }
    word.clear();
  }

  /**
   * Every punctuation character becomes a token of its own. Python re-splits the result on whitespace, so a
   * whitespace character that lower-casing or NFD might have produced separates pieces here too.
   */
  private static void splitOnPunctuation(char[] chars, int length, TokenSink sink) {
    int start = 0;
    for (int i = 0; i < length; ) {
      int cp = Character.codePointAt(chars, i, length);
      int next = i + Character.charCount(cp);
      byte splitting = cp < 128 ? ASCII_SPLITTING[cp] : splitting(cp);
      if (splitting != PART_OF_WORD) {
        if (start < i) {
          sink.accept(chars, start, i);
        }
        if (splitting == PUNCTUATION) {
          sink.accept(chars, i, next);
        }
        start = next;
      }
      i = next;
    }
    if (start < length) {
      sink.accept(chars, start, length);
    }
  }

  private static byte cleaning(int cp) {
    if (CharClasses.isDropped(cp)) {
      return DROP;
    }
    return CharClasses.isWhitespace(cp) || CharClasses.isPythonWhitespace(cp) ? SPACE : KEEP;
  }

  private static byte splitting(int cp) {
    if (CharClasses.isPunctuation(cp)) {
      return PUNCTUATION;
    }
    return CharClasses.isPythonWhitespace(cp) ? SEPARATOR : PART_OF_WORD;
  }

  /** The word being collected, reused across words; remembers whether it is all ASCII. */
  private static final class Word {
    private char[] chars = new char[32];
    private int length;
    private boolean ascii = true;

    void appendAscii(char c) {
      if (length == chars.length) {
        chars = Arrays.copyOf(chars, length * 2);
      }
      chars[length++] = c;
    }

    void append(int cp) {
      if (length + 2 > chars.length) {
        chars = Arrays.copyOf(chars, chars.length * 2);
      }
      length += Character.toChars(cp, chars, length);
      ascii = false;
    }

    void lowerAscii() {
      for (int i = 0; i < length; i++) {
        char c = chars[i];
        if (c >= 'A' && c <= 'Z') {
          chars[i] = (char) (c + ('a' - 'A'));
        }
      }
    }

    void clear() {
      length = 0;
      ascii = true;
    }

    @Override
    public String toString() {
      return new String(chars, 0, length);
    }
  }
}
