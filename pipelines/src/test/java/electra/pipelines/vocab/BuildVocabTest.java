package electra.pipelines.vocab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.pipelines.ingest.IngestJobs;
import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import electra.tokenization.BasicTokenizer;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildVocabTest {

  private static final String GERMAN_AND_RUSSIAN = """
      Über den Dächern der Stadt flog ein großer Vogel. Die Straßen waren nass, und die Bäume trugen schweres Laub.
      Der Vogel sah Häuser, Brücken und Flüsse; er flog weiter nach Süden, über Wälder und Äcker.

      Москва — столица России. Над рекой летела большая птица, и Ёжик смотрел на неё с берега.
      Птица летела над городом, над улицами и домами, а потом исчезла за облаками.
      """;

  private static final String UNRELATED = """
      Compilers translate source programs into machine instructions; linkers resolve symbols across object files.
      A scheduler assigns threads to processor cores, and the kernel mediates access to devices and memory.

      Databases index records with balanced trees, and query planners estimate the cost of join orders.
      Network protocols frame packets, acknowledge receipt, and retransmit data lost in transit.
      """;

  private static String run(String... args) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new BuildVocab(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(args);
    return printed.toString(StandardCharsets.UTF_8);
  }

  private static JsonNode info(Path output) throws IOException {
    return new ObjectMapper().readTree(output.resolve(BuildVocab.INFO_FILE).toFile());
  }

  @Test
  void aTinyCorpusGivesSpecialTokensAlphabetAndMergesTheSameOnEitherRunner(@TempDir Path tmp) throws Exception {
    Path corpus = Files.writeString(tmp.resolve("tiny.txt"),
        "Low lower lowest.\n\nNewer newest, widest!\n\nlow low lower newest newest\n");
    List<List<String>> vocabularies = new ArrayList<>();
    for (String runner : List.of("DirectRunner", "FlinkRunner")) {
      Path out = tmp.resolve(runner);
      String printed = run("--input=" + corpus, "--output=" + out, "--vocab_size=40", "--min_frequency=2",
          "--runner=" + runner);
      assertTrue(printed.contains("corpus     documents 3, words 14, distinct words 9, kept (>= 2 times) 3"),
          printed);
      vocabularies.add(Files.readAllLines(out.resolve(BuildVocab.VOCAB_FILE), StandardCharsets.UTF_8));
    }
    assertEquals(vocabularies.get(0), vocabularies.get(1), "the same vocabulary on both runners");
    List<String> vocab = vocabularies.get(0);
    assertEquals(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), vocab.subList(0, 5));
    // lower-cased: no capital letter; every character of the corpus, rare words' ("widest", "!") included
    assertEquals(List.of("!", ",", ".", "d", "e", "i", "l", "n", "o", "r", "s", "t", "w", "##d", "##e", "##i", "##l",
        "##n", "##o", "##r", "##s", "##t", "##w"), vocab.subList(5, 28));
    assertTrue(vocab.size() <= 40, "vocab_size respected: " + vocab.size());
    // the kept words, low (3), lower (2) and newest (3), end up one piece each
    assertTrue(vocab.containsAll(List.of("low", "newest")), vocab.toString());
    assertFalse(vocab.contains("widest") || vocab.contains("wid"), "a word seen once takes no part: " + vocab);

    Path out = tmp.resolve("DirectRunner");
    Vocabulary built = Vocabulary.load(out.resolve(BuildVocab.VOCAB_FILE));
    JsonNode info = info(out);
    assertEquals(built.fingerprint(), info.get("vocab_fingerprint").asText());
    assertEquals(built.size(), info.get("size").asInt());
    assertEquals(40, info.get("vocab_size").asInt());
    assertEquals(2, info.get("min_frequency").asLong());
    assertTrue(info.get("do_lower_case").asBoolean());
    assertEquals("text", info.at("/corpus/input_format").asText());
    assertEquals(14, info.at("/corpus/words").asLong());
    assertEquals(0, built.padId());
    assertEquals(List.of(1, 2, 3, 4), List.of(built.unkId(), built.clsId(), built.sepId(), built.maskId()));
  }

  @Test
  void theBooksVocabularyTokenizesTheBooksBetterThanOneOfTheSameSizeFromUnrelatedText(@TempDir Path tmp)
      throws Exception {
    Path books = Path.of(System.getProperty("electra.shared.dir", "../shared")).resolve("data/books");
    Assumptions.assumeTrue(Files.isRegularFile(books.resolve("austen-emma.txt")),
        "sample books not found in " + books.toAbsolutePath() + " (set -Delectra.shared.dir): skipping");
    String input = books + "/{austen-emma,blake-poems,chesterton-thursday,shakespeare-hamlet}.txt";
    // the embedded Flink runner: the DirectRunner hands each of the ~20,000 distinct words to the next step alone
    run("--input=" + input, "--input_format=books", "--output=" + tmp.resolve("books"), "--vocab_size=3000");
    // the same --vocab_size; a text this short runs out of pairs to merge before it fills it, as a small corpus does
    Path unrelated = Files.writeString(tmp.resolve("unrelated.txt"), UNRELATED);
    run("--input=" + unrelated, "--output=" + tmp.resolve("unrelated"), "--vocab_size=3000", "--min_frequency=1",
        "--runner=DirectRunner");
    Vocabulary fromBooks = Vocabulary.load(tmp.resolve("books").resolve(BuildVocab.VOCAB_FILE));
    Vocabulary fromUnrelated = Vocabulary.load(tmp.resolve("unrelated").resolve(BuildVocab.VOCAB_FILE));
    assertEquals(3000, fromBooks.size(), "the books have pairs enough to fill the vocabulary");

    StringBuilder all = new StringBuilder();
    for (String book : List.of("austen-emma", "blake-poems", "chesterton-thursday", "shakespeare-hamlet")) {
      all.append(Files.readString(books.resolve(book + ".txt"), StandardCharsets.UTF_8)).append('\n');
    }
    String text = all.toString();
    int words = new BasicTokenizer(true).tokenize(text).size();
    Tokenization booksOnBooks = Tokenization.of(new BertTokenizer(fromBooks, true, 100), text, words);
    Tokenization unrelatedOnBooks = Tokenization.of(new BertTokenizer(fromUnrelated, true, 100), text, words);
    assertTrue(booksOnBooks.unknown() < unrelatedOnBooks.unknown(), booksOnBooks + " vs " + unrelatedOnBooks);
    assertTrue(booksOnBooks.piecesPerWord() < unrelatedOnBooks.piecesPerWord(),
        booksOnBooks + " vs " + unrelatedOnBooks);
    assertEquals(0, booksOnBooks.unknown(), "every character of the books is in their alphabet");
  }

  /** How a tokenizer cut a text: [UNK] tokens, and WordPiece tokens per basic token. */
  private record Tokenization(long unknown, double piecesPerWord) {
    static Tokenization of(BertTokenizer tokenizer, String text, int words) {
      int[] ids = tokenizer.ids(text);
      int unk = tokenizer.vocabulary().unkId();
      return new Tokenization(Arrays.stream(ids).filter(id -> id == unk).count(),
          (double) ids.length / words);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d [UNK], %.3f pieces per word", unknown, piecesPerWord);
    }
  }

  @Test
  void germanAndRussianTextIsCoveredAndACasedVocabularyKeepsCase(@TempDir Path tmp) throws Exception {
    Path corpus = Files.writeString(tmp.resolve("de-ru.txt"), GERMAN_AND_RUSSIAN);
    for (boolean lowerCase : new boolean[] {false, true}) {
      Path out = tmp.resolve("lower-" + lowerCase);
      run("--input=" + corpus, "--output=" + out, "--vocab_size=300", "--min_frequency=1",
          "--do_lower_case=" + lowerCase, "--runner=DirectRunner");
      Vocabulary vocab = Vocabulary.load(out.resolve(BuildVocab.VOCAB_FILE));
      BertTokenizer tokenizer = new BertTokenizer(vocab, lowerCase, 100);
      List<String> tokens = tokenizer.tokenize(GERMAN_AND_RUSSIAN);
      assertFalse(tokens.contains("[UNK]"), "every character is covered: " + tokens);
      assertEquals(lowerCase, info(out).get("do_lower_case").asBoolean());
      List<String> pieces = Files.readAllLines(out.resolve(BuildVocab.VOCAB_FILE), StandardCharsets.UTF_8);
      if (lowerCase) {
        assertTrue(pieces.stream().skip(5).noneMatch(p -> !p.equals(p.toLowerCase(Locale.ROOT))), pieces.toString());
        assertTrue(pieces.containsAll(List.of("u", "##a", "е", "##и")), "accents stripped: Ü -> u, ä -> a, ё -> е, "
            + "й -> и");
        assertFalse(pieces.contains("##ß") && pieces.contains("##ä"), "ä is stripped to a");
      } else {
        assertTrue(pieces.containsAll(List.of("Ü", "##ä", "##ß", "Ё", "М", "##й")), pieces.toString());
        assertTrue(tokens.contains("Über") || tokens.contains("Ü"), tokens.toString());
      }
    }
  }

  @Test
  void ingestWithTheBuiltVocabularyRecordsItsFingerprintAndCase(@TempDir Path tmp) throws Exception {
    Path corpus = Files.writeString(Files.createDirectories(tmp.resolve("corpus")).resolve("de-ru.txt"),
        GERMAN_AND_RUSSIAN);
    Path vocabDir = tmp.resolve("vocab");
    run("--input=" + corpus, "--output=" + vocabDir, "--vocab_size=300", "--min_frequency=1", "--do_lower_case=false",
        "--runner=DirectRunner");
    Path vocabFile = vocabDir.resolve(BuildVocab.VOCAB_FILE);
    Vocabulary vocab = Vocabulary.load(vocabFile);
    Path shards = tmp.resolve("shards");
    UsageException lowerCased = assertThrows(UsageException.class, () -> new IngestJobs.IngestText().run(new String[] {
        "--input=" + corpus, "--output=" + shards, "--vocab_file=" + vocabFile, "--runner=DirectRunner"}));
    assertEquals("the vocabulary " + vocabFile + " was built with --do_lower_case=false (" + vocabDir.toAbsolutePath()
        .resolve(BuildVocab.INFO_FILE) + "): tokenize with --do_lower_case=false", lowerCased.getMessage());
    assertTrue(Files.notExists(shards), "refused before the output folder is claimed");
    new IngestJobs.IngestText().run(new String[] {"--input=" + corpus, "--output=" + shards,
        "--vocab_file=" + vocabFile, "--do_lower_case=false", "--runner=DirectRunner", "--max_seq_length_p1=32",
        "--max_seq_length_p2=0", "--num_train_shards=1", "--num_test_shards=1", "--test_fraction=0"});
    Path train = shards.resolve("phase1/train");
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(train.resolve(ShardManifest.FILE_NAME)));
    assertEquals(info(vocabDir).get("vocab_fingerprint").asText(), manifest.vocabFingerprint());
    assertEquals("false", manifest.parameters().get("do_lower_case"));
    List<String> tokens = new ArrayList<>();
    try (TfRecordReader reader = TfRecordReader.open(train.resolve(manifest.shards().get(0).file()))) {
      for (byte[] record : reader) {
        PretrainingExample example = PretrainingExample.fromBytes(record);
        assertEquals(vocab.clsId(), example.inputIds()[0], "[CLS] looked up by name: id 2 here, not 101");
        tokens.addAll(vocab.tokens(example.inputIds()));
      }
    }
    assertTrue(tokens.containsAll(List.of("[CLS]", "[SEP]", "Ü")) || tokens.contains("Über"), tokens.toString());
    assertFalse(tokens.contains("[UNK]"), tokens.toString());
  }

  @Test
  void wrongFlagsAreRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
    Path corpus = Files.writeString(tmp.resolve("a.txt"), "some words\n");
    Path out = tmp.resolve("out");
    assertEquals("--input_format must be text, books or wikipedia, got 'pdf'", assertThrows(UsageException.class,
        () -> run("--input=" + corpus, "--output=" + out, "--input_format=pdf", "--runner=DirectRunner"))
        .getMessage());
    assertEquals("--vocab_size must exceed the 5 special tokens, got 5", assertThrows(UsageException.class,
        () -> run("--input=" + corpus, "--output=" + out, "--vocab_size=5", "--runner=DirectRunner")).getMessage());
    assertTrue(Files.notExists(out));
  }
}
