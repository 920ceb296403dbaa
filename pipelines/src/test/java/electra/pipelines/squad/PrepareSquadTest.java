package electra.pipelines.squad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.HelpRequested;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import electra.squad.QaFeature;
import electra.squad.QaFeaturizer;
import electra.squad.QaRecord;
import electra.squad.SquadDataset;
import electra.squad.SquadExample;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job end to end on the first two articles of SQuAD v1.1 dev (1057 questions), on the direct runner. */
class PrepareSquadTest {

  private static Path vocabFile;
  private static Path dev;

  @TempDir
  static Path temp;
  private static Path slice;

  @BeforeAll
  static void sharedData() throws IOException {
    Path shared = Path.of(System.getProperty("electra.shared.dir", "../shared"));
    vocabFile = shared.resolve("data/vocab/bert-base-uncased-vocab.txt");
    dev = shared.resolve("data/squad/dev-v1.1.json.gz");
    Assumptions.assumeTrue(Files.isRegularFile(vocabFile) && Files.isRegularFile(dev),
        "reference data not found at " + shared.toAbsolutePath() + " (set -Delectra.shared.dir): skipping");
    slice = firstArticles(dev, 2, temp.resolve("dev-first2.json.gz"));
  }

  /** The first {@code n} articles of a gzipped SQuAD file, gzipped again. */
  private static Path firstArticles(Path file, int n, Path out) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
      root = (ObjectNode) json.readTree(in);
    }
    ArrayNode data = (ArrayNode) root.get("data");
    while (data.size() > n) {
      data.remove(data.size() - 1);
    }
    try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(out))) {
      json.writeValue(o, root);
    }
    return out;
  }

  private static void prepare(Path output, String... flags) throws Exception {
    String[] args = Stream.concat(Stream.of("--input=" + slice, "--output=" + output, "--vocab_file=" + vocabFile,
        "--runner=DirectRunner"), Stream.of(flags)).toArray(String[]::new);
    new PrepareSquad(new PrintStream(new ByteArrayOutputStream())).run(args);
  }

  /** Every record of a shard folder by unique id, checking the manifest's counts on the way. */
  private static Map<Long, QaRecord> records(Path dir) throws IOException {
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)));
    Map<Long, QaRecord> byId = new TreeMap<>();
    for (ShardManifest.Shard shard : manifest.shards()) {
      int before = byId.size();
      try (TfRecordReader reader = TfRecordReader.open(dir.resolve(shard.file()))) {
        for (byte[] bytes : reader) {
          QaRecord record = QaRecord.fromBytes(bytes);
          byId.put(record.uniqueId(), record);
        }
      }
      assertEquals(shard.records(), byId.size() - before, shard.file());
    }
    return byId;
  }

  /** What the featurizer makes of the slice, as records by unique id. */
  private static Map<Long, QaRecord> expected(boolean training) throws IOException {
    QaFeaturizer featurizer = new QaFeaturizer(BertTokenizer.uncased(Vocabulary.load(vocabFile)),
        QaFeaturizer.Options.DEFAULTS);
    List<SquadExample> questions = SquadDataset.read(slice).examples();
    Map<Long, QaRecord> byId = new TreeMap<>();
    for (int i = 0; i < questions.size(); i++) {
      for (QaFeature feature : featurizer.features(questions.get(i), training)) {
        QaRecord record = QaRecord.of(feature, i);
        byId.put(record.uniqueId(), record);
      }
    }
    return byId;
  }

  @Test
  void trainingShardsHoldTheFeaturizersRecordsAndRepeatByteForByteWhateverTheParallelism() throws Exception {
    Path first = temp.resolve("train-a");
    Path second = temp.resolve("train-b");
    prepare(first, "--num_shards=3");
    prepare(second, "--num_shards=3", "--targetParallelism=1");

    List<String> files = List.of(OutputFolder.MARKER, "manifest.json", "squad_train.tfrecord-00000-of-00003",
        "squad_train.tfrecord-00001-of-00003", "squad_train.tfrecord-00002-of-00003");
    try (Stream<Path> listed = Files.list(first)) {
      assertEquals(files, listed.map(p -> p.getFileName().toString()).sorted().toList());
    }
    for (String file : files) {
      assertArrayEquals(Files.readAllBytes(first.resolve(file)), Files.readAllBytes(second.resolve(file)), file);
    }

    Map<Long, QaRecord> records = records(first);
    Map<Long, QaRecord> expected = expected(true);
    assertEquals(expected.size(), records.size());
    assertEquals(expected, records);
    // 1057 questions; a few long contexts need a second window at 384/128.
    assertEquals(1057, records.values().stream().filter(r -> r.windowIndex() == 0).count());
    assertTrue(records.size() > 1057, "features: " + records.size());
    assertTrue(records.values().stream().allMatch(r -> r.label().isPresent()));

    ShardManifest manifest = ShardManifest.fromJson(Files.readString(first.resolve(ShardManifest.FILE_NAME)));
    assertEquals(384, manifest.maxSeqLength());
    assertEquals(Vocabulary.load(vocabFile).fingerprint(), manifest.vocabFingerprint());
    assertEquals("true", manifest.parameters().get("training"));
    assertEquals("128", manifest.parameters().get("doc_stride"));
  }

  @Test
  void predictionShardsHoldUnlabelledRecordsOfEveryQuestion() throws Exception {
    Path out = temp.resolve("eval");
    prepare(out, "--training=false", "--num_shards=1", "--max_seq_length=256", "--doc_stride=64");
    Map<Long, QaRecord> records = records(out.resolve(""));
    assertTrue(Files.isRegularFile(out.resolve("squad_eval.tfrecord-00000-of-00001")));
    assertTrue(records.values().stream().allMatch(r -> r.label().isEmpty() && r.inputs().length() == 256));
    QaFeaturizer featurizer = new QaFeaturizer(BertTokenizer.uncased(Vocabulary.load(vocabFile)),
        new QaFeaturizer.Options(256, 64, 64));
    long features = SquadDataset.read(slice).examples().stream().mapToLong(q -> featurizer.features(q, false).size())
        .sum();
    assertEquals(features, records.size());
  }

  @Test
  void badFlagsAreOneLineUsageErrors() {
    UsageException tooShort = assertThrows(UsageException.class,
        () -> prepare(temp.resolve("x"), "--max_seq_length=60"));
    assertTrue(tooShort.getMessage().contains("max_query_length + 4 = 68"), tooShort.getMessage());
    UsageException missing = assertThrows(UsageException.class, () -> new PrepareSquad().run(new String[] {
        "--input=" + temp.resolve("nothing.json"), "--output=" + temp.resolve("y")}));
    assertTrue(missing.getMessage().contains("matches nothing"), missing.getMessage());
    assertThrows(UsageException.class, () -> prepare(temp.resolve("z"), "--num_shards=0"));
  }

  @Test
  void helpUsesTheReferenceFlagNames() {
    HelpRequested help = assertThrows(HelpRequested.class, () -> new PrepareSquad().run(new String[] {"--help"}));
    for (String flag : List.of("--version_2_with_negative", "--max_seq_length", "--doc_stride", "--max_query_length",
        "--num_shards", "--training", "--vocab_file")) {
      assertTrue(help.getMessage().contains(flag), flag + " in\n" + help.getMessage());
    }
  }
}
