package electra.tokenization;

import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UCharacterCategory;
import com.ibm.icu.lang.UProperty;
import com.ibm.icu.text.Normalizer2;
import com.ibm.icu.util.ULocale;

/**
 * The character rules of BERT's {@code tokenization.py}, one small predicate each, over Unicode 14 (ICU 71),
 * the Unicode version of Python 3.11's {@code unicodedata}. {@link Character} is not used: JDK 17 knows only
 * Unicode 13, and every category that changed between the two would tokenize differently from Python.
 *
 * <p>The rules of Python itself ({@code str.lower}, {@code str.isspace}, {@code re}'s {@code \w}) are public: the
 * official SQuAD metrics normalise answers with them too.
 */
public final class CharClasses {

  private static final Normalizer2 NFD = Normalizer2.getNFDInstance();

  private CharClasses() {}

  /** BERT's whitespace, turned into a space by text cleaning: space, tab, newline, carriage return or Zs. */
  static boolean isWhitespace(int cp) {
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
        || UCharacter.getType(cp) == UCharacterCategory.SPACE_SEPARATOR;
  }

  /** BERT's control characters, removed by text cleaning: any category C* except tab, newline, carriage return. */
  static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    return switch (UCharacter.getType(cp)) {
      case UCharacterCategory.CONTROL, UCharacterCategory.FORMAT, UCharacterCategory.PRIVATE_USE,
          UCharacterCategory.SURROGATE, UCharacterCategory.UNASSIGNED -> true;
      default -> false;
    };
  }

  /** Code points that text cleaning removes outright: NUL, U+FFFD and the control characters. */
  static boolean isDropped(int cp) {
    return cp == 0 || cp == 0xFFFD || isControl(cp);
  }

  /**
   * BERT's punctuation: every printable ASCII character that is not a letter or digit (so {@code $ ^ `} count
   * although Unicode files them as symbols), or any category P*.
   */
  static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
      return true;
    }
    return switch (UCharacter.getType(cp)) {
      case UCharacterCategory.DASH_PUNCTUATION, UCharacterCategory.START_PUNCTUATION,
          UCharacterCategory.END_PUNCTUATION, UCharacterCategory.CONNECTOR_PUNCTUATION,
          UCharacterCategory.OTHER_PUNCTUATION, UCharacterCategory.INITIAL_PUNCTUATION,
          UCharacterCategory.FINAL_PUNCTUATION -> true;
      default -> false;
    };
  }

  /** The CJK ideograph blocks that BERT surrounds with spaces; Hangul, Hiragana and Katakana are not among them. */
  static boolean isCjk(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }

  /**
   * Python's {@code str.isspace()}, which decides where {@code str.split()} cuts: bidirectional class WS, B or S,
   * or category Zs (Unicode 14). Cleaning removes most of these or turns them into spaces; the line and paragraph
   * separators U+2028 and U+2029 survive it (categories Zl and Zp) and still split words.
   */
  public static boolean isPythonWhitespace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
        || cp == 0x3000;
  }

  /**
   * Python's {@code \w} in a {@code str} pattern, and so what its {@code \b} separates: {@code str.isalnum()} or
   * {@code _}. That is any letter (L*) or any code point with a numeric value (superscripts, Roman numerals, CJK
   * numerals); unlike Java's Unicode {@code \w}, combining marks and connector punctuation other than {@code _}
   * are not word characters.
   */
  public static boolean isPythonWordCharacter(int cp) {
    if (cp == '_') {
      return true;
    }
    return switch (UCharacter.getType(cp)) {
      case UCharacterCategory.UPPERCASE_LETTER, UCharacterCategory.LOWERCASE_LETTER,
          UCharacterCategory.TITLECASE_LETTER, UCharacterCategory.MODIFIER_LETTER,
          UCharacterCategory.OTHER_LETTER -> true;
      default -> UCharacter.getIntPropertyValue(cp, UProperty.NUMERIC_TYPE) != UCharacter.NumericType.NONE;
    };
  }

  /**
   * Python's {@code str.lower()}: full case mapping (U+0130 becomes two code points), final sigma in context,
   * no language-specific rules. ICU's root locale applies exactly these.
   */
  public static String lower(String s) {
    return UCharacter.toLowerCase(ULocale.ROOT, s);
  }

  /** BERT's accent stripping: canonical decomposition (NFD), then every nonspacing mark (Mn) dropped. */
  static String stripAccents(String s) {
    String decomposed = NFD.normalize(s);
    StringBuilder out = new StringBuilder(decomposed.length());
    for (int i = 0; i < decomposed.length(); ) {
      int cp = decomposed.codePointAt(i);
      if (UCharacter.getType(cp) != UCharacterCategory.NON_SPACING_MARK) {
        out.appendCodePoint(cp);
      }
      i += Character.charCount(cp);
    }
    return out.toString();
  }
}
