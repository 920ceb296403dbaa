package electra.tokenization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-checked cases on the real uncased vocabulary; the Python comparison is in TokenizerAgainstPythonTest. */
class TokenizerTest {

  private static BertTokenizer uncased() {
    return BertTokenizer.uncased(SharedData.vocabulary());
  }

  private static List<String> basic(String text) {
    return new BasicTokenizer(true).tokenize(text);
  }

  @Test
  void accentsAreStrippedWhetherComposedOrDecomposed() {
    assertEquals(List.of("hello", "world"), uncased().tokenize("Héllo wörld"));
    assertEquals(List.of("hello", "world"), uncased().tokenize("He\u0301llo wo\u0308rld"));
    assertArrayEquals(new int[] {7592, 2088}, uncased().ids("Héllo wörld"));
    assertEquals(List.of("naive", "cafe", "resume"), uncased().tokenize("naïve café RÉSUMÉ"));
  }

  @Test
  void casedTokenizerKeepsCaseAndAccents() {
    assertEquals(List.of("Héllo", "wörld"), new BasicTokenizer(false).tokenize("Héllo wörld"));
    BertTokenizer cased = new BertTokenizer(SharedData.vocabulary(), false, 100);
    assertEquals(List.of("[UNK]", "world", "!"), cased.tokenize("Hello world!"));
  }

  @Test
  void cjkIdeographsBecomeTokensOfTheirOwnInEveryPlane() {
    assertEquals(List.of("中", "国", "is", "中", "\uD840\uDC00", "\uD869\uDED6", "x"),
        basic("中国 is 中\uD840\uDC00\uD869\uDED6x"));
    assertEquals(List.of("中", "国", "is", "中", "[UNK]", "[UNK]", "x"),
        uncased().tokenize("中国 is 中\uD840\uDC00\uD869\uDED6x"));
    assertArrayEquals(new int[] {1746, 1799, 2003}, uncased().ids("中国is"));
  }

  @Test
  void hangulAndKanaAreNotCjkButDecomposeWhenLowerCasing() {
    // NFD splits Hangul syllables into jamo and が into か + U+3099, a nonspacing mark that is then dropped.
    assertEquals(List.of("\u1112\u1161\u11AB\u1100\u116E\u11A8\u110B\u1165", "ひらかな"), basic("한국어 ひらがな"));
    assertEquals(List.of("ひ", "##ら", "##か", "##な"), uncased().tokenize("ひらがな"));
  }

  @Test
  void fullwidthFormsAreNotFolded() {
    // Only NFD is applied, not NFKC: fullwidth letters stay fullwidth; fullwidth punctuation is still P*.
    assertEquals(List.of("ｈｅｌｌｏ", "，", "ｗｏｒｌｄ", "！"), basic("Ｈｅｌｌｏ，ｗｏｒｌｄ！"));
    assertEquals(List.of("[UNK]", "，", "[UNK]", "！"), uncased().tokenize("Ｈｅｌｌｏ，ｗｏｒｌｄ！"));
  }

  @Test
  void controlAndFormatCharactersVanishWithoutSplitting() {
    assertEquals(List.of("zerowidth"), basic("zero\u200Bwidth")); // ZWSP is Cf
    assertEquals(List.of("softhyphen"), basic("soft\u00ADhyphen")); // soft hyphen is Cf
    assertEquals(List.of("zero", "##wi", "##dt", "##h"), uncased().tokenize("zero\u200Bwidth"));
    assertEquals(List.of("abc"), basic("a\u001Cb\u0085c")); // Python whitespace, but Cc: removed first
    assertEquals(List.of("ab"), basic("a\u0000b"));
    assertEquals(List.of("ab"), basic("a\uFFFDb"));
    assertArrayEquals(new int[] {11113}, uncased().ids("a\u0000\uFFFDb"));
  }

  @Test
  void unassignedAndPrivateUseCodePointsVanish() {
    assertEquals(List.of("x", "##y", "z", "q"), uncased().tokenize("x\uDB40\uDDF0y \uDBFF\uDFFDz \u0378q"));
  }

  @Test
  void lineAndParagraphSeparatorsSplitLikePythonStrSplit() {
    assertEquals(List.of("line", "break", "para", "graph"), basic("line\u2028break para\u2029graph"));
    assertEquals(List.of("a", "b", "c"), basic("a\u00A0b\u3000c")); // Zs: cleaned to spaces
  }

  @Test
  void emojiAreUnknownAndVariationSelectorsAreStripped() {
    assertEquals(List.of("i", "\u2764", "\uD83C\uDF89", "tokens"), basic("I \u2764\uFE0F \uD83C\uDF89 tokens"));
    assertEquals(List.of("i", "[UNK]", "[UNK]", "token", "##s"), uncased().tokenize("I \u2764\uFE0F \uD83C\uDF89 tokens"));
  }

