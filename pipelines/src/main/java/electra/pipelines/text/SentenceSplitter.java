package electra.pipelines.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Splits a paragraph into sentences, aiming at what NLTK's punkt ({@code sent_tokenize}, which NVIDIA's data
 * preparation runs) gives on encyclopedic and literary English.
 *
 * <p>Why this design: ICU's UAX #29 sentence rules ({@link BreakIterator#getSentenceInstance}) already get decimals
 * ("3.14"), quotes and brackets after the full stop ({@code He said "Go." Then}) and lower-case continuations ("e.g.
 * apples", "Wait... what") right, but break after every abbreviation that precedes a capital ("Dr. Smith", "J. R. R.
 * Tolkien", "U.S. Army"). ICU's own remedy, the CLDR exception list ({@code en@ss=standard},
 * {@code FilteredBreakIteratorBuilder}), is short of "Dr." and "St.", and in ICU 71 does not suppress its own dotted
 * entries ("U.S.", "A."). So the ICU pieces are re-joined here by two rules of our own:
 * <ol>
 *   <li>A piece that starts with a lower-case letter continues the one before ({@code "Why?" she asked.}: UAX #29
 *       always breaks after '?' and '!').
 *   <li>A piece ending in an abbreviation continues into the next: always after titles and Latin abbreviations that
 *       never end a sentence ({@link #NEVER_FINAL}) and after a piece that is only an item number ("2."); before a
 *       number after "no." and the like ({@link #BEFORE_NUMBER}); after initials ("J."), dotted abbreviations
 *       ("U.S.", "a.m.") and {@link #OFTEN_FINAL} ones ("etc.", "Inc.", "Jan.") unless the next word is one that
 *       capitalised mostly starts a sentence ("The", "He" ...: {@link #SENTENCE_STARTERS}), a fixed stand-in for
 *       punkt's learned orthographic heuristic ("in the U.S. The next year" splits, "the U.S. Army" does not).
 * </ol>
 *
 * <p>Not thread-safe (it owns a {@link BreakIterator}); use one per thread, e.g. one per {@code DoFn} instance.
 */
public final class SentenceSplitter {

  /** Abbreviations always followed by more of the same sentence: titles before a name, Latin and citation forms. */
  private static final Set<String> NEVER_FINAL = Set.of(
      "Mr.", "Mrs.", "Ms.", "Mx.", "Dr.", "Prof.", "St.", "Mt.", "Ft.", "Rev.", "Fr.", "Hon.", "Gen.", "Brig.",
      "Bvt.", "Col.", "Lt.", "Capt.", "Cmdr.", "Cdr.", "Sgt.", "Cpl.", "Pvt.", "Maj.", "Adm.", "Gov.", "Sen.", "Rep.",
      "Pres.", "Supt.", "Atty.", "Messrs.", "Mme.", "Mlle.", "Msgr.",
      "e.g.", "E.g.", "i.e.", "I.e.", "cf.", "Cf.", "viz.", "vs.", "v.", "approx.", "ca.", "c.", "fl.", "b.", "d.",
      "p.", "pp.", "vol.", "Vol.", "fig.", "Fig.");

  /** Abbreviations that may as well end the sentence ("... Apple Inc. The company ..."). */
  private static final Set<String> OFTEN_FINAL = Set.of(
      "etc.", "Inc.", "Ltd.", "Co.", "Corp.", "Bros.", "Jr.", "Sr.", "Ph.D.", "Ave.", "Blvd.", "Dept.",
      "Univ.", "Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.");

  /**
   * Abbreviations that continue into a number ("at no. 1.", "para. 2"), where ICU breaks when the number ends the
   * sentence; before a word they may end one ("He said no. Lincoln agreed.").
   */
  private static final Set<String> BEFORE_NUMBER = Set.of(
      "no.", "No.", "nos.", "Nos.", "para.", "art.", "Art.", "ch.", "Ch.", "sec.", "Sec.");

  /** One capital letter and a full stop: an initial ("J. R. R. Tolkien"), or the end of "World War I.". */
  private static final Pattern INITIAL = Pattern.compile("\\p{Lu}\\.");

  /** A number and a full stop that make up a whole sentence so far: an item's label ("2. The motion ..."). */
  private static final Pattern ENUMERATION_LABEL = Pattern.compile("\\d{1,3}\\.");

  /** Letters each followed by a full stop: "U.S.", "U.S.A.", "a.m.", "B.C.". */
  private static final Pattern DOTTED_ABBREVIATION = Pattern.compile("(?:\\p{L}\\.){2,}");

  /**
   * Capitalised words that nearly always start a sentence rather than continue a name after an abbreviation. "I" is
   * not one: after an abbreviation it is as often a Roman numeral ("Amendment No. I of the Basic Law").
   */
  private static final Set<String> SENTENCE_STARTERS = Set.of(
      "A", "An", "The", "This", "That", "These", "Those", "There", "Then", "Thus", "It", "Its", "He", "She", "They",
      "We", "You", "His", "Her", "Their", "Our", "My", "In", "On", "At", "By", "For", "From", "With", "As",
      "After", "Before", "When", "While", "During", "Since", "However", "But", "And", "Although", "Because", "If",
      "Some", "Many", "Most", "Both", "Each", "Other", "One", "Two", "Several", "Later", "Today", "Also", "Such");

  private final BreakIterator breaks = BreakIterator.getSentenceInstance(ULocale.ENGLISH);

  /** The sentences of {@code paragraph}, stripped, in order; none is blank. */
  public List<String> split(String paragraph) {
    List<String> sentences = new ArrayList<>();
    StringBuilder sentence = new StringBuilder();
    String previous = null;
    for (String piece : icuPieces(paragraph)) {
      boolean previousIsWholeSentence = previous != null && sentence.length() == previous.length();
      if (previous != null && !continues(previous, previousIsWholeSentence, piece)) {
        addStripped(sentences, sentence);
        sentence.setLength(0);
      }
      sentence.append(piece);
      previous = piece;
    }
    addStripped(sentences, sentence);
    return sentences;
  }

  /** ICU's sentence pieces, each with its trailing spaces, so that they concatenate back to {@code text}. */
  private List<String> icuPieces(String text) {
    breaks.setText(text);
    List<String> pieces = new ArrayList<>();
    int start = breaks.first();
    for (int end = breaks.next(); end != BreakIterator.DONE; start = end, end = breaks.next()) {
      pieces.add(text.substring(start, end));
    }
    return pieces;
  }

  /**
   * Whether ICU's piece {@code next} goes on the sentence that its piece {@code before} ends; {@code beforeIsWhole}
   * when that sentence is just {@code before}, as an item number starting a sentence is.
   */
  private static boolean continues(String before, boolean beforeIsWhole, String next) {
    String nextWord = firstWord(next);
    if (nextWord.isEmpty() || Character.isLowerCase(nextWord.codePointAt(0))) {
      return true;
    }
    String abbreviation = lastWord(before);
    if (NEVER_FINAL.contains(abbreviation) || (beforeIsWhole && ENUMERATION_LABEL.matcher(before.strip()).matches())) {
      return true;
    }
    if (BEFORE_NUMBER.contains(abbreviation)) {
      return Character.isDigit(nextWord.codePointAt(0));
    }
    boolean mayEndSentence = OFTEN_FINAL.contains(abbreviation)
        || INITIAL.matcher(abbreviation).matches()
        || DOTTED_ABBREVIATION.matcher(abbreviation).matches();
    return mayEndSentence && !SENTENCE_STARTERS.contains(nextWord);
  }

  /** The first whitespace-separated word of {@code text}, without opening quotes or brackets. */
  private static String firstWord(String text) {
    String stripped = text.strip();
    int end = 0;
    while (end < stripped.length() && !Character.isWhitespace(stripped.charAt(end))) {
      end++;
    }
    int start = 0;
    while (start < end && isOpening(stripped.charAt(start))) {
      start++;
    }
    return stripped.substring(start, end);
  }

  /** The last whitespace-separated word of {@code text}, without opening quotes or brackets ("(Dr." is "Dr."). */
  private static String lastWord(String text) {
    String stripped = text.strip();
    int start = stripped.length();
    while (start > 0 && !Character.isWhitespace(stripped.charAt(start - 1))) {
      start--;
    }
    while (start < stripped.length() && isOpening(stripped.charAt(start))) {
      start++;
    }
    return stripped.substring(start);
  }

  private static boolean isOpening(char c) {
    int type = Character.getType(c);
    return type == Character.START_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
        || c == '"' || c == '\'';
  }

  private static void addStripped(List<String> sentences, CharSequence sentence) {
    String stripped = sentence.toString().strip();
    if (!stripped.isEmpty()) {
      sentences.add(stripped);
    }
  }
}
