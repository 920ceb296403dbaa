package electra.tokenization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.ibm.icu.lang.UCharacter;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test: the Java tokenizer against a small Python reference tokenizer written from the spec
 * (src/test/resources/electra/tokenization/reference_tokenizer.py), run by /usr/bin/python3, on tricky inputs,
 * seeded random text from every plane, the books, and every single code point.
 */
class TokenizerAgainstPythonTest {

  private static final Path PYTHON = Path.of("/usr/bin/python3");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int RANDOM_TEXTS = 3000;
  private static final int BOOK_LINES = 3000;

  @TempDir
  static Path work;
  private static Path script;

  /** (lower-case, limit) pairs: NVIDIA's uncased default, Google's limit, and cased. */
  private static final List<Object[]> CONFIGS = List.of(
      new Object[] {true, 100}, new Object[] {true, 200}, new Object[] {false, 100});

  private static final List<String> TRICKY = List.of(
      "Héllo wörld", "He\u0301llo wo\u0308rld", "naïve café RÉSUMÉ", "中国 is 中\uD840\uDC00\uD869\uDED6x",
      "\uD880\uDC00 ext-G is not in BERT's blocks", "Ｈｅｌｌｏ，ｗｏｒｌｄ！", "zero\u200Bwidth", "soft\u00ADhyphen",
      "a\u0000b", "a\uFFFDb", "I \u2764\uFE0F \uD83C\uDF89 tokens \uD83D\uDC4D\uD83C\uDFFD", "x\uDB40\uDDF0y \uDBFF\uDFFDz \u0378q",
      "ΣΑΣ ΟΔΟΣ Σ", "ΣΑΣ. Σ' aΣ a\u0345Σ Σa ὈΔΥΣΣΕΎΣ", "ΑΣ'Σ ΑΣ.Σ Σ:Σ Α\u0345Σ\u0345 ᾈΣ 1Σ AΣ1 Α\u00ADΣ Α\u200BΣ\u200B",
      "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 family \uD83C\uDDE9\uD83C\uDDEA flag", "İstanbul İ\u0300 I\u0307", "Ǆemal ǅ ß ẞ ﬁ ﬃ straße",
      "[CLS] hello [SEP] [MASK] [UNK] [PAD]", "$^`", "", " ", " \t\n\r\u3000\u2028\u2029\u00A0\u1680 ",
      "line\u2028break para\u2029graph", "a\u001Cb\u001Dc\u001Ed\u001Fe\u0085f\u000Bg\u000Ch", "한국어 ひらがな カタカナ",
      "can't won't e-mail U.S.A. 3.14 #hashtag @user", "unaffable", "x".repeat(100), "x".repeat(101),
      "x".repeat(150), "x".repeat(200), "x".repeat(201), "x".repeat(250), "ab".repeat(75),
      "\uD835\uDC00".repeat(60), "é".repeat(150), "e\u0301".repeat(60), "Ⅻ ① Ⓐ 𝐀𝐁 ¹²³ ½", "ŉ ǰ ΐ ẖ ᾈ ﬀ",
      "\uFEFFbom", "a\u2060b\u200Dc\u200Cd", "\u0915\u094D\u0937 \u0E01\u0E31 \u0627\u064B",
      "¿Qué? ¡Sí! «guillemets» “quotes” ‘single’ — dash … ellipsis · middle");

  @BeforeAll
  static void findPython() throws IOException, InterruptedException {
    assumeTrue(Files.isExecutable(PYTHON), "skipped: " + PYTHON + " not found; the Python ground truth needs it");
    script = work.resolve("reference_tokenizer.py");
    try (InputStream in = TokenizerAgainstPythonTest.class.getResourceAsStream("reference_tokenizer.py")) {
      Files.copy(in, script);
    }
    String pythonUnicode = python(new byte[0], "version").trim();
    String icuUnicode = UCharacter.getUnicodeVersion().toString();
    assumeTrue(icuUnicode.startsWith(pythonUnicode), "skipped: Python's unicodedata is Unicode " + pythonUnicode
        + " but ICU here is " + icuUnicode + "; the tables would differ on newly assigned characters");
  }

  @Test
  void trickyInputs() throws Exception {
    for (Object[] config : CONFIGS) {
      assertSameAsPython(TRICKY, (boolean) config[0], (int) config[1]);
    }
  }

  @Test
  void randomTextFromAllPlanes() throws Exception {
    List<String> texts = randomTexts(new Random(20240611L), SharedData.vocabulary());
    for (Object[] config : CONFIGS) {
      assertSameAsPython(texts, (boolean) config[0], (int) config[1]);
    }
  }