  @Test
  void greekFinalSigmaFollowsContextLikePythonLower() {
    assertEquals(List.of("σ", "##α", "##ς", "ο", "##δ", "##ος", "σ"), uncased().tokenize("ΣΑΣ ΟΔΟΣ Σ"));
    assertEquals("σας.", CharClasses.lower("ΣΑΣ."));
    assertEquals("aͅς", CharClasses.lower("a\u0345Σ")); // case-ignorable marks are skipped
  }

  @Test
  void turkishDottedCapitalILowersToTwoCodePointsThenLosesTheDot() {
    assertEquals("i\u0307stanbul", CharClasses.lower("İstanbul"));
    assertEquals(List.of("istanbul"), uncased().tokenize("İstanbul"));
    assertArrayEquals(new int[] {9960}, uncased().ids("İstanbul"));
  }

  @Test
  void longWordsBecomeUnknownAboveTheLimit() {
    Vocabulary vocabulary = SharedData.vocabulary();
    BertTokenizer nvidia = new BertTokenizer(vocabulary, true, 100);
    BertTokenizer google = new BertTokenizer(vocabulary, true, 200);
    String word150 = "x".repeat(150);
    assertEquals(List.of("[UNK]"), nvidia.tokenize(word150));
    List<String> pieces = google.tokenize(word150);
    assertEquals(75, pieces.size());
    assertEquals("xx", pieces.get(0));
    assertEquals(Collections.nCopies(74, "##xx"), pieces.subList(1, 75));
    assertEquals(List.of("[UNK]"), google.tokenize("x".repeat(250)));
    assertEquals(50, nvidia.tokenize("x".repeat(100)).size());
    assertEquals(List.of("[UNK]"), nvidia.tokenize("x".repeat(101)));
    // The limit counts code points, not UTF-16 chars: 60 supplementary letters are 120 chars.
    assertEquals(List.of("[UNK]"), nvidia.tokenize("\uD835\uDC00".repeat(60)));
  }

  @Test
  void wordThatCannotBeSplitBecomesOneUnknown() {
    assertEquals(List.of("una", "##ffa", "##ble"), uncased().tokenize("unaffable"));
    assertEquals(List.of("hello", "[UNK]", "world"), uncased().tokenize("hello \u2764abc world"));
  }

  @Test
  void literalSpecialTokensAreOrdinaryText() {
    assertEquals(List.of("[", "cl", "##s", "]", "hello", "[", "sep", "]"), uncased().tokenize("[CLS] hello [SEP]"));
    assertArrayEquals(new int[] {1031, 18856, 2015, 1033, 7592, 1031, 19802, 1033}, uncased().ids("[CLS] hello [SEP]"));
  }

  @Test
  void asciiSymbolsCountAsPunctuation() {
    assertEquals(List.of("$", "^", "`"), uncased().tokenize("$^`"));
    assertArrayEquals(new int[] {1002, 1034, 1036}, uncased().ids("$^`"));
    assertEquals(List.of("can", "'", "t", "won", "'", "t"), uncased().tokenize("can't won't"));
  }

  @Test
  void emptyAndWhitespaceOnlyTextHasNoTokens() {
    assertEquals(List.of(), uncased().tokenize(""));
    assertEquals(List.of(), uncased().tokenize(" \t\n\r\u3000\u2028\u2029\u00A0 "));
    assertArrayEquals(new int[0], uncased().ids(" \u200B "));
  }

  @Test
  void wordpieceAloneSplitsAtPythonWhitespace() {
    WordpieceTokenizer wordpiece = new WordpieceTokenizer(SharedData.vocabulary(), 200);
    assertEquals(List.of("una", "##ffa", "##ble", "hello"), wordpiece.tokenize(" unaffable\u2028hello "));
  }

  @Test
  void tokensAndIdsConvertBothWays() {
    BertTokenizer tokenizer = uncased();
    List<String> tokens = tokenizer.tokenize("The unaffable tokenizer, again!");
    int[] ids = tokenizer.ids("The unaffable tokenizer, again!");
    assertArrayEquals(ids, tokenizer.convertTokensToIds(tokens));
    assertEquals(tokens, tokenizer.convertIdsToTokens(ids));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tokenizer.convertTokensToIds(List.of("hello", "no-such-token")));
    assertTrue(e.getMessage().contains("no-such-token"), e.getMessage());
  }

  @Test
  void optionsAreValidatedWithAdvice() {
    Vocabulary tiny = Vocabulary.fromBytes("[UNK]\n".getBytes(StandardCharsets.UTF_8), "tiny");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BertTokenizer(tiny, true, 0));
    assertTrue(e.getMessage().contains("at least 1") && e.getMessage().contains("200"), e.getMessage());
  }
}
