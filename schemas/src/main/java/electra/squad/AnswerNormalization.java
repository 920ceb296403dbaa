package electra.squad;

import electra.tokenization.CharClasses;
import java.util.ArrayList;
import java.util.List;

/**
 * The official scripts' {@code normalize_answer}, character for character: lower-case, remove ASCII punctuation,
 * replace the words a/an/the by a space, collapse whitespace. Each step follows the Python expression it stands
 * for, over Python's notion of characters (code points) and Unicode 14, so that unusual text (accents written as
 * combining marks, Greek sigma, non-breaking spaces) normalises as it does under the official scripts.
 */
public final class AnswerNormalization {

  /** Python's {@code string.punctuation}: the 32 printable ASCII characters that are not letters or digits. */
  static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  private AnswerNormalization() {}

  /** {@code normalize_answer(s)}. */
  public static String normalize(String s) {
    return fixWhitespace(removeArticles(removePunctuation(CharClasses.lower(s))));
  }

  /** {@code normalize_answer(s).split()}: the tokens F1 counts. */
  public static List<String> tokens(String s) {
    return split(normalize(s));
  }

  /** {@code ''.join(ch for ch in text if ch not in set(string.punctuation))}. */
  static String removePunctuation(String text) {
    StringBuilder out = new StringBuilder(text.length());
    // Every punctuation character is ASCII, so no surrogate half can match and chars are safe to test one by one.
    text.chars().filter(c -> PUNCTUATION.indexOf(c) < 0).forEach(c -> out.append((char) c));
    return out.toString();
  }

  /**
   * {@code re.sub(r'\b(a|an|the)\b', ' ', text)}: a match must start and end at word boundaries, so it is always a
   * whole run of word characters. Java's regex cannot stand in for it: its Unicode {@code \w} counts combining
   * marks as word characters and its {@code \b} never separates a letter from a following mark, so "the\u0301"
   * keeps its "the" in Java and loses it in Python.
   */
  static String removeArticles(String text) {
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      int end = i;
      while (end < text.length() && CharClasses.isPythonWordCharacter(text.codePointAt(end))) {
        end += Character.charCount(text.codePointAt(end));
      }
      if (end == i) {
        end += Character.charCount(text.codePointAt(i));
        out.append(text, i, end);
      } else {
        String word = text.substring(i, end);
        out.append(isArticle(word) ? " " : word);
      }
      i = end;
    }
    return out.toString();
  }

  private static boolean isArticle(String word) {
    return word.equals("a") || word.equals("an") || word.equals("the");
  }

  /** {@code ' '.join(text.split())}. */
  static String fixWhitespace(String text) {
    return String.join(" ", split(text));
  }

  /** Python's {@code str.split()} without arguments: runs of whitespace separate, no empty pieces. */
  static List<String> split(String text) {
    List<String> pieces = new ArrayList<>();
    int start = -1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (CharClasses.isPythonWhitespace(cp)) {
        if (start >= 0) {
          pieces.add(text.substring(start, i));
          start = -1;
        }
      } else if (start < 0) {
        start = i;
      }
      i += Character.charCount(cp);
    }
    if (start >= 0) {
      pieces.add(text.substring(start));
    }
    return pieces;
  }
}