  @Test
  void books() throws Exception {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> files = Files.list(SharedData.booksDir())) {
      for (Path file : files.filter(p -> p.toString().endsWith(".txt")).sorted().toList()) {
        try (BufferedReader reader = Files.newBufferedReader(file)) {
          reader.lines().limit(BOOK_LINES).forEach(lines::add);
        }
      }
    }
    assertTrue(lines.size() > 15_000, "books: " + lines.size() + " lines");
    assertSameAsPython(lines, true, 100);
  }

  @Test
  void everyCodePointIsClassifiedAndCaseMappedLikePython() throws Exception {
    python(new byte[0], "chars", work.toString());
    byte[] pythonFlags = Files.readAllBytes(work.resolve("flags.bin"));
    Map<Integer, String[]> pythonMappings = new HashMap<>();
    for (String line : Files.readAllLines(work.resolve("case.tsv"))) {
      String[] fields = line.split("\t", -1);
      pythonMappings.put(Integer.parseInt(fields[0], 16),
          new String[] {codePoints(fields[1]), codePoints(fields[2]), codePoints(fields[3])});
    }
    List<String> mismatches = new ArrayList<>();
    for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
      int flags = bit(CharClasses.isWhitespace(cp), 0) | bit(CharClasses.isControl(cp), 1)
          | bit(CharClasses.isPunctuation(cp), 2) | bit(CharClasses.isCjk(cp), 3)
          | bit(CharClasses.isPythonWhitespace(cp), 4);
      if (flags != pythonFlags[cp]) {
        mismatches.add(String.format("U+%04X classes: java %5s, python %5s", cp,
            Integer.toBinaryString(flags), Integer.toBinaryString(pythonFlags[cp])));
      }
      if (Character.isSurrogate((char) cp) && cp <= 0xFFFF) {
        continue; // never in decoded UTF-8, and Python's str.lower() of a lone surrogate is not comparable
      }
      String s = Character.toString(cp);
      String lower = CharClasses.lower(s);
      String[] java = {lower, CharClasses.stripAccents(lower), CharClasses.stripAccents(s)};
      String[] python = pythonMappings.getOrDefault(cp, new String[] {s, s, s});
      String[] names = {"lower", "strip(lower)", "strip"};
      for (int i = 0; i < 3; i++) {
        if (!java[i].equals(python[i])) {
          mismatches.add(String.format("U+%04X %s: java %s, python %s", cp, names[i], hex(java[i]), hex(python[i])));
        }
      }
    }
    assertTrue(mismatches.isEmpty(), mismatches.size() + " differences, first ones:\n"
        + String.join("\n", mismatches.subList(0, Math.min(20, mismatches.size()))));
  }

  @Test
  void invalidUtf8IsDroppedLikePythonErrorsIgnore() throws Exception {
    Random random = new Random(7);
    List<byte[]> inputs = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      inputs.add(randomBytes(random));
    }
    String hexLines = inputs.stream().map(HexFormat.of()::formatHex).collect(Collectors.joining("\n"));
    List<String> expected = JSON.readValue(python(hexLines.getBytes(StandardCharsets.US_ASCII), "decode"),
        new TypeReference<List<String>>() {});
    for (int i = 0; i < inputs.size(); i++) {
      try (BufferedReader reader = TokenizerJobs.utf8Lines(new ByteArrayInputStream(inputs.get(i)))) {
        StringBuilder decoded = new StringBuilder();
        for (int c = reader.read(); c >= 0; c = reader.read()) {
          decoded.append((char) c);
        }
        assertEquals(expected.get(i), decoded.toString(), "bytes " + HexFormat.of().formatHex(inputs.get(i)));
      }
    }
  }

  private static void assertSameAsPython(List<String> texts, boolean lower, int maxChars) throws Exception {
    List<List<String>> expected = JSON.readValue(
        python(JSON.writeValueAsBytes(texts), "tokenize", SharedData.vocabFile().toString(),
            Boolean.toString(lower), Integer.toString(maxChars)),
        new TypeReference<List<List<String>>>() {});
    BertTokenizer tokenizer = new BertTokenizer(SharedData.vocabulary(), lower, maxChars);
    List<String> mismatches = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      List<String> actual = tokenizer.tokenize(texts.get(i));
      if (!actual.equals(expected.get(i))) {
        mismatches.add(hex(texts.get(i)) + "\n    java   " + actual + "\n    python " + expected.get(i));
      }
    }
    assertTrue(mismatches.isEmpty(), "lower=" + lower + " max=" + maxChars + ": " + mismatches.size() + " of "
        + texts.size() + " texts differ, e.g.\n  " + String.join("\n  ", mismatches.subList(0, Math.min(5, mismatches.size()))));
  }

  /** ASCII words, vocabulary entries, separators and code points from everywhere, glued at random. */
  static List<String> randomTexts(Random random, Vocabulary vocabulary) {
    String[] words = {"the", "Running", "unaffable", "HELLO", "naïve", "don't", "e-mail", "U.S.A.", "3.14",
        "ΟΔΥΣΣΕΥΣ", "ΣΑΣ", "Σ", "İstanbul", "straße", "Ǆemal", "中文", "日本語", "한국어", "x"};
    int[] separators = {' ', '\t', '\n', '\r', 0x2028, 0x2029, 0x3000, 0xA0, 0x1680, 0x85, 0x0B, 0x1C};
    int[] interesting = {0x00, 0x7F, 0xAD, 0x300, 0x301, 0x308, 0x327, 0x345, 0x130, 0x131, 0x3A3, 0x3C2,
        0x391, 0x1E9E, 0xDF, 0xFB01, 0xFB03, 0x1F88, 0x149, 0x390, 0x200B, 0x200D, 0x2060, 0xFEFF, 0xFE0F,
        0x3099, 0xFFFD, 0xFFFE, 0xFF01, 0xFF21, 0x4E2D, 0x20000, 0x2A6D6, 0x2F800, 0xF900, 0x30000, 0xAC00,
        0x1F600, 0x1F3FB, 0xE0001, 0xE0100, 0x10FFFD, 0x378, 0x1D400, 0x2160, 0x24B6, 0x64B, 0xE31, 0x94D,
        0x93F, 0x2019, 0x201C, 0xB7, '#', '[', ']', '\'', '-', '.', '$', '^', '`', '_', '~'};
    List<String> texts = new ArrayList<>();
    for (int t = 0; t < RANDOM_TEXTS; t++) {
      StringBuilder text = new StringBuilder();
      int parts = 1 + random.nextInt(20);
      for (int p = 0; p < parts; p++) {
        switch (random.nextInt(10)) {
          case 0, 1, 2 -> text.append(words[random.nextInt(words.length)]);
          case 3 -> text.append(vocabulary.token(random.nextInt(vocabulary.size())).replace("##", ""));
          case 4 -> text.appendCodePoint(separators[random.nextInt(separators.length)]);
          case 5 -> text.appendCodePoint(nonSurrogate(random, Character.MAX_CODE_POINT + 1));
          case 6, 7 -> text.appendCodePoint(nonSurrogate(random, 0x30000));
          default -> text.appendCodePoint(interesting[random.nextInt(interesting.length)]);
        }
      }
      texts.add(text.toString());
    }
    return texts;
  }

  private static int nonSurrogate(Random random, int bound) {
    while (true) {
      int cp = random.nextInt(bound);
      if (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE) {
        return cp;
      }
    }
  }

  /** Valid UTF-8 mixed with stray, truncated, overlong and surrogate sequences; no line breaks. */
  private static byte[] randomBytes(Random random) {
    String[] chunks = {"61", "c3a9", "e4b8ad", "f09f8e89", "c3", "e4b8", "f09f8e", "80", "bf", "c0af", "c1bf",
        "e080af", "eda080", "edbfbf", "f4908080", "f5", "ff", "fe", "f8888080", "efbfbd", "e2808b", "20"};
    StringBuilder hex = new StringBuilder();
    int parts = 1 + random.nextInt(6);
    for (int p = 0; p < parts; p++) {
      if (random.nextInt(4) == 0) {
        hex.append(String.format("%02x", 0x80 + random.nextInt(0x80)));
      } else {
        hex.append(chunks[random.nextInt(chunks.length)]);
      }
    }
    return HexFormat.of().parseHex(hex);
  }

  private static String python(byte[] stdin, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PYTHON.toString(), script.toString()));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(work, "python", ".out");
    Path err = Files.createTempFile(work, "python", ".err");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try (var in = process.getOutputStream()) {
      in.write(stdin);
    }
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "python " + args[0] + " did not finish in 120 s");
    assertEquals(0, process.exitValue(), "python " + args[0] + " failed: " + Files.readString(err));
    return Files.readString(out, StandardCharsets.UTF_8);
  }

  private static int bit(boolean value, int position) {
    return value ? 1 << position : 0;
  }

  private static String codePoints(String hexList) {
    StringBuilder s = new StringBuilder();
    for (String cp : hexList.split(" ")) {
      if (!cp.isEmpty()) {
        s.appendCodePoint(Integer.parseInt(cp, 16));
      }
    }
    return s.toString();
  }

  private static String hex(String s) {
    return s.codePoints().mapToObj(cp -> cp >= 0x21 && cp < 0x7F ? Character.toString(cp) : String.format("<%X>", cp))
        .collect(Collectors.joining());
  }
}
