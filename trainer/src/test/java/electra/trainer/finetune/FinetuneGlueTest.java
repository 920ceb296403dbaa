package electra.trainer.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.glue.EvalGlue;
import electra.glue.GlueSubmission;
import electra.glue.GlueTask;
import electra.model.ElectraConfig;
import electra.trainer.model.ClassificationHead;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Safetensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GLUE fine-tuning end to end on a tiny random model and synthetic tasks written as the GLUE distribution's TSV
 * files: a single-sentence task (SST-2's layout), a pair task (MRPC's) and a regression (STS-B's) are learned to
 * near-perfect dev scores; checkpoints evaluate and predict in fresh graphs and resume; the golden model's weights
 * load into the classifier's encoder.
 */
class FinetuneGlueTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<String> FILLER = List.of("the", "a", "cat", "dog", "sat", "ran", "on", "mat", "park",
      "today", "house", "tree", "big", "small", "slowly", "we", "they", "saw", "it", "again");
  private static final List<String> POSITIVE = List.of("good", "great", "nice");
  private static final List<String> NEGATIVE = List.of("bad", "awful", "poor");
  private static final String STAR = "star";

  /** A vocabulary of the synthetic tasks' words, after the special tokens. */
  private static Path vocab(Path dir) throws Exception {
    List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    tokens.addAll(FILLER);
    tokens.addAll(POSITIVE);
    tokens.addAll(NEGATIVE);
    tokens.add(STAR);
    Files.createDirectories(dir);
    return Files.writeString(dir.resolve("vocab.txt"), String.join("\n", tokens) + "\n");
  }

  /**
   * A fresh random tiny discriminator (H=64, 2 layers, 2 heads, no dropout) as a Hugging Face folder with its
   * vocabulary; it holds a classifier of 2 labels, which a task of other labels (STS-B) replaces by a fresh one.
   */
  static Path tinyModel(Path dir) throws Exception {
    ElectraConfig c = new ElectraConfig(64, 32, 64, 2, 2, 128, "gelu", 0, 0, 64, 2, 0.02, 1e-12);
    try (ClassifierGraph g = new ClassifierGraph(c, 2, false, null, null)) {
      g.initialize();
      g.saveHuggingFace(dir);
    }
    vocab(dir);
    return dir;
  }

  private static String words(Random r, int n, String... inserted) {
    List<String> w = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      w.add(FILLER.get(r.nextInt(FILLER.size())));
    }
    for (String s : inserted) {
      w.add(r.nextInt(w.size() + 1), s);
    }
    return String.join(" ", w);
  }

  private static <T> T any(Random r, List<T> from) {
    return from.get(r.nextInt(from.size()));
  }

  /** SST-2's layout: label 1 when the sentence holds a positive word, 0 for a negative one. */
  private static void sentiment(Path dir, String split, int n, long seed) throws Exception {
    Random r = new Random(seed);
    List<String> lines = new ArrayList<>(List.of(split.equals("test") ? "index\tsentence" : "sentence\tlabel"));
    for (int i = 0; i < n; i++) {
      boolean positive = r.nextBoolean();
      String sentence = words(r, 3 + r.nextInt(5), any(r, positive ? POSITIVE : NEGATIVE));
      lines.add(split.equals("test") ? i + "\t" + sentence : sentence + "\t" + (positive ? 1 : 0));
    }
    Files.createDirectories(dir);
    Files.write(dir.resolve(split + ".tsv"), lines);
  }

  /**
   * MRPC's layout: label 1 when the second sentence holds more "star"s than the first (0 to 2 each), which only a
   * model telling the two segments apart can see.
   */
  private static void moreStars(Path dir, String split, int n, long seed) throws Exception {
    Random r = new Random(seed);
    List<String> lines = new ArrayList<>(List.of("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"));
    for (int i = 0; i < n; i++) {
      int ka = r.nextInt(3);
      int kb = r.nextInt(3);
      lines.add((kb > ka ? 1 : 0) + "\t" + (2 * i) + "\t" + (2 * i + 1) + "\t" + words(r, 2 + r.nextInt(4),
          stars(ka)) + "\t" + words(r, 2 + r.nextInt(4), stars(kb)));
    }
    Files.createDirectories(dir);
    Files.write(dir.resolve(split + ".tsv"), lines);
  }

  private static String[] stars(int k) {
    return Collections.nCopies(k, STAR).toArray(String[]::new);
  }

  /** STS-B's layout: the score is 5/4 times the number of "star"s in both sentences together (0 to 2 each). */
  private static void stars(Path dir, String split, int n, long seed) throws Exception {
    Random r = new Random(seed);
    List<String> lines = new ArrayList<>(List.of(
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore"));
    for (int i = 0; i < n; i++) {
      int ka = r.nextInt(3);
      int kb = r.nextInt(3);
      String a = words(r, 2 + r.nextInt(3), stars(ka));
      String b = words(r, 2 + r.nextInt(3), stars(kb));
      lines.add(i + "\tmain-captions\tMSRvid\t2012test\t" + i + "\tnone\tnone\t" + a + "\t" + b + "\t"
          + String.format(Locale.ROOT, "%.3f", (ka + kb) * 1.25));
    }
    Files.createDirectories(dir);
    Files.write(dir.resolve(split + ".tsv"), lines);
  }

  private static List<String> args(GlueTask task, Path model, Path data, Path out, String... extra) {
    List<String> a = new ArrayList<>(List.of("--task_name=" + task.id(), "--electra_model=" + model,
        "--data_dir=" + data, "--output_dir=" + out, "--max_seq_length=24", "--train_batch_size=16",
        "--learning_rate=1e-3", "--layerwise_lr_decay=0.8", "--log_freq=10", "--seed=7"));
    a.addAll(List.of(extra));
    return a;
  }

  private static FinetuneGlue.Summary run(List<String> args, ByteArrayOutputStream console) throws Exception {
    return new FinetuneGlue(new PrintStream(console, true, StandardCharsets.UTF_8))
        .run(GlueConfig.parse(args.toArray(String[]::new)));
  }

  @Test
  void learnsASingleSentenceTaskThenEvaluatesAndPredictsFromItsCheckpoint(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    Path glue = tmp.resolve("glue");
    sentiment(glue.resolve("SST-2"), "train", 192, 1);
    sentiment(glue.resolve("SST-2"), "dev", 64, 2);
    sentiment(glue.resolve("SST-2"), "test", 10, 3);
    Path out = tmp.resolve("sst");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    FinetuneGlue.Summary s = run(args(GlueTask.SST2, model, glue, out, "--num_train_epochs=6"), console);
    System.out.printf("SST-2-like: %d steps in %.1f s, %s%n", s.lastStep(), (System.nanoTime() - t0) / 1e9,
        s.results());
    double accuracy = s.results().get("dev").get("accuracy");
    assertTrue(accuracy >= 0.95, "dev accuracy " + accuracy + "\n" + console);
    assertEquals(72, s.lastStep(), "6 epochs of 12 batches");
    assertTrue(s.losses().get(s.losses().size() - 1) < s.losses().get(0) / 5, "loss fell: " + s.losses());
    assertEquals(accuracy, JSON.readTree(out.resolve("eval_results.json").toFile()).get("dev").get("accuracy")
        .asDouble(), 1e-12);
    assertEquals(Map.of("accuracy", accuracy), EvalGlue.evaluate(GlueTask.SST2, glue.resolve("SST-2/dev.tsv"),
        out.resolve("dev_predictions.tsv")), "EvalGlue scores the written predictions alike");
    assertTrue(Files.isRegularFile(out.resolve("loss_curves.png")));
    assertTrue(Files.isRegularFile(out.resolve("log.jsonl")));

    // the last checkpoint records its task; it scores the same in a fresh inference graph and predicts the test set
    Path ckpt = out.resolve("checkpoints/ckpt-000072");
    assertEquals("{\"head\":\"classifier\",\"task\":\"sst-2\"}", Files.readString(ckpt.resolve("finetune.json"))
        .strip());
    FinetuneGlue.Summary eval = run(List.of("--task_name=sst-2", "--mode=eval", "--init_checkpoint=" + ckpt,
        "--vocab_file=" + model.resolve("vocab.txt"), "--data_dir=" + glue, "--max_seq_length=24",
        "--output_dir=" + tmp.resolve("eval")), new ByteArrayOutputStream());
    assertEquals(s.results(), eval.results());
    run(List.of("--task_name=sst-2", "--mode=prediction", "--init_checkpoint=" + ckpt, "--data_dir=" + glue,
        "--vocab_file=" + model.resolve("vocab.txt"), "--max_seq_length=24", "--output_dir=" + tmp.resolve("test")),
        new ByteArrayOutputStream());
    Map<Integer, String> submitted = GlueSubmission.read(tmp.resolve("test/SST-2.tsv"));
    List<String> test = Files.readAllLines(glue.resolve("SST-2/test.tsv"));
    assertEquals(10, submitted.size());
    for (int i = 0; i < 10; i++) {
      String sentence = test.get(i + 1).split("\t")[1];
      boolean positive = POSITIVE.stream().anyMatch(w -> List.of(sentence.split(" ")).contains(w));
      assertEquals(positive ? "1" : "0", submitted.get(i), sentence);
    }
    // a checkpoint of one task is refused as another's
    moreStars(glue.resolve("MRPC"), "dev", 4, 9);
    UsageException other = assertThrows(UsageException.class, () -> run(List.of("--task_name=mrpc", "--mode=eval",
        "--init_checkpoint=" + ckpt, "--data_dir=" + glue, "--output_dir=" + tmp.resolve("other")),
        new ByteArrayOutputStream()));
    assertTrue(other.getMessage().contains("holds the classifier of task sst-2"), other.getMessage());
  }

  @Test
  void learnsAPairTaskScoredWithF1AndAccuracy(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    Path mrpc = tmp.resolve("MRPC");
    moreStars(mrpc, "train", 512, 4);
    moreStars(mrpc, "dev", 64, 5);
    long t0 = System.nanoTime();
    List<String> args = args(GlueTask.MRPC, model, mrpc, tmp.resolve("out"), "--num_train_epochs=10");
    args.add("--learning_rate=5e-4"); // the last flag wins: 1e-3 overshoots this task now and then
    args.add("--double_unordered=false"); // this synthetic label depends on the order of the pair
    FinetuneGlue.Summary s = run(args, new ByteArrayOutputStream());
    System.out.printf("MRPC-like: %d steps in %.1f s, %s%n", s.lastStep(), (System.nanoTime() - t0) / 1e9,
        s.results());
    Map<String, Double> dev = s.results().get("dev");
    assertEquals(List.of("accuracy", "f1"), List.copyOf(dev.keySet()));
    assertTrue(dev.get("accuracy") >= 0.95 && dev.get("f1") >= 0.95, dev.toString());
  }

  @Test
  void learnsARegressionScoredWithPearsonAndSpearman(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    Path sts = tmp.resolve("STS-B");
    stars(sts, "train", 256, 6);
    stars(sts, "dev", 64, 7);
    long t0 = System.nanoTime();
    FinetuneGlue.Summary s = run(args(GlueTask.STSB, model, sts, tmp.resolve("out"), "--num_train_epochs=6"),
        new ByteArrayOutputStream());
    System.out.printf("STS-B-like: %d steps in %.1f s, %s%n", s.lastStep(), (System.nanoTime() - t0) / 1e9,
        s.results());
    assertEquals(6 * 512 / 16, s.lastStep(), "every pair in both orders (Google's double_unordered)");
    Map<String, Double> dev = s.results().get("dev");
    assertTrue(dev.get("pearson") >= 0.95 && dev.get("spearman") >= 0.9, dev.toString());
    // predictions are on STS-B's 0-5 scale
    List<Double> predicted = GlueSubmission.read(tmp.resolve("out/dev_predictions.tsv")).values().stream()
        .map(Double::parseDouble).collect(Collectors.toList());
    assertTrue(predicted.stream().anyMatch(p -> p > 3.5) && predicted.stream().anyMatch(p -> p < 1.5),
        predicted.toString());
  }

  @Test
  void aStoppedRunResumesWhereItsCheckpointLeftOff(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    Path sst = tmp.resolve("SST-2");
    sentiment(sst, "train", 40, 1);
    List<String> a = args(GlueTask.SST2, model, sst, tmp.resolve("out"), "--mode=train", "--num_train_epochs=2",
        "--train_batch_size=8", "--save_checkpoints_steps=3");
    GlueConfig c = GlueConfig.parse(a.toArray(String[]::new));
    FinetuneGlue.Summary full = new FinetuneGlue(new PrintStream(new ByteArrayOutputStream())).run(
        GlueConfig.parse(args(GlueTask.SST2, model, sst, tmp.resolve("full"), "--mode=train",
            "--num_train_epochs=2", "--train_batch_size=8", "--save_checkpoints_steps=3").toArray(String[]::new)));
    assertEquals(10, full.lastStep());
    new FinetuneGlue(new PrintStream(new ByteArrayOutputStream())).run(c, 7); // the latest checkpoint: step 6
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    FinetuneGlue.Summary resumed = new FinetuneGlue(new PrintStream(console, true, StandardCharsets.UTF_8)).run(c);
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("resumed from "
        + c.checkpointDir().resolve("ckpt-000006") + " at step 6 (epoch 2, example 8 of 40)"), console.toString());
    assertEquals(List.of(6L, 10L), List.of(resumed.firstStep(), resumed.lastStep()));
    assertEquals(full.losses().subList(6, 10), resumed.losses(), "steps 7 to 10 as in the uninterrupted run");
  }

  @Test
  void flagsAreCheckedAndDefaultToGooglesRecipe(@TempDir Path tmp) throws Exception {
    GlueConfig rte = GlueConfig.parse("--task_name=RTE", "--electra_model=m", "--data_dir=d", "--output_dir=o");
    assertEquals(List.of(10, 32, 128), List.of(rte.numTrainEpochs(), rte.trainBatchSize(), rte.maxSeqLength()));
    assertEquals(List.of(3e-4, 0.8, 0.1, 0.01), List.of(rte.learningRate(), rte.training().layerwiseLrDecay(),
        rte.training().warmupProportion(), rte.training().weightDecay()));
    assertEquals(3, GlueConfig.parse("--task_name=cola", "--electra_model=m", "--data_dir=d", "--output_dir=o")
        .numTrainEpochs());
    UsageException noModel = assertThrows(UsageException.class, () -> GlueConfig.parse("--task_name=cola",
        "--data_dir=d", "--output_dir=o"));
    assertTrue(noModel.getMessage().contains("--electra_model"), noModel.getMessage());
    UsageException noTask = assertThrows(UsageException.class, () -> GlueConfig.parse("--task_name=squad",
        "--electra_model=m", "--data_dir=d", "--output_dir=o"));
    assertTrue(noTask.getMessage().contains("unknown GLUE task"), noTask.getMessage());
    // a missing split is named with the folder it was looked for in, before anything is written
    Path model = tinyModel(tmp.resolve("model"));
    UsageException noData = assertThrows(UsageException.class, () -> run(List.of("--task_name=mnli",
        "--mode=eval", "--electra_model=" + model, "--data_dir=" + tmp.resolve("glue"),
        "--output_dir=" + tmp.resolve("out")), new ByteArrayOutputStream()));
    assertTrue(noData.getMessage().contains(tmp.resolve("glue/dev_matched.tsv").toString()), noData.getMessage());
    assertTrue(!Files.exists(tmp.resolve("out")), "nothing written");
  }

  @Test
  void mnliPredictsBothTestSetsAndTheDiagnosticSetAsSubmissionFiles(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    Path mnli = Files.createDirectories(tmp.resolve("glue/MNLI"));
    String header = "index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2";
    Files.write(mnli.resolve("test_matched.tsv"), List.of(header, "0\t1\t1n\tslate\t.\t.\t.\t.\tthe cat sat\ta dog ran",
        "1\t2\t2n\tslate\t.\t.\t.\t.\tgood\tbad"));
    Files.write(mnli.resolve("test_mismatched.tsv"), List.of(header, "0\t3\t3n\tnine\t.\t.\t.\t.\tit ran\twe ran"));
    List<String> args = List.of("--task_name=mnli", "--mode=prediction", "--electra_model=" + model,
        "--data_dir=" + tmp.resolve("glue"), "--max_seq_length=24");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    run(plus(args, "--output_dir=" + tmp.resolve("without-ax")), console);
    assertEquals(List.of("MNLI-m.tsv", "MNLI-mm.tsv"), submissions(tmp.resolve("without-ax")));
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("AX.tsv, the diagnostic set's predictions, is not "
        + "written"), console.toString(StandardCharsets.UTF_8));

    Files.write(mnli.resolve("diagnostic.tsv"), List.of("index\tsentence1\tsentence2", "0\tthe cat sat\tit sat",
        "1\tthe dog ran\tthe cat ran", "2\twe saw it\tthey saw it"));
    run(plus(args, "--output_dir=" + tmp.resolve("with-ax")), new ByteArrayOutputStream());
    assertEquals(List.of("AX.tsv", "MNLI-m.tsv", "MNLI-mm.tsv"), submissions(tmp.resolve("with-ax")));
    Map<Integer, String> ax = GlueSubmission.read(tmp.resolve("with-ax/AX.tsv"));
    assertEquals(List.of(0, 1, 2), List.copyOf(ax.keySet()));
    assertTrue(GlueTask.MNLI.labels().containsAll(ax.values()), ax.toString());
    assertEquals(2, GlueSubmission.read(tmp.resolve("with-ax/MNLI-m.tsv")).size());
  }

  private static List<String> plus(List<String> args, String more) {
    List<String> all = new ArrayList<>(args);
    all.add(more);
    return all;
  }

  private static List<String> submissions(Path dir) throws Exception {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.matches("[A-Z].*\\.tsv")).sorted().toList();
    }
  }

  @Test
  void aClassifierOfOtherLabelsGetsAFreshProjectionAndKeepsItsDenseLayer(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model")); // its classifier has 2 labels
    assertEquals("ElectraForSequenceClassification", JSON.readTree(model.resolve("config.json").toFile())
        .get("architectures").get(0).asText());
    try (ClassifierGraph g = new ClassifierGraph(HuggingFaceWeights.readConfig(model), 3, false, null, null)) {
      HuggingFaceWeights.Report r = g.loadHuggingFace(model);
      assertEquals(List.of("classifier/out_proj/kernel", "classifier/out_proj/bias"), r.leftAsInitialised());
      assertTrue(r.loaded().containsAll(List.of("classifier/dense/kernel", "classifier/dense/bias")), r.toString());
      assertEquals(List.of("classifier.out_proj.bias", "classifier.out_proj.weight"),
          r.ignored().stream().sorted().toList());
    }
  }

  @Test
  void goldenWeightsLoadIntoTheClassifiersEncoder() throws Exception {
    Path golden = SquadFiles.goldenQa();
    ElectraConfig config = HuggingFaceWeights.readConfig(golden);
    try (ClassifierGraph g = new ClassifierGraph(config, 3, false, null, null);
        Safetensors file = Safetensors.open(golden.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      HuggingFaceWeights.Report report = g.loadHuggingFace(golden);
      List<String> encoder = g.model().parameters().stream().map(ModelGraph.Parameter::name)
          .filter(n -> n.startsWith("electra/")).toList();
      assertEquals(encoder, report.loaded(), "every embedding and encoder variable, nothing else");
      assertTrue(report.leftAsInitialised().stream().allMatch(n -> n.startsWith(ClassificationHead.SCOPE + "/")),
          report.leftAsInitialised().toString());
      assertEquals(4, report.leftAsInitialised().size());
      assertTrue(report.ignored().containsAll(List.of("qa_outputs.weight", "qa_outputs.bias")), report.toString());
      HostTensor query = file.read("electra.encoder.layer.1.attention.self.query.weight").transposed();
      assertArrayEquals(query.values(), g.value("electra/encoder/layer_1/attention/self/query/kernel"));
      HostTensor words = file.read("electra.embeddings.word_embeddings.weight");
      assertArrayEquals(words.values(), g.value("electra/embeddings/word_embeddings"));
      // the loaded encoder feeds the head: a forward pass gives finite logits of the head's width
      JsonNode first = JSON.readTree(golden.resolve("expected.json").toFile()).get("cases").get(0);
      int[] ids = ints(first.get("input_ids"));
      float[] logits = g.logits(new FinetuneGraph.Tokens(1, ids.length, ids, ints(first.get("attention_mask")),
          ints(first.get("token_type_ids"))));
      assertEquals(3, logits.length);
      for (float v : logits) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
