package electra.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceSplitterTest {

  private final SentenceSplitter splitter = new SentenceSplitter();

  @Test
  void titlesBeforeNamesDoNotEndSentences() {
    assertSplit("Dr. Smith met Mr. Jones and Mrs. Brown at St. Mark's. They talked.",
        "Dr. Smith met Mr. Jones and Mrs. Brown at St. Mark's.", "They talked.");
    assertSplit("Bvt. Brig. Gen. Henry Atkinson led them. Prof. Jevons agreed.",
        "Bvt. Brig. Gen. Henry Atkinson led them.", "Prof. Jevons agreed.");
  }

  @Test
  void dottedAbbreviationsEndASentenceOnlyBeforeATypicalSentenceStart() {
    assertSplit("The U.S. Army was founded in 1775. It is large.",
        "The U.S. Army was founded in 1775.", "It is large.");
    assertSplit("He moved to the U.S. The next year he returned.",
        "He moved to the U.S.", "The next year he returned.");
    assertSplit("It opened at 9 a.m. Visitors came at once.", "It opened at 9 a.m. Visitors came at once.");
  }

  @Test
  void latinAbbreviationsDoNotEndSentences() {
    assertSplit("Fruit, e.g. Apples and pears, i.e. Common ones, are sold. Prices vary.",
        "Fruit, e.g. Apples and pears, i.e. Common ones, are sold.", "Prices vary.");
    assertSplit("It was built c. 1500 by Smith & Co. In 1600 it burned.",
        "It was built c. 1500 by Smith & Co.", "In 1600 it burned.");
  }

  @Test
  void etcEndsASentenceOnlyBeforeACapital() {
    assertSplit("Apples, pears, etc. are fruit. Done.", "Apples, pears, etc. are fruit.", "Done.");
    assertSplit("We sold apples, pears, etc. The rest rotted.", "We sold apples, pears, etc.", "The rest rotted.");
  }

  @Test
  void decimalsAndNumbersDoNotEndSentences() {
    assertSplit("Pi is about 3.14 and e is about 2.718. Both are irrational.",
        "Pi is about 3.14 and e is about 2.718.", "Both are irrational.");
    assertSplit("Agassi ended the year at no. 1. He began the next year well.",
        "Agassi ended the year at no. 1.", "He began the next year well.");
    assertSplit("He said no. The crowd left.", "He said no.", "The crowd left.");
    assertSplit("1. The Congress may act. 2. The motion must be proposed.",
        "1. The Congress may act.", "2. The motion must be proposed.");
  }

  @Test
  void initialsDoNotEndSentencesButARomanNumeralCan() {
    assertSplit("J. R. R. Tolkien wrote The Hobbit. It was published in 1937.",
        "J. R. R. Tolkien wrote The Hobbit.", "It was published in 1937.");
    assertSplit("It ended World War I. The treaty followed.", "It ended World War I.", "The treaty followed.");
  }

  @Test
  void ellipsesInsideASentenceDoNotEndIt() {
    assertSplit("He paused... and then continued. Wait... what? Yes!",
        "He paused... and then continued.", "Wait... what?", "Yes!");
  }

  @Test
  void questionAndExclamationMarksEndSentencesUnlessLowerCaseFollows() {
    assertSplit("Is it? It is! It is.", "Is it?", "It is!", "It is.");
    assertSplit("\"Why?\" she asked. \"Because!\" he said.", "\"Why?\" she asked.", "\"Because!\" he said.");
  }

  @Test
  void closingQuotesAndBracketsStayWithTheirSentence() {
    assertSplit("He said \"Go.\" Then he left.", "He said \"Go.\"", "Then he left.");
    assertSplit("It was large (about 5 km.) Nobody came.", "It was large (about 5 km.)", "Nobody came.");
  }

  @Test
  void blankInputHasNoSentencesAndAnUnterminatedOneIsKept() {
    assertSplit("");
    assertSplit("   ");
    assertSplit("  no full stop here ", "no full stop here");
  }

  private void assertSplit(String paragraph, String... sentences) {
    assertEquals(List.of(sentences), splitter.split(paragraph), paragraph);
  }
}
