package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.pipelines.ingest.IngestJobs;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.trainer.pretrain.Pretrain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract between the modules, end to end: the real Wikipedia sample becomes shards on embedded Flink, and the
 * trainer pre-trains a tiny ELECTRA on exactly those shards (manifest, vocab fingerprint, record layout).
 */
class IngestThenPretrainTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));

  @Test
  void wikipediaSampleToShardsToAFallingPretrainingLoss(@TempDir Path dir) throws Exception {
    Path dump = SHARED.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2");
    Path vocab = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(dump) && Files.isRegularFile(vocab),
        "reference data not found under " + SHARED.toAbsolutePath() + ": skipping");

    Path shards = dir.resolve("shards");
    new IngestJobs.IngestWiki().run(new String[] {"--input=" + dump, "--output=" + shards, "--vocab_file=" + vocab,
        "--max_seq_length_p1=64", "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1"});
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(shards.resolve("phase1/train/manifest.json")));
    assertEquals(Vocabulary.load(vocab).fingerprint(), manifest.vocabFingerprint());
    assertTrue(manifest.records() > 2000, "examples: " + manifest.records());

    Path config = Files.writeString(dir.resolve("tiny.json"), "{\"vocab_size\": 30522, \"embedding_size\": 32,"
        + " \"hidden_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 128}");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new Pretrain(new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
        "--pretrain_tfrecords=" + shards.resolve("phase1/train"), "--vocab_file=" + vocab, "--output_dir=" + dir,
        "--model_name=tiny", "--model_config=" + config, "--generator_hidden_size=0.5", "--train_batch_size=16",
        "--num_train_steps=60", "--num_warmup_steps=6", "--learning_rate=5e-3", "--log_freq=10",
        "--save_checkpoints_steps=60", "--seed=3"});

    List<JsonNode> lines = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(dir.resolve("tiny/log.jsonl"))) {
      lines.add(json.readTree(line));
    }
    assertEquals(6, lines.size(), log.toString(StandardCharsets.UTF_8));
    double first = lines.get(0).get("total_loss").asDouble();
    double last = lines.get(5).get("total_loss").asDouble();
    assertTrue(last < 0.92 * first, "loss " + first + " -> " + last);
    assertTrue(Files.isDirectory(dir.resolve("tiny/ckpt-000060")), "final checkpoint written");
  }
}
