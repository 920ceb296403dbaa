package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.pipelines.ingest.IngestJobs;
import electra.pipelines.vocab.BuildVocab;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.pretrain.Pretrain;
import electra.trainer.runtime.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vocabulary built from the sample books goes through ingest and pre-training as the English one does: the shards
 * record its fingerprint, a model config without vocab_size gets one embedding per token, the checkpoint records the
 * fingerprint, and fine-tuning that checkpoint with the English vocabulary is refused.
 */
class BuiltVocabularyPretrainTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));

  @Test
  void booksVocabularyToShardsToAPretrainedTinyModel(@TempDir Path dir) throws Exception {
    Path books = SHARED.resolve("data/books");
    Assumptions.assumeTrue(Files.isRegularFile(books.resolve("blake-poems.txt")),
        "sample books not found in " + books.toAbsolutePath() + ": skipping");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    String input = books + "/{blake-poems,shakespeare-hamlet}.txt";
    Path vocabDir = dir.resolve("vocab");
    new BuildVocab().run(new String[] {"--input=" + input, "--input_format=books", "--output=" + vocabDir,
        "--vocab_size=1500"});
    Path vocabFile = vocabDir.resolve(BuildVocab.VOCAB_FILE);
    Vocabulary vocab = Vocabulary.load(vocabFile);
    assertEquals(1500, vocab.size());

    Path shards = dir.resolve("shards");
    new IngestJobs.IngestBooks().run(new String[] {"--input=" + input, "--output=" + shards,
        "--vocab_file=" + vocabFile, "--max_seq_length_p1=64", "--max_seq_length_p2=0", "--num_train_shards=1",
        "--num_test_shards=1"});
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(shards.resolve("phase1/train/manifest.json")));
    assertEquals(vocab.fingerprint(), manifest.vocabFingerprint());

    Path config = Files.writeString(dir.resolve("tiny.json"), "{\"embedding_size\": 32, \"hidden_size\": 64,"
        + " \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 128}");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new Pretrain(new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
        "--pretrain_tfrecords=" + shards.resolve("phase1/train"), "--vocab_file=" + vocabFile,
        "--output_dir=" + dir, "--model_name=tiny", "--model_config=" + config, "--generator_hidden_size=0.5",
        "--train_batch_size=8", "--num_train_steps=4", "--num_warmup_steps=1", "--log_freq=2",
        "--save_checkpoints_steps=4"});
    String printed = log.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("vocab=1500"), printed);
    assertEquals(1500, new ObjectMapper().readTree(dir.resolve("tiny/discriminator_config.json").toFile())
        .get("vocab_size").asInt(), "the model has one embedding per token of the built vocabulary");
    Path checkpoint = dir.resolve("tiny/ckpt-000004");
    assertEquals(vocab.fingerprint(), Checkpoints.readState(checkpoint).vocabFingerprint());

    Path english = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(english), "the English vocabulary is not in " + SHARED);
    UsageException refused = assertThrows(UsageException.class, () -> new FinetuneSquad(quiet).run(new String[] {
        "--mode=eval", "--electra_model=" + checkpoint, "--vocab_file=" + english, "--predict_file=" + english,
        "--output_dir=" + dir.resolve("squad")}));
    assertTrue(refused.getMessage().contains("was pre-trained with the vocabulary sha256 " + vocab.fingerprint()),
        refused.getMessage());
  }
}
