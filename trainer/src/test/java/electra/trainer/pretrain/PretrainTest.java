package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.HelpRequested;
import electra.cli.UsageException;
import electra.trainer.runtime.DataPosition;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Pretrain job end to end on a tiny model and shards made from real book text. */
class PretrainTest {

  @TempDir
  static Path tmp;
  static Path shards;
  static Path config;
  static Path vocab;

  @BeforeAll
  static void shards() throws Exception {
    shards = BookShards.write(tmp.resolve("phase1"), 64, 2, 48, null);
    config = BookShards.tinyConfig(tmp);
    vocab = BookShards.vocabFile(BookShards.shared());
  }

  private static String[] args(Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("--model_name=tiny", "--model_config=" + config,
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + shards, "--output_dir=" + out,
        "--vocab_file=" + vocab, "--train_batch_size=8", "--log_freq=1", "--seed=11"));
    a.addAll(Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  private static Trainer trainer(String... args) throws Exception {
    return new Trainer(PretrainConfig.parse(args), new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8));
  }

  private static double mean(List<Double> x, int from, int to) {
    return x.subList(from, to).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
  }

  @Test
  void tinyModelLearnsFromBookText() throws Exception {
    Path out = tmp.resolve("learn");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Trainer.Summary s = new Trainer(PretrainConfig.parse(args(out, "--num_train_steps=40", "--num_warmup_steps=4",
        "--learning_rate=1e-2", "--save_checkpoints_steps=100", "--log_freq=10")),
        new PrintStream(console, true, StandardCharsets.UTF_8)).run();
    List<Double> losses = s.losses();
    assertEquals(40, losses.size());
    double first = mean(losses, 0, 5);
    double last = mean(losses, 35, 40);
    System.out.printf("tiny model: loss %.3f -> %.3f, %.3f s/step%n", first, last, s.secondsPerStep());
    assertTrue(last < 0.88 * first, "loss must fall clearly: first five " + first + ", last five " + last);

    List<String> lines = Files.readAllLines(out.resolve("tiny/log.jsonl"));
    assertEquals(4, lines.size(), "one JSON line every 10 steps");
    JsonNode line = new ObjectMapper().readTree(lines.get(3));
    assertEquals(40, line.get("step").asLong());
    for (String key : List.of("total_loss", "masked_lm_loss", "disc_loss", "masked_lm_accuracy",
        "sampled_masked_lm_accuracy", "disc_accuracy", "disc_precision", "disc_recall", "disc_auc",
        "learning_rate", "sequences_per_second", "eta_seconds")) {
      assertTrue(line.hasNonNull(key), "log.jsonl has " + key);
    }
    double total = line.get("total_loss").asDouble();
    assertEquals(total, line.get("masked_lm_loss").asDouble() + 50 * line.get("disc_loss").asDouble(), 1e-3 * total);
    assertTrue(line.get("disc_accuracy").asDouble() > 0.8, "most tokens are real: " + line);
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("step 40/40  loss "), text);
    assertTrue(text.contains("seq/s  ETA "), text);
    assertTrue(Files.isDirectory(out.resolve("tiny/ckpt-000040")), "final checkpoint");
  }

  @Test
  void killedRunResumesWithTheSameLosses() throws Exception {
    String[] common = {"--num_train_steps=9", "--num_warmup_steps=2", "--learning_rate=1e-3",
        "--save_checkpoints_steps=3", "--keep_checkpoint_max=2", "--gradient_accumulation_steps=2"};
    Trainer.Summary whole = trainer(args(tmp.resolve("whole"), common)).run();
    Path out = tmp.resolve("killed");
    Trainer.Summary killed = trainer(args(out, common)).run(5); // dies after step 5; last checkpoint is step 3
    assertEquals(whole.losses().subList(0, 5), killed.losses(), "same seed, same losses");
    String[] resume = Arrays.copyOf(common, common.length + 1);
    resume[common.length] = "--restore_checkpoint=latest";
    Trainer.Summary resumed = trainer(args(out, resume)).run();
    assertEquals(3, resumed.firstStep());
    assertEquals(whole.losses().subList(3, 9), resumed.losses(), "steps 4..9 after resuming from step 3");
    try (var files = Files.list(out.resolve("tiny"))) {
      assertEquals(List.of("ckpt-000006", "ckpt-000009"), files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("ckpt-")).sorted().toList(), "keep_checkpoint_max=2");
    }
  }

  @Test
  void checkpointRoundTripIsBitExact() throws Exception {
    PretrainConfig c = PretrainConfig.parse(args(tmp.resolve("roundtrip"), "--num_train_steps=5", "--num_warmup_steps=0"));
    int[][] in = new int[3][8 * 64];
    try (ShardStream stream = new ShardStream(shards.toString(), ShardStream.readManifest(shards.toString()), 1,
        DataPosition.START)) {
      for (int b = 0; b < 8; b++) {
        var e = stream.next();
        System.arraycopy(e.inputIds(), 0, in[0], b * 64, 64);
        System.arraycopy(e.inputMask(), 0, in[1], b * 64, 64);
        System.arraycopy(e.segmentIds(), 0, in[2], b * 64, 64);
      }
    }
    MaskedBatch batch = Masking.mask(in[0], in[1], in[2], 8, 64, c.maxPredictionsPerSeq(64), 0.15,
        new Masking.SpecialIds(101, 102, 103, 0), Masking.randomFor(1, 0));
    Path prefix = tmp.resolve("roundtrip/ckpt/model");
    Map<String, float[]> saved;
    float nextLoss;
    try (PretrainingGraph g = new PretrainingGraph(c, false, null)) {
      g.initialize();
      g.step(batch, 1e-3, true, 0);
      g.step(batch, 1e-3, true, 1);
      Files.createDirectories(prefix.getParent());
      g.save(prefix);
      saved = g.variableValues();
      nextLoss = g.step(batch, 1e-3, true, 2).total();
    }
    try (PretrainingGraph g = new PretrainingGraph(c, false, null)) {
      g.restore(prefix);
      Map<String, float[]> restored = g.variableValues();
      assertEquals(saved.keySet(), restored.keySet());
      assertTrue(saved.containsKey("global_step") && saved.containsKey("electra/embeddings/word_embeddings/adam_m"));
      saved.forEach((name, value) -> assertArrayEquals(value, restored.get(name), name));
      assertEquals(2, g.globalStep());
      assertEquals(nextLoss, g.step(batch, 1e-3, true, 2).total(), "the next step after restoring");
    }
  }

  @Test
  void phase2StartsFromPhase1WithItsOwnStepCounter() throws Exception {
    Path out = tmp.resolve("phases");
    trainer(args(out, "--num_train_steps=2", "--num_warmup_steps=0")).run();
    Path long2 = BookShards.write(tmp.resolve("phase2"), 128, 1, 16, null);
    String[] a = args(out, "--num_train_steps=2", "--num_warmup_steps=0", "--phase2");
    a = Arrays.stream(a).map(s -> s.startsWith("--pretrain_tfrecords=") ? "--pretrain_tfrecords=" + long2 : s)
        .toArray(String[]::new);
    Trainer.Summary s = trainer(a).run();
    assertEquals(0, s.firstStep());
    assertEquals(2, s.losses().size());
    assertTrue(Files.isDirectory(out.resolve("tiny/ckpt-p2-000002")));
    assertTrue(Files.isDirectory(out.resolve("tiny/ckpt-000002")), "phase 1 checkpoint kept");
  }

  @Test
  void cpuBfloat16MixedPrecisionKeepsTheLossFinite() throws Exception {
    Trainer.Summary s = trainer(args(tmp.resolve("amp"), "--num_train_steps=3", "--num_warmup_steps=0", "--amp",
        "--optimizer=adam")).run();
    assertEquals(3, s.losses().size());
    s.losses().forEach(l -> assertTrue(Double.isFinite(l) && l > 0, "loss " + l));
  }

  @Test
  void refusesShardsOfAnotherVocabularyNamingBoth() throws Exception {
    Path other = BookShards.write(tmp.resolve("othervocab"), 64, 1, 8, "ab".repeat(32));
    String[] a = Arrays.stream(args(tmp.resolve("vocab"), "--num_train_steps=1", "--num_warmup_steps=0"))
        .map(s -> s.startsWith("--pretrain_tfrecords=") ? "--pretrain_tfrecords=" + other : s).toArray(String[]::new);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer(a).run());
    assertTrue(e.getMessage().contains("abababababab") && e.getMessage().contains("this run uses vocab"),
        e.getMessage());
  }

  @Test
  void helpAndBadFlags() {
    HelpRequested help = assertThrows(HelpRequested.class, () -> new Pretrain().run(new String[] {"--help"}));
    for (String flag : List.of("--model_size", "--pretrain_tfrecords", "--optimizer", "--gradient_accumulation_steps",
        "--restore_checkpoint", "--phase2", "--amp", "--xla", "--generator_hidden_size", "--keep_checkpoint_max",
        "--endpoint", "--aws_region", "--s3_client_factory_class")) {
      assertTrue(help.getMessage().contains(flag), "help lists " + flag);
    }
    assertOneLine(assertThrows(UsageException.class, () -> new Pretrain().run(new String[] {"--bogus=1"})),
        "unknown flag --bogus");
    assertOneLine(assertThrows(UsageException.class, () -> PretrainConfig.parse(args(tmp, "--optimizer=sgd"))),
        "--optimizer: unknown optimizer 'sgd': choose lamb or adam");
    assertOneLine(assertThrows(UsageException.class, () -> PretrainConfig.parse(args(tmp, "--train_batch_size=0"))),
        "--train_batch_size must be positive");
    assertOneLine(assertThrows(UsageException.class, () -> PretrainConfig.parse(args(tmp, "--num_train_steps=x"))),
        "--num_train_steps must be an integer");
    assertOneLine(assertThrows(UsageException.class, () -> new Pretrain().run(new String[] {})),
        "needs --pretrain_tfrecords");
    assertOneLine(assertThrows(UsageException.class,
        () -> PretrainConfig.parse("--pretrain_tfrecords=hdfs://cluster/phase1")),
        "hdfs:// is not supported; give a local folder, gs:// or s3://");
    assertOneLine(assertThrows(UsageException.class,
        () -> PretrainConfig.parse("--pretrain_tfrecords=x", "--model_size=huge")), "unknown model size 'huge'");
  }

  private static void assertOneLine(Exception e, String expected) {
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
  }
}
