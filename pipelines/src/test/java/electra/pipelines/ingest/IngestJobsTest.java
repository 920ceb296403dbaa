package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.UsageException;
import electra.data.DownloadSettings;
import electra.data.Downloader;
import electra.data.Mirror;
import electra.data.SampleData;
import electra.data.SampleFile;
import electra.pipelines.download.DownloadWiki;
import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import electra.tokenization.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.regions.Region;

class IngestJobsTest {

  private static Path shared;
  private static Path vocabFile;

  @BeforeAll
  static void sharedData() {
    shared = Path.of(System.getProperty("electra.shared.dir", "../shared"));
    vocabFile = shared.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(vocabFile),
        "reference data not found at " + shared.toAbsolutePath() + " (set -Delectra.shared.dir): skipping");
  }

  private static List<PretrainingExample> examples(Path dir) throws IOException {
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)));
    List<PretrainingExample> out = new ArrayList<>();
    for (ShardManifest.Shard shard : manifest.shards()) {
      try (TfRecordReader reader = TfRecordReader.open(dir.resolve(shard.file()))) {
        int before = out.size();
        for (byte[] record : reader) {
          out.add(PretrainingExample.fromBytes(record));
        }
        assertEquals(shard.records(), out.size() - before, shard.file());
      }
    }
    return out;
  }

  @Test
  void wikipediaDumpBecomesWellFormedShardsForBothPhases(@TempDir Path out) throws Exception {
    Path dump = shared.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2");
    new IngestJobs.IngestWiki().run(new String[] {"--input=" + dump, "--output=" + out, "--vocab_file=" + vocabFile,
        "--num_train_shards=3", "--num_test_shards=1", "--parallelism=2"});

    Vocabulary vocab = Vocabulary.load(vocabFile);
    long trainTokens = 0;
    for (String phase : List.of("phase1", "phase2")) {
      int length = phase.equals("phase1") ? 128 : 512;
      for (String split : List.of("train", "test")) {
        Path dir = out.resolve(phase).resolve(split);
        ShardManifest manifest = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)));
        assertEquals(length, manifest.maxSeqLength());
        assertEquals(vocab.fingerprint(), manifest.vocabFingerprint());
        assertEquals(split.equals("train") ? 3 : 1, manifest.shards().size());
        assertEquals("IngestWiki", manifest.parameters().get("job"));
        List<PretrainingExample> examples = examples(dir);
        assertTrue(examples.size() > (split.equals("train") ? 500 : 50), dir + ": " + examples.size());
        for (PretrainingExample e : examples) {
          int[] ids = e.inputIds();
          int real = IntStream.of(e.inputMask()).sum();
          assertEquals(length, ids.length);
          assertEquals(vocab.clsId(), ids[0]);
          assertEquals(vocab.sepId(), ids[real - 1]);
          assertTrue(IntStream.range(real, length).allMatch(i -> ids[i] == 0 && e.segmentIds()[i] == 0));
          if (phase.equals("phase1") && split.equals("train")) {
            trainTokens += real;
          }
        }
      }
    }
    // The sample holds ~5.7 MB of wikitext; cleaned, about a million WordPiece tokens reach phase-1 training.
    assertTrue(trainTokens > 300_000, "phase-1 training tokens: " + trainTokens);
    List<String> text = new ArrayList<>();
    for (PretrainingExample e : examples(out.resolve("phase1/train"))) {
      text.addAll(vocab.tokens(e.inputIds()));
    }
    for (String word : List.of("anarchist", "autism", "algorithm", "philosophy")) {
      assertTrue(text.contains(word), "the article words reach the shards: " + word);
    }
    assertTrue(text.stream().noneMatch(t -> t.equals("{") || t.equals("}")) || text.stream().filter("{"::equals)
        .count() < text.size() / 10_000, "template braces are cleaned away");
  }

  @Test
  void sameInputAndSeedGiveIdenticalBytesOnDirectAndFlinkRunners(@TempDir Path out) throws Exception {
    Path books = shared.resolve("data/books");
    String input = books + "/{blake-poems,shakespeare-hamlet}.txt";
    List<List<String>> counters = new ArrayList<>();
    for (String runner : List.of("DirectRunner", "FlinkRunner")) {
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      new IngestJobs.IngestBooks(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {
          "--input=" + input, "--output=" + out.resolve(runner), "--vocab_file=" + vocabFile, "--runner=" + runner,
          "--num_train_shards=2", "--num_test_shards=1", "--max_seq_length_p2=0", "--test_fraction=0.5",
          "--seed=7"});
      counters.add(counterLines(printed));
    }
    assertEquals(counters.get(0), counters.get(1), "both runners report the same counters");
    assertEquals("  input      files 2, damaged files 0", counters.get(0).get(0));
    assertTrue(counters.get(0).get(1).startsWith("  text       documents 2, "), counters.get(0).toString());
    for (String split : List.of("train", "test")) {
      Path direct = out.resolve("DirectRunner/phase1").resolve(split);
      Path flink = out.resolve("FlinkRunner/phase1").resolve(split);
      assertEquals(Files.readString(direct.resolve("manifest.json")), Files.readString(flink.resolve("manifest.json")));
      for (ShardManifest.Shard shard : ShardManifest.fromJson(Files.readString(direct.resolve("manifest.json"))).shards()) {
        assertArrayEquals(Files.readAllBytes(direct.resolve(shard.file())), Files.readAllBytes(flink.resolve(shard.file())),
            split + "/" + shard.file());
      }
    }
    assertTrue(Files.notExists(out.resolve("DirectRunner/phase2")), "--max_seq_length_p2=0 writes no phase 2");
    long train = examples(out.resolve("DirectRunner/phase1/train")).size();
    long test = examples(out.resolve("DirectRunner/phase1/test")).size();
    assertTrue(train + test > 300, "two books give hundreds of 128-token examples: " + (train + test));
  }

  @Test
  void testSplitHoldsOutTheAskedFractionOfDocumentsStably() {
    long held = IntStream.range(0, 20_000).filter(i -> SplitTrainTest.isTest("doc-" + i, 0.1)).count();
    assertTrue(Math.abs(held - 2_000) < 150, "held out " + held + " of 20000");
    assertEquals(SplitTrainTest.isTest("wiki:12", 0.1), SplitTrainTest.isTest("wiki:12", 0.1));
    assertTrue(IntStream.range(0, 1000).noneMatch(i -> SplitTrainTest.isTest("d" + i, 0.0)));
  }

  @Test
  void jsonLinesAndBlankLineTextAreBothRead(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(corpus.resolve("a.jsonl"),
        "{\"id\": \"j1\", \"text\": \"The cat sat on the mat. It was happy.\"}\n"
            + "{\"id\": \"j2\", \"text\": \"Dogs bark loudly at night.\"}\n");
    Files.writeString(corpus.resolve("b.txt"), "Paris is the capital of France.\nIt is large.\n\nRome is old.\n");
    Path out = dir.resolve("out");
    new IngestJobs.IngestText().run(new String[] {"--input=" + corpus, "--output=" + out, "--vocab_file=" + vocabFile,
        "--runner=DirectRunner", "--num_train_shards=1", "--num_test_shards=1", "--max_seq_length_p2=0",
        "--test_fraction=0"});
    Vocabulary vocab = Vocabulary.load(vocabFile);
    List<String> words = new ArrayList<>();
    List<PretrainingExample> examples = examples(out.resolve("phase1/train"));
    examples.forEach(e -> words.addAll(vocab.tokens(e.inputIds())));
    assertEquals(4, examples.size(), "four documents, each shorter than one example");
    for (String w : List.of("cat", "happy", "dogs", "paris", "france", "rome")) {
      assertTrue(words.contains(w), w);
    }
    assertEquals(0, examples(out.resolve("phase1/test")).size());
  }

  @Test
  void wikipediaAndBooksInOneRunGiveTheExamplesOfBothSplitOverTheirUnion(@TempDir Path dir) throws Exception {
    Path dump = shared.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2");
    Path books = Files.createDirectories(dir.resolve("books"));
    for (int b = 0; b < 12; b++) {
      StringBuilder book = new StringBuilder("Book " + b + ".\n\n");
      for (int p = 0; p < 20; p++) {
        book.append("Chapter ").append(p).append(" of book ").append(b).append(" begins here. The river ran past the ")
            .append("mill and the miller counted ").append(p * b).append(" sacks of grain.\n\n");
      }
      Files.writeString(books.resolve("book" + b + ".txt"), book);
    }
    String[] common = {"--vocab_file=" + vocabFile, "--runner=DirectRunner", "--max_seq_length_p2=0",
        "--num_train_shards=2", "--num_test_shards=1", "--test_fraction=0.2"};
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new IngestJobs.IngestCorpora(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(
        concat(common, "--input=wikipedia=" + dump + ",books=" + books, "--output=" + dir.resolve("both")));
    new IngestJobs.IngestWiki(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(
        concat(common, "--input=" + dump, "--output=" + dir.resolve("wiki")));
    new IngestJobs.IngestBooks(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(
        concat(common, "--input=" + books, "--output=" + dir.resolve("books-only")));

    for (String split : List.of("phase1/train", "phase1/test")) {
      List<String> both = exampleTexts(dir.resolve("both").resolve(split));
      List<String> apart = new ArrayList<>(exampleTexts(dir.resolve("wiki").resolve(split)));
      apart.addAll(exampleTexts(dir.resolve("books-only").resolve(split)));
      Collections.sort(apart);
      assertEquals(apart, both, split + ": each document packed and split as it is alone");
      assertTrue(both.stream().anyMatch(e -> e.contains("miller")), split + " holds books");
      assertTrue(both.size() > 30, split + ": " + both.size());
    }
    List<String> lines = counterLines(printed);
    assertTrue(lines.get(0).startsWith("  input      files 13, ranges 1, damaged files 0, damaged XML ranges 0"),
        lines.toString());

    UsageException kind = assertThrows(UsageException.class, () -> new IngestJobs.IngestCorpora().run(
        concat(common, "--input=novels=" + books, "--output=" + dir.resolve("k"))));
    assertTrue(kind.getMessage().contains("'novels=" + books + "' is not KIND=FILES with KIND wikipedia, books or "
        + "text"), kind.getMessage());
  }

  @Test
  void ingestCorporaNeitherOffersNorTakesTheWatchFlags() {
    String corpora = assertThrows(HelpRequested.class,
        () -> new IngestJobs.IngestCorpora().run(new String[] {"--help"})).getMessage();
    String books = assertThrows(HelpRequested.class,
        () -> new IngestJobs.IngestBooks().run(new String[] {"--help"})).getMessage();
    for (String flag : List.of("--watch ", "--poll_interval ", "--max_idle ")) {
      assertTrue(books.contains(flag), books);
      assertFalse(corpora.contains(flag), corpora);
    }
    UsageException watch = assertThrows(UsageException.class, () -> new IngestJobs.IngestCorpora().run(
        new String[] {"--input=books=b/,text=t/", "--output=o", "--watch"}));
    assertTrue(watch.getMessage().startsWith("--watch follows one corpus: IngestCorpora takes no --watch"),
        watch.getMessage());
  }

  private static String[] concat(String[] common, String... more) {
    List<String> all = new ArrayList<>(List.of(common));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }

  /** Each example of a shard set as the text of its ids, sorted: a multiset to compare runs by. */
  private static List<String> exampleTexts(Path dir) throws IOException {
    Vocabulary vocab = Vocabulary.load(vocabFile);
    return examples(dir).stream().map(e -> String.join(" ", vocab.tokens(e.inputIds())) + " | "
        + Arrays.toString(e.segmentIds())).sorted().toList();
  }

  @Test
  void damagedInputIsSkippedWithoutLosingTheGoodDocumentsAroundIt(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    byte[] dump = Files.readAllBytes(
        shared.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"));
    for (int i = dump.length / 2; i < dump.length / 2 + 64; i++) {
      dump[i] ^= 0x5a; // a corrupt bz2 block in the middle of the dump
    }
    Files.write(corpus.resolve("damaged.xml.bz2"), dump);
    Path out = dir.resolve("wiki");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new IngestJobs.IngestWiki(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {
        "--input=" + corpus, "--output=" + out, "--vocab_file=" + vocabFile, "--runner=DirectRunner",
        "--max_seq_length_p2=0", "--test_fraction=0", "--num_train_shards=1"});
    long kept = examples(out.resolve("phase1/train")).size();
    assertTrue(kept > 100 && kept < 3000, "the articles before the damage are kept: " + kept);
    assertEquals("  input      files 1, ranges 1, damaged files 1, damaged XML ranges 0, damaged bz2 streams 0",
        counterLines(printed).get(0));
    assertEquals("  examples   phase1 " + String.format(Locale.ROOT, "%,d", kept), counterLines(printed).get(3));

    Files.writeString(corpus.resolve("docs.jsonl"), "{\"text\": \"Good one.\"}\n{\"text\": 5}\nnot json\n"
        + "{\"text\": \"Good two.\"}\n");
    Path text = dir.resolve("text");
    printed.reset();
    new IngestJobs.IngestText(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {
        "--input=" + corpus.resolve("docs.jsonl"), "--output=" + text, "--vocab_file=" + vocabFile,
        "--runner=DirectRunner", "--max_seq_length_p2=0", "--test_fraction=0", "--num_train_shards=1"});
    assertEquals(2, examples(text.resolve("phase1/train")).size(), "both good lines around the two bad ones");
    assertEquals("  input      files 1, damaged files 0, malformed lines 2", counterLines(printed).get(0));
  }

  @Test
  void countersArePrintedWhenTheJobEnds(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    // U+2603 SNOWMAN and U+265E BLACK CHESS KNIGHT are symbols that are not in the vocabulary: one [UNK] each
    Files.writeString(corpus.resolve("a.txt"), "A \u2603 stood in the snow.\n\nThe cat sat on the mat. It was happy.\n");
    Files.writeString(corpus.resolve("b.jsonl"), "{\"text\": \"Dogs bark at the \u265e.\"}\nnot json\n");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new IngestJobs.IngestText(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {
        "--input=" + corpus, "--output=" + dir.resolve("out"), "--vocab_file=" + vocabFile, "--runner=DirectRunner",
        "--num_train_shards=1", "--num_test_shards=1", "--test_fraction=0"});
    // a [UNK] stood in the snow . | the cat sat on the mat . | it was happy . | dogs bark at the [UNK] .
    assertEquals(List.of(
        "  input      files 2, damaged files 0, malformed lines 1",
        "  text       documents 3, sentences 4, tokens 24, unknown tokens 2 (8.33% of tokens)",
        "  examples   phase1 3, phase2 3"), counterLines(printed));
  }

  /** The counter lines of a job's output, found by their stage names. */
  private static List<String> counterLines(ByteArrayOutputStream printed) {
    return printed.toString(StandardCharsets.UTF_8).lines()
        .filter(line -> line.matches("  (input|pages|text|examples) .*"))
        .toList();
  }

  @Test
  void withoutInputIngestWikiReadsTheDumpDownloadWikiFetchedElseTheSample(@TempDir Path dir) throws IOException {
    SampleData samples = new SampleData(dir.resolve("cache"), Optional.of(shared.resolve("data")),
        new Downloader(System.err, DownloadSettings.DEFAULT, Mirror.NONE));
    DefaultWikiInput sample = DefaultWikiInput.choose(dir, samples);
    assertEquals(shared.resolve("data").resolve(SampleFile.WIKIPEDIA_SAMPLE.sharedPath()), sample.input());
    assertEquals("no --input and no dump from DownloadWiki under data/download/: reading the Wikipedia sample "
        + sample.input() + " (the checkout's reference data, ../shared/data); ./electra DownloadWiki"
        + " fetches all of Wikipedia", sample.reason());

    Path dump = Files.createDirectories(dir.resolve("data/download/wikicorpus_en"))
        .resolve("enwiki-latest-pages-articles-multistream.xml.bz2");
    Files.write(Downloader.partFile(dump), new byte[] {1});
    assertEquals(sample, DefaultWikiInput.choose(dir, samples), "an unfinished download is no dump");
    Files.copy(sample.input(), dump);
    assertEquals(new DefaultWikiInput(dump, "no --input: reading the dump DownloadWiki fetched, " + dump),
        DefaultWikiInput.choose(dir, samples));
  }

  @Test
  void ingestWikiNeedsNoFlagsButTheOtherIngestJobsNeedInputAndOutput() throws IOException {
    Path here = Path.of("").toAbsolutePath();
    Assumptions.assumeTrue(SampleData.sharedDataBeside(here).isPresent()
        && DownloadWiki.fetchedDumps(here).isEmpty(), "needs ../shared beside the checkout and no dump fetched here");
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    IngestJobs.IngestWiki job = new IngestJobs.IngestWiki(new PrintStream(printed, true, StandardCharsets.UTF_8));
    IngestWikiOptions options = job.parse();
    job.completeOptions(options);
    assertEquals(SampleData.sharedDataBeside(here).get().resolve(SampleFile.WIKIPEDIA_SAMPLE.sharedPath())
        .toString(), options.getInput());
    assertEquals("runs/wiki", options.getOutput());
    assertTrue(printed.toString(StandardCharsets.UTF_8).startsWith("IngestWiki: no --input and no dump from "
        + "DownloadWiki under data/download/: reading the Wikipedia sample "), printed.toString());

    IngestWikiOptions given = job.parse("--input=a.xml", "--output=b");
    job.completeOptions(given);
    assertEquals(List.of("a.xml", "b"), List.of(given.getInput(), given.getOutput()));
    for (IngestJobs.IngestJob<?> corpus : List.of(new IngestJobs.IngestBooks(), new IngestJobs.IngestText())) {
      UsageException e = assertThrows(UsageException.class, () -> corpus.parse("--output=b"));
      assertTrue(e.getMessage().startsWith("Missing required value for [--input"), e.getMessage());
    }
  }

  @Test
  void missingInputIsAOneLineUsageError(@TempDir Path dir) {
    UsageException e = assertThrows(UsageException.class, () -> new IngestJobs.IngestText().run(new String[] {
        "--input=" + dir.resolve("nothing-here") + "/*.txt", "--output=" + dir, "--vocab_file=" + vocabFile}));
    assertTrue(e.getMessage().startsWith("no corpus files match --input"), e.getMessage());
    UsageException missing = assertThrows(UsageException.class, () -> new IngestJobs.IngestText().run(new String[] {}));
    assertTrue(missing.getMessage().startsWith("Missing required value for [--"), missing.getMessage());
    UsageException unknown = assertThrows(UsageException.class,
        () -> new IngestJobs.IngestText().run(new String[] {"--inptu=x"}));
    assertTrue(unknown.getMessage().toLowerCase().contains("inptu"), unknown.getMessage());
  }

  @Test
  void theS3RegionIsLookedUpOnlyWhenAnS3PathIsUsed() {
    // no s3:// path: a fixed region, so FileSystems does not probe EC2 instance metadata on every run
    S3Options local = new IngestJobs.IngestText().parse("--input=/data/*.txt", "--output=/out").as(S3Options.class);
    assertEquals(Region.US_EAST_1, local.getAwsRegion());
    S3Options given = new IngestJobs.IngestText()
        .parse("--input=s3://corpus/*.txt", "--output=/out", "--aws_region=eu-west-3").as(S3Options.class);
    assertEquals(Region.EU_WEST_3, given.getAwsRegion());
  }
}
