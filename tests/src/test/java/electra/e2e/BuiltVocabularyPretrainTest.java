package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.UsageException;
import electra.export.ExportMetadata;
import electra.pipelines.ingest.IngestJobs;
import electra.pipelines.vocab.BuildVocab;
import electra.records.ShardManifest;
import electra.serving.QaClient;
import electra.serving.ServeQA;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.trainer.export.ExportModel;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.pretrain.Pretrain;
import electra.trainer.runtime.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cased vocabulary built from the sample books goes through ingest, pre-training, fine-tuning, export and serving as
 * the English one does: the shards record its fingerprint, a model config without vocab_size gets one embedding per
 * token, the checkpoint records the fingerprint, the fine-tuned Hugging Face folder says it is cased, the export
 * names the vocabulary by fingerprint and answers a question through ServeQA, and fine-tuning the checkpoint with the
 * English vocabulary is refused.
 */
class BuiltVocabularyPretrainTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));

  @Test
  void casedBooksVocabularyFromShardsToAServedAnswer(@TempDir Path dir) throws Exception {
    Path books = SHARED.resolve("data/books");
    Assumptions.assumeTrue(Files.isRegularFile(books.resolve("blake-poems.txt")),
        "sample books not found in " + books.toAbsolutePath() + ": skipping");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    String input = books + "/{blake-poems,shakespeare-hamlet}.txt";
    Path vocabDir = dir.resolve("vocab");
    new BuildVocab().run(new String[] {"--input=" + input, "--input_format=books", "--output=" + vocabDir,
        "--vocab_size=1500", "--do_lower_case=false"});
    Path vocabFile = vocabDir.resolve(BuildVocab.VOCAB_FILE);
    Vocabulary vocab = Vocabulary.load(vocabFile);
    assertEquals(1500, vocab.size());

    Path shards = dir.resolve("shards");
    new IngestJobs.IngestBooks().run(new String[] {"--input=" + input, "--output=" + shards,
        "--vocab_file=" + vocabFile, "--do_lower_case=false", "--max_seq_length_p1=64", "--max_seq_length_p2=0",
        "--num_train_shards=1", "--num_test_shards=1"});
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

    Path export = fineTuneAndExport(dir, checkpoint, vocabFile, quiet);
    JsonNode info = new ObjectMapper().readTree(vocabDir.resolve(BuildVocab.INFO_FILE).toFile());
    ExportMetadata metadata = ExportMetadata.read(export);
    assertEquals(info.get("vocab_fingerprint").asText(), metadata.vocabFingerprint());
    assertEquals(vocab.fingerprint(), metadata.vocabFingerprint());
    assertFalse(metadata.doLowerCase(), "the export keeps the vocabulary's case");
    answerThroughServeQa(export, quiet);

    Path english = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(english), "the English vocabulary is not in " + SHARED);
    UsageException refused = assertThrows(UsageException.class, () -> new FinetuneSquad(quiet).run(new String[] {
        "--mode=eval", "--electra_model=" + checkpoint, "--vocab_file=" + english, "--predict_file=" + english,
        "--output_dir=" + dir.resolve("squad")}));
    assertTrue(refused.getMessage().contains("was pre-trained with the vocabulary sha256 " + vocab.fingerprint()),
        refused.getMessage());
  }

  static final String CONTEXT = "Hamlet is the Prince of Denmark. Horatio is his friend, and Ophelia is the daughter"
      + " of Polonius.";
  static final String[][] QUESTIONS = {{"Who is the Prince of Denmark?", "Hamlet"},
      {"Who is the friend of Hamlet?", "Horatio"}, {"Whose daughter is Ophelia?", "Polonius"},
      {"Who is the daughter of Polonius?", "Ophelia"}};

  /**
   * Fine-tunes a simple QA head on the pre-trained checkpoint for a few steps over {@link #QUESTIONS}, writes it as a
   * Hugging Face folder (cased, as its tokenizer_config.json must say) and exports that; returns the export folder.
   */
  private static Path fineTuneAndExport(Path dir, Path checkpoint, Path vocabFile, PrintStream quiet)
      throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode squad = json.createObjectNode().put("version", "1.1");
    ArrayNode qas = squad.putArray("data").addObject().put("title", "Hamlet").putArray("paragraphs").addObject()
        .put("context", CONTEXT).putArray("qas");
    for (int i = 0; i < QUESTIONS.length; i++) {
      qas.addObject().put("id", "q" + i).put("question", QUESTIONS[i][0]).putArray("answers").addObject()
          .put("text", QUESTIONS[i][1]).put("answer_start", CONTEXT.indexOf(QUESTIONS[i][1]));
    }
    Path train = Files.writeString(dir.resolve("hamlet-squad.json"), squad.toString());
    Path hf = dir.resolve("squad-hf");
    String[] windows = {"--max_seq_length=96", "--doc_stride=48", "--max_query_length=32", "--do_lower_case=false"};
    new FinetuneSquad(quiet).run(concat(windows, "--mode=train", "--electra_model=" + checkpoint,
        "--vocab_file=" + vocabFile, "--train_file=" + train, "--head=simple", "--train_batch_size=4",
        "--num_train_epochs=2", "--learning_rate=1e-3", "--keep_checkpoint_max=1",
        "--output_dir=" + dir.resolve("squad-tuned"), "--export_hf_dir=" + hf));
    assertFalse(json.readTree(hf.resolve("tokenizer_config.json").toFile()).get("do_lower_case").asBoolean(),
        "the Hugging Face folder says the tokenizer keeps case");
    Path export = dir.resolve("export");
    new ExportModel(quiet).run(concat(windows, "--electra_model=" + hf, "--output_dir=" + export));
    return export;
  }

  /**
   * One question through ServeQA (in-process Kafka broker, embedded Flink): it is answered with a span of the context,
   * and the served vocabulary covers the question and context in their case, without [UNK].
   */
  private static void answerThroughServeQa(Path export, PrintStream quiet) throws Exception {
    QaClient.Request request = new QaClient.Request("hamlet", QUESTIONS[0][0], CONTEXT);
    Map<String, QaClient.Reply> replies;
    try (ServeQA.Running job = ServeQA.start(new ServeQA(quiet).parse("--model=" + export,
        "--model_name=built-vocab", "--max_batch_wait_ms=20"), quiet);
        QaClient client = QaClient.connect(job.bootstrapServers(), QaClient.Topics.DEFAULTS, Map.of())) {
      replies = client.ask(List.of(request), Duration.ofSeconds(120), reply -> {});
    }
    QaClient.Reply reply = replies.get("hamlet");
    assertNotNull(reply, "no answer within 120 s");
    assertNull(reply.error(), reply.describe());
    JsonNode answer = reply.answer();
    String text = answer.get("answer").asText();
    assertFalse(text.isEmpty(), reply.describe());
    assertEquals(CONTEXT.substring(answer.get("start_char").asInt(), answer.get("end_char").asInt()), text);
    List<String> tokens = new BertTokenizer(Vocabulary.load(export.resolve(ExportMetadata.VOCAB_FILE)), false, 100)
        .tokenize(request.question() + " " + request.context());
    assertFalse(tokens.contains("[UNK]"), tokens.toString());
    assertTrue(tokens.stream().anyMatch(t -> !t.equals(t.toLowerCase(Locale.ROOT))), "capitals kept: " + tokens);
  }

  private static String[] concat(String[] first, String... more) {
    List<String> all = new ArrayList<>(List.of(first));
    all.addAll(List.of(more));
    return all.toArray(String[]::new);
  }
}
