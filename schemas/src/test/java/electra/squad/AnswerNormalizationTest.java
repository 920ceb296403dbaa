package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.tokenization.CharClasses;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** normalize_answer, step by step and against Python itself. */
class AnswerNormalizationTest {

  /** normalize_answer as the official scripts write it, for the differential test. */
  private static final String PYTHON_NORMALIZE = """
      import json, re, string, sys
      def normalize(s):
          s = s.lower()
          s = ''.join(ch for ch in s if ch not in set(string.punctuation))
          s = re.sub(r'\\b(a|an|the)\\b', ' ', s)
          return ' '.join(s.split())
      texts = json.load(sys.stdin)
      print(json.dumps([normalize(t) for t in texts]))
      """;

  private static void assertNormalizes(String expected, String text) {
    assertEquals(expected, AnswerNormalization.normalize(text), () -> "normalize(" + text + ")");
  }

  @Test
  void removesExactlyTheAsciiPunctuationOfPython() {
    assertEquals(32, AnswerNormalization.PUNCTUATION.length());
    assertNormalizes("", AnswerNormalization.PUNCTUATION);
    assertNormalizes("dont", "don't");
    assertNormalizes("abc", "A.B.C.");
    assertNormalizes("10005", "1,000.5");
    assertNormalizes("thecat", "The_cat");
    // Unicode quotes and dashes are not in string.punctuation.
    assertNormalizes("“quoted” — dash", "“Quoted” — dash!");
  }

  @Test
  void removesArticlesOnlyAsWholeWords() {
    assertNormalizes("theory of thing", "The theory of a thing");
    assertNormalizes("another anthem", "another anthem");
    assertNormalizes("", "An an AN aN");
    assertNormalizes("théâtre", "théâtre the");
    // Punctuation goes first, so it can glue an article to a neighbour.
    assertNormalizes("athe b", "a-the b");
    assertNormalizes("thethe", "the.the");
  }

  @Test
  void wordBoundariesAreThoseOfPythonsRegex() {
    // A combining mark is not a word character in Python: "the" + U+0301 loses its "the".
    assertNormalizes("\u0301 end", "the\u0301 end");
    // Numerals with a numeric value are word characters: Roman twelve, superscript two.
    assertNormalizes("ⅻthe ²the the²", "Ⅻthe ²the the²");
    // Connector punctuation other than "_" is not (Java's Unicode \w says it is).
    assertNormalizes("‿", "‿the");
  }

  @Test
  void whitespaceAndCaseAreThoseOfPython() {
    assertNormalizes("cat", "a\u00A0the\u2003cat\u3000");
    assertNormalizes("b", "\u2028a\u2029b");
    assertNormalizes("cat", "the\tcat\n");
    assertNormalizes("x\u200By", "x\u200By");
    assertNormalizes("i\u0307stanbul", "İstanbul");
    assertNormalizes("σας οδος", "ΣΑΣ ΟΔΟΣ");
    assertEquals(List.of("big", "cat"), AnswerNormalization.tokens("The  big\u00A0Cat."));
    assertEquals(List.of(), AnswerNormalization.tokens(" the "));
  }

  @Test
  void everyCodePointIsAWordCharacterExactlyWhenPythonsRegexSaysSo() throws Exception {
    PythonProcess.assumeSameUnicodeVersion();
    // Python prints the ranges of code points that \w matches, one "first last" pair (hex) per line.
    String ranges = PythonProcess.run("""
        import re
        word = re.compile(r'\\w')
        start = None
        for cp in range(0x110000):
            if word.match(chr(cp)):
                if start is None: start = cp
            elif start is not None:
                print('%x %x' % (start, cp - 1)); start = None
        """, "");
    boolean[] python = new boolean[Character.MAX_CODE_POINT + 1];
    ranges.lines().forEach(line -> {
      String[] bounds = line.split(" ");
      for (int cp = Integer.parseInt(bounds[0], 16); cp <= Integer.parseInt(bounds[1], 16); cp++) {
        python[cp] = true;
      }
    });
    List<String> mismatches = new ArrayList<>();
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      if (CharClasses.isPythonWordCharacter(cp) != python[cp]) {
        mismatches.add(String.format("U+%04X python=%b", cp, python[cp]));
      }
    }
    assertTrue(mismatches.isEmpty(), mismatches.size() + " code points differ, e.g. "
        + mismatches.subList(0, Math.min(10, mismatches.size())));
  }

  @Test
  void randomTextsNormaliseAsInPython() throws Exception {
    PythonProcess.assumeSameUnicodeVersion();
    List<String> texts = randomTexts(new Random(20250611L), 3000);
    ObjectMapper json = new ObjectMapper();
    List<String> expected = json.readValue(PythonProcess.run(PYTHON_NORMALIZE, json.writeValueAsString(texts)),
        new TypeReference<List<String>>() {});
    for (int i = 0; i < texts.size(); i++) {
      assertEquals(expected.get(i), AnswerNormalization.normalize(texts.get(i)), "text " + json.writeValueAsString(texts.get(i)));
    }
  }

  /** Articles, near-articles, punctuation, marks, numerals and whitespace of every kind, glued at random. */
  private static List<String> randomTexts(Random random, int count) {
    String[] pieces = {"a", "an", "the", "The", "THE", "A", "An", "theory", "ant", "apple", "cat", "x", "1", "_",
        "-", ".", "'", ",", "!", "(", ")", "\"", "$", "~", "@", "\u0301", "\u0308", "\u0345", "‿", "⁀", "Ⅻ", "²",
        "½", "①", "٣", "三", "é", "ß", "İ", "Σ", "ΣΑΣ", "ǅ", "ﬁ", "\uD835\uDC00", "\uD83D\uDE00", "\u200B",
        "\u200D", "\u00AD", "—", "“", "”", "«", "·"};
    String[] spaces = {" ", "  ", "\t", "\n", "\r", "\u00A0", "\u2003", "\u3000", "\u2028", "\u2029", "\u0085",
        "\u000B", "\u001C", "\u1680", "\u202F", ""};
    List<String> texts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(8);
      for (int j = 0; j < length; j++) {
        text.append(pieces[random.nextInt(pieces.length)]).append(spaces[random.nextInt(spaces.length)]);
      }
      texts.add(text.toString());
    }
    return texts;
  }
}
