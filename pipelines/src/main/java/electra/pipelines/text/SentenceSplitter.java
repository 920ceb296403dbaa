package electra.pipelines.text;

import com.ibm.icu.text.BreakIterator;
import com.ibm.icu.util.ULocale;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
    // Works on ICU's boundaries in place: each piece runs up to the next boundary, trailing spaces included, so a
    // sentence is the text from its first piece's start to its last piece's end. (Copying every piece cost a third
    // as much as ICU itself.)
    List<String> sentences = new ArrayList<>();
    breaks.setText(paragraph);
    int sentenceStart = breaks.first();
    int pieceStart = sentenceStart;
    for (int end = breaks.next(), next = breaks.next(); end != BreakIterator.DONE; end = next, next = breaks.next()) {
      if (next != BreakIterator.DONE
          && !continues(paragraph, pieceStart, end, next, sentenceStart == pieceStart)) {
        addStripped(sentences, paragraph, sentenceStart, end);
        sentenceStart = end;
      }
      pieceStart = end;
    }
    addStripped(sentences, paragraph, sentenceStart, paragraph.length());
    return sentences;
  }

  /**
   * Whether ICU's piece {@code [nextStart, nextEnd)} of {@code text} goes on the sentence that its piece
   * {@code [beforeStart, nextStart)} ends; {@code beforeIsWhole} when that sentence is just that piece, as an item
   * number starting a sentence is.
   */
  private static boolean continues(String text, int beforeStart, int nextStart, int nextEnd,
      boolean beforeIsWhole) {
    int nextText = skipSpaces(text, nextStart, nextEnd);
    int nextWordEnd = wordEnd(text, nextText, nextEnd);
    int nextWordStart = skipOpenings(text, nextText, nextWordEnd);
    if (nextWordStart == nextWordEnd || Character.isLowerCase(text.codePointAt(nextWordStart))) {
      return true;
    }
    int beforeEnd = stripEnd(text, beforeStart, nextStart);
    int lastWordStart = skipOpenings(text, wordStart(text, beforeStart, beforeEnd), beforeEnd);
    String abbreviation = text.substring(lastWordStart, beforeEnd);
    if (NEVER_FINAL.contains(abbreviation)
        || (beforeIsWhole && isEnumerationLabel(text, skipSpaces(text, beforeStart, beforeEnd), beforeEnd))) {
      return true;
    }
    if (BEFORE_NUMBER.contains(abbreviation)) {
      return Character.isDigit(text.codePointAt(nextWordStart));
    }
    boolean mayEndSentence = OFTEN_FINAL.contains(abbreviation) || isInitial(abbreviation)
        || isDottedAbbreviation(abbreviation);
    return mayEndSentence && !SENTENCE_STARTERS.contains(text.substring(nextWordStart, nextWordEnd));
  }

  /** One capital letter and a full stop: an initial ("J. R. R. Tolkien"), or the end of "World War I.". */
  private static boolean isInitial(String word) {
    if (word.isEmpty()) {
      return false;
    }
    int letter = word.codePointAt(0);
    int dot = Character.charCount(letter);
    return word.length() == dot + 1 && word.charAt(dot) == '.'
        && Character.getType(letter) == Character.UPPERCASE_LETTER;
  }

  /** Letters each followed by a full stop: "U.S.", "U.S.A.", "a.m.", "B.C.". */
  private static boolean isDottedAbbreviation(String word) {
    int letters = 0;
    for (int i = 0; i < word.length(); letters++) {
      int letter = word.codePointAt(i);
      i += Character.charCount(letter);
      if (!Character.isLetter(letter) || i >= word.length() || word.charAt(i) != '.') {
        return false;
      }
      i++;
    }
    return letters >= 2;
  }

  /** A number and a full stop that make up a whole sentence so far: an item's label ("2. The motion ..."). */
  private static boolean isEnumerationLabel(String text, int start, int end) {
    int digits = end - 1 - start;
    if (digits < 1 || digits > 3 || text.charAt(end - 1) != '.') {
      return false;
    }
    for (int i = start; i < end - 1; i++) {
      if (text.charAt(i) < '0' || text.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** The first index in {@code [from, end)} that is not white space, else {@code end}. */
  private static int skipSpaces(String text, int from, int end) {
    while (from < end) {
      int c = text.codePointAt(from);
      if (!Character.isWhitespace(c)) {
        break;
      }
      from += Character.charCount(c);
    }
    return from;
  }

  /** The end of {@code [start, end)} without its trailing white space. */
  private static int stripEnd(String text, int start, int end) {
    while (end > start) {
      int c = text.codePointBefore(end);
      if (!Character.isWhitespace(c)) {
        break;
      }
      end -= Character.charCount(c);
    }
    return end;
  }

  /** Where the word starting at {@code from} ends: the first white space char, else {@code end}. */
  private static int wordEnd(String text, int from, int end) {
    while (from < end && !Character.isWhitespace(text.charAt(from))) {
      from++;
    }
    return from;
  }

  /** Where the word ending at {@code end} starts: after the last white space char in {@code [start, end)}. */
  private static int wordStart(String text, int start, int end) {
    while (end > start && !Character.isWhitespace(text.charAt(end - 1))) {
      end--;
    }
    return end;
  }

  /** Past opening quotes and brackets ("(Dr." is "Dr."), up to {@code end}. */
  private static int skipOpenings(String text, int from, int end) {
    while (from < end && isOpening(text.charAt(from))) {
      from++;
    }
    return from;
  }

  private static boolean isOpening(char c) {
    int type = Character.getType(c);
    return type == Character.START_PUNCTUATION || type == Character.INITIAL_QUOTE_PUNCTUATION
        || c == '"' || c == '\'';
  }

  private static void addStripped(List<String> sentences, String text, int start, int end) {
    int from = skipSpaces(text, start, end);
    String stripped = text.substring(from, stripEnd(text, from, end));
    if (!stripped.isEmpty()) {
      sentences.add(stripped);
    }
  }
}
