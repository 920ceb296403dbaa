package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.pipelines.ingest.Documents.SentenceDocument;
import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.pack.ExamplePacker;
import electra.pipelines.text.TextDocument;
import electra.records.PretrainingExample;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each ingest step on its own, on the DirectRunner, checked with {@link PAssert}. */
class TransformsTest {

  private static Vocabulary vocab;

  @BeforeAll
  static void vocabulary() throws Exception {
    Path file = Path.of(System.getProperty("electra.shared.dir", "../shared"), "data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(file), "reference data not found (" + file + "): skipping");
    vocab = Vocabulary.load(file);
  }

  private static Pipeline pipeline() {
    return Pipeline.create(PipelineOptionsFactory.create());
  }

  @Test
  void extractDocumentsReadsBooksAndJsonLinesByName(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("book.txt"), "Call me Ishmael. Some years ago\nI went to sea.\n\nIt was cold.\n");
    Files.writeString(dir.resolve("docs.jsonl"), "{\"id\": \"x\", \"text\": \"One.\\nTwo.\"}\n");
    Pipeline p = pipeline();
    PCollection<TextDocument> books = p.apply("Books", MatchCorpusFiles.input(dir + "/*.txt", Compression.AUTO))
        .apply("ReadBooks", new ExtractDocuments(ExtractDocuments.Source.BOOKS));
    PCollection<TextDocument> text = p.apply("Text", MatchCorpusFiles.input(dir + "/*.jsonl", Compression.AUTO))
        .apply("ReadText", new ExtractDocuments(ExtractDocuments.Source.TEXT));
    PAssert.that(books).containsInAnyOrder(
        new TextDocument("book.txt", List.of("Call me Ishmael. Some years ago I went to sea.", "It was cold.")));
    PAssert.that(text).containsInAnyOrder(new TextDocument("x", List.of("One.", "Two.")));
    p.run().waitUntilFinish();
  }

  @Test
  void splitSentencesKeepsAbbreviationsTogether() {
    Pipeline p = pipeline();
    PCollection<SentenceDocument> out = p
        .apply(Create.of(new TextDocument("d", List.of("Dr. Smith went to Washington. He arrived at 3.30 p.m. on time.",
            "Short one!"))).withCoder(SerializableCoder.of(TextDocument.class)))
        .apply(new SplitSentences());
    PAssert.that(out).containsInAnyOrder(new SentenceDocument("d",
        List.of("Dr. Smith went to Washington.", "He arrived at 3.30 p.m. on time.", "Short one!")));
    p.run().waitUntilFinish();
  }

  @Test
  void tokenizeSentencesGivesTheTokenizersIdsAndDropsEmptySentences() {
    Pipeline p = pipeline();
    PCollection<TokenizedDocument> out = p
        .apply(Create.of(new SentenceDocument("d", List.of("Hello, world!", "\u0000\u200b", "Caf\u00e9 time.")))
            .withCoder(SerializableCoder.of(SentenceDocument.class)))
        .apply(new TokenizeSentences(vocab, true, 100));
    BertTokenizer tokenizer = BertTokenizer.uncased(vocab);
    int[] hello = tokenizer.ids("Hello, world!");
    int[] cafe = tokenizer.ids("cafe time.");
    PAssert.thatSingleton(out).satisfies(d -> {
      assertEquals("d", d.id());
      assertEquals(2, d.sentences().size(), "the control-only sentence is dropped");
      assertArrayEquals(hello, d.sentences().get(0));
      assertArrayEquals(cafe, d.sentences().get(1));
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void splitTrainTestSendsEachDocumentToTheShardSetItsHashNames() {
    List<KV<Integer, KV<String, byte[]>>> records = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      for (int phase = 0; phase < 2; phase++) {
        records.add(KV.of(phase, KV.of("doc#" + i + "#" + phase, new byte[] {(byte) i})));
      }
    }
    Pipeline p = pipeline();
    PCollection<KV<Integer, KV<String, byte[]>>> sets = p
        .apply(Create.of(records).withCoder(PackExamples.RECORD_CODER))
        .apply(new SplitTrainTest(0.25));
    PAssert.that(sets).satisfies(tagged -> {
      int[] perSet = new int[4];
      for (KV<Integer, KV<String, byte[]>> r : tagged) {
        String key = r.getValue().getKey();
        int phase = key.charAt(key.length() - 1) - '0';
        boolean test = SplitTrainTest.isTest(key.substring(0, key.lastIndexOf('#')), 0.25);
        assertEquals(phase * 2 + (test ? 1 : 0), r.getKey(), key);
        perSet[r.getKey()]++;
      }
      assertEquals(perSet[1], perSet[3], "a document is test in both phases or in neither");
      assertTrue(perSet[1] > 30 && perSet[1] < 70, "about a quarter: " + perSet[1]);
      assertEquals(200, perSet[0] + perSet[1]);
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void packExamplesPacksEveryPhaseAndKeysRecordsByDocumentAndIndex() {
    Pipeline p = pipeline();
    List<int[]> sentences = new ArrayList<>();
    for (int s = 0; s < 30; s++) {
      sentences.add(new int[] {2000 + s, 2100 + s, 2200 + s, 2300 + s, 2400 + s});
    }
    List<ExamplePacker> packers = List.of(new ExamplePacker(32, vocab.clsId(), vocab.sepId()),
        new ExamplePacker(64, vocab.clsId(), vocab.sepId()));
    PCollection<KV<Integer, KV<String, byte[]>>> out = p.apply(Create.of(new TokenizedDocument("doc", sentences)))
        .apply(new PackExamples(packers, 7));
    PAssert.that(out).satisfies(records -> {
      for (int phase = 0; phase < 2; phase++) {
        int length = packers.get(phase).maxSeqLength();
        List<String> keys = new ArrayList<>();
        int tokens = 0;
        for (KV<Integer, KV<String, byte[]>> r : records) {
          if (r.getKey() != phase) {
            continue;
          }
          keys.add(r.getValue().getKey());
          PretrainingExample e = PretrainingExample.fromBytes(PackExamples.TO_TF_EXAMPLE.record(r.getValue().getValue()));
          assertEquals(length, e.length());
          assertEquals(vocab.clsId(), e.inputIds()[0]);
          for (int id : e.inputIds()) {
            tokens += id >= 2000 ? 1 : 0;
          }
        }
        keys.sort(null);
        assertTrue(keys.size() >= 150 / length && keys.get(0).equals("doc#0"), keys.toString());
        assertTrue(tokens <= 150 && tokens > 100, "150 tokens in, most of them packed: " + tokens);
      }
      return null;
    });
    p.run().waitUntilFinish();
  }
}
