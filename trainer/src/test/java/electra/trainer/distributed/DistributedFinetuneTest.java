package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.trainer.finetune.ClassifierGraph;
import electra.trainer.finetune.FinetuneConfig;
import electra.trainer.finetune.FinetuneGlue;
import electra.trainer.finetune.FinetuneGraph;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.finetune.GlueConfig;
import electra.trainer.finetune.QaGraph;
import electra.trainer.model.ModelGraph;
import electra.trainer.runtime.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * FinetuneSquad and FinetuneGlue with two worker processes on loopback: 2 workers with batch 2 make the updates of
 * one process with batch 4 (9 examples, so each epoch ends with a global batch of one example, which worker 0 takes
 * alone), only the chief writes the output folder and evaluates, its checkpoint resumes in one process with the same
 * global batch, and a killed worker makes its peer fail within the step timeout. A tiny model without dropout, so
 * that the runs are comparable step by step.
 */
@Timeout(400)
class DistributedFinetuneTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> WORDS = List.of("the", "cat", "dog", "sat", "ran", "on", "in", "mat", "park",
      "big", "small", "red", "house", "tree", "bird", "saw", "today", "again", "slowly", "we", "what", "where");
  private static final int EXAMPLES = 9;

  @TempDir
  static Path tmp;

  /** A fresh random tiny discriminator (H=32, 2 layers, no dropout) as a Hugging Face folder with its vocabulary. */
  @BeforeAll
  static void model() throws Exception {
    ElectraConfig c = new ElectraConfig(64, 32, 32, 2, 2, 64, "gelu", 0, 0, 128, 2, 0.02, 1e-12);
    Path dir = tmp.resolve("model");
    try (QaGraph g = new QaGraph(c, QaHead.SIMPLE, 1, null, null)) {
      g.initialize();
      g.saveHuggingFace(dir);
    }
    List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    vocab.addAll(WORDS);
    Files.write(dir.resolve("vocab.txt"), vocab);
    squad(tmp.resolve("squad.json"));
    sentiment(tmp.resolve("glue/SST-2"));
  }

  /** SQuAD 1.1 questions, each on its own short context (one window each), answered by one or two of its words. */
  private static void squad(Path file) throws IOException {
    Random r = new Random(7);
    ObjectNode root = JSON.createObjectNode().put("version", "1.1");
    ArrayNode paragraphs = root.putArray("data").addObject().put("title", "tiny").putArray("paragraphs");
    for (int i = 0; i < EXAMPLES; i++) {
      List<String> words = words(r, 10 + r.nextInt(6));
      int first = r.nextInt(words.size() - 2);
      int last = first + r.nextInt(2);
      String context = String.join(" ", words);
      int start = String.join(" ", words.subList(0, first)).length() + (first > 0 ? 1 : 0);
      ObjectNode qa = paragraphs.addObject().put("context", context).putArray("qas").addObject()
          .put("id", "q" + i).put("question", "what " + String.join(" ", words(r, 3)));
      qa.putArray("answers").addObject().put("text", String.join(" ", words.subList(first, last + 1)))
          .put("answer_start", start);
    }
    JSON.writeValue(file.toFile(), root);
  }

  /** SST-2's layout: a sentence and a label, random. */
  private static void sentiment(Path dir) throws IOException {
    Random r = new Random(8);
    List<String> lines = new ArrayList<>(List.of("sentence\tlabel"));
    for (int i = 0; i < EXAMPLES; i++) {
      lines.add(String.join(" ", words(r, 4 + r.nextInt(4))) + "\t" + r.nextInt(2));
    }
    Files.createDirectories(dir);
    Files.write(dir.resolve("train.tsv"), lines);
  }

  private static List<String> words(Random r, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(WORDS.get(r.nextInt(WORDS.size() - 2)));
    }
    return out;
  }

  private static List<String> squadArgs(String mode, Path out, int batch, String... more) {
    List<String> a = new ArrayList<>(List.of("--mode=" + mode, "--head=simple",
        "--electra_model=" + tmp.resolve("model"), "--train_file=" + tmp.resolve("squad.json"),
        "--predict_file=" + tmp.resolve("squad.json"), "--output_dir=" + out, "--max_seq_length=48",
        "--doc_stride=32", "--max_query_length=16", "--train_batch_size=" + batch, "--learning_rate=1e-3",
        "--seed=5", "--log_freq=1"));
    if (Stream.of(more).noneMatch(m -> m.startsWith("--num_train_epochs="))) {
      a.add("--num_train_epochs=2");
    }
    a.addAll(List.of(more));
    return a;
  }

  private static List<String> glueArgs(Path out, int batch, String... more) {
    List<String> a = new ArrayList<>(List.of("--task_name=sst-2", "--mode=train",
        "--electra_model=" + tmp.resolve("model"), "--data_dir=" + tmp.resolve("glue/SST-2"), "--output_dir=" + out,
        "--max_seq_length=16", "--num_train_epochs=2", "--train_batch_size=" + batch, "--learning_rate=1e-3",
        "--seed=5", "--log_freq=1"));
    a.addAll(List.of(more));
    return a;
  }

  /** Worker {@code task} of the job {@code job} in a child JVM. */
  private static DataParallelTest.Child worker(Class<?> job, List<String> args, String workers, int task,
      String... more) throws IOException {
    List<String> a = new ArrayList<>(List.of(JobWorkerMain.class.getName(), job.getName()));
    a.addAll(args);
    a.addAll(List.of("--workers=" + workers, "--task_index=" + task, "--startup_timeout_s=120"));
    a.addAll(List.of(more));
    return new DataParallelTest.Child(true, a.toArray(String[]::new));
  }

  /** Two workers of {@code job} with {@code args}; both must succeed. */
  private static List<DataParallelTest.Child> twoWorkers(Class<?> job, List<String> args) throws Exception {
    String workers = DataParallelTest.freeWorkers(2);
    DataParallelTest.Child w0 = worker(job, args, workers, 0, "--step_timeout_s=60");
    DataParallelTest.Child w1 = worker(job, args, workers, 1, "--step_timeout_s=60");
    assertEquals(0, w0.await(240), w0.output());
    assertEquals(0, w1.await(30), w1.output());
    assertTrue(w0.output().contains("worker 0 of 2 (" + workers.split(",")[0] + "), global batch 4"),
        w0.output());
    assertTrue(w1.output().contains("worker 1 of 2") && w1.output().contains("the chief (worker 0) writes"),
        w1.output());
    assertTrue(w0.output().contains("epoch 2/2 done; saved "), w0.output());
    assertFalse(w1.output().contains("saved ") || w1.output().contains("TensorBoard:")
        || w1.output().contains("step 1/6"), "worker 1 neither logs nor saves: " + w1.output());
    return List.of(w0, w1);
  }

  /** The loss of every step in a run folder's log.jsonl (logged every step). */
  private static List<Double> loggedLosses(Path out) throws IOException {
    List<Double> losses = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("log.jsonl"))) {
      losses.add(JSON.readTree(line).get("loss").asDouble());
    }
    return losses;
  }

  /** Every model variable of a run's last checkpoint, by name, loaded into {@code graph}. */
  private static Map<String, float[]> lastWeights(Path out, FinetuneGraph graph) throws IOException {
    Path last = new Checkpoints(out.resolve("checkpoints"), "ckpt-", 2).latest().orElseThrow();
    graph.loadFinetuned(last.resolve(Checkpoints.MODEL));
    return values(graph);
  }

  /** The starting weights of both runs: the model folder's (the head it lacks as the graph initialises it). */
  private static Map<String, float[]> startingWeights(FinetuneGraph graph) throws IOException {
    graph.loadHuggingFace(tmp.resolve("model"));
    return values(graph);
  }

  private static Map<String, float[]> values(FinetuneGraph graph) {
    Map<String, float[]> values = new LinkedHashMap<>();
    for (ModelGraph.Parameter p : graph.model().parameters()) {
      values.put(p.name(), graph.value(p.name()));
    }
    return values;
  }

  /**
   * The losses and final weights of two workers against one process (losses to 1e-5 relative, weights to 1e-5),
   * in a {@code graph} of the runs' head.
   */
  private static void assertSameTraining(Path workers, Path single, FinetuneGraph graph) throws IOException {
    List<Double> got = loggedLosses(workers);
    List<Double> expected = loggedLosses(single);
    assertEquals(6, expected.size(), "2 epochs of 3 steps (4 + 4 + 1 examples)");
    assertEquals(expected.size(), got.size());
    double maxRel = 0;
    for (int s = 0; s < expected.size(); s++) {
      double rel = Math.abs(got.get(s) - expected.get(s)) / Math.abs(expected.get(s));
      maxRel = Math.max(maxRel, rel);
      assertTrue(rel < 1e-5, "step " + (s + 1) + ": 2 workers " + got.get(s) + ", one process " + expected.get(s));
    }
    Map<String, float[]> start = startingWeights(graph);
    Map<String, float[]> a = lastWeights(workers, graph);
    Map<String, float[]> b = lastWeights(single, graph);
    double maxDiff = 0;
    double moved = 0;
    for (String name : b.keySet()) {
      for (int i = 0; i < b.get(name).length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(a.get(name)[i] - b.get(name)[i]));
        if (name.startsWith("electra/")) { // the encoder, loaded from the model folder in both runs
          moved = Math.max(moved, Math.abs(b.get(name)[i] - start.get(name)[i]));
        }
      }
    }
    System.out.printf("2 workers x 2 vs one process x 4: losses max rel diff %.2e, weights max |diff| %.2e "
        + "(training moved the encoder's by up to %.2e)%n", maxRel, maxDiff, moved);
    assertTrue(moved > 1e-3, "training changed the encoder's weights: " + moved);
    assertTrue(maxDiff < 1e-5, "weights after 6 steps vs one process: max |diff| " + maxDiff);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void squadTwoWorkersMatchOneProcessWithTheGlobalBatchAndOnlyTheChiefWrites() throws Exception {
    Path out = tmp.resolve("squad-workers");
    Path single = tmp.resolve("squad-single");
    List<DataParallelTest.Child> w = twoWorkers(FinetuneSquad.class, squadArgs("train_eval", out, 2));
    new FinetuneSquad(quiet()).run(FinetuneConfig.parse(squadArgs("train_eval", single, 4).toArray(String[]::new)));
    assertTrue(w.get(0).output().contains("featurized " + EXAMPLES + " training questions into " + EXAMPLES
        + " windows"), w.get(0).output());
    ElectraConfig config = ElectraConfig.readJson(tmp.resolve("model/config.json"));
    try (QaGraph graph = new QaGraph(config, QaHead.SIMPLE, 1, null, null)) {
      assertSameTraining(out, single, graph);
    }
    // the chief alone evaluated and wrote the folder: one event file, the scores, the run's settings
    assertTrue(Files.isRegularFile(out.resolve("eval_results.json")));
    assertFalse(w.get(1).output().contains("predicted"), w.get(1).output());
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents")).count());
    }
    JsonNode settings = JSON.readTree(out.resolve("settings.json").toFile());
    assertEquals(4, settings.get("global_batch").get("size").asInt(), settings.toString());
    assertEquals(2, settings.get("global_batch").get("per_worker").asInt(), settings.toString());
    assertEquals(2, settings.get("data_parallel").get("cluster").get("workers").size(), settings.toString());

    // the workers' checkpoint continues in one process with the same global batch (here: nothing left to train)
    ByteArrayOutputStream resumed = new ByteArrayOutputStream();
    FinetuneSquad.Summary s = new FinetuneSquad(new PrintStream(resumed, true, StandardCharsets.UTF_8))
        .run(FinetuneConfig.parse(squadArgs("train", out, 4).toArray(String[]::new)));
    assertEquals(6, s.firstStep());
    assertTrue(resumed.toString(StandardCharsets.UTF_8).contains("resumed from " + out.resolve("checkpoints")
        .resolve("ckpt-000006") + " at step 6"), resumed.toString(StandardCharsets.UTF_8));
  }

  @Test
  void glueTwoWorkersMatchOneProcessWithTheGlobalBatch() throws Exception {
    Path out = tmp.resolve("glue-workers");
    Path single = tmp.resolve("glue-single");
    twoWorkers(FinetuneGlue.class, glueArgs(out, 2));
    new FinetuneGlue(quiet()).run(GlueConfig.parse(glueArgs(single, 4).toArray(String[]::new)));
    ElectraConfig config = ElectraConfig.readJson(tmp.resolve("model/config.json"));
    try (ClassifierGraph graph = new ClassifierGraph(config, 2, false, null, null)) {
      assertSameTraining(out, single, graph);
    }
  }

  @Test
  void aKilledWorkerMakesTheOtherFailWithinTheStepTimeout() throws Exception {
    Path out = tmp.resolve("squad-killed");
    String workers = DataParallelTest.freeWorkers(2);
    List<String> args = squadArgs("train", out, 2, "--num_train_epochs=100000");
    DataParallelTest.Child w0 = worker(FinetuneSquad.class, args, workers, 0, "--step_timeout_s=5");
    DataParallelTest.Child w1 = worker(FinetuneSquad.class, args, workers, 1, "--step_timeout_s=5");
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
      while (!w0.output().contains("step 4/") && System.nanoTime() < deadline && w0.process.isAlive()) {
        Thread.sleep(50);
      }
      assertTrue(w0.output().contains("step 4/"), w0.output());
      w1.process.destroyForcibly();
      long killed = System.nanoTime();
      int code = w0.await(60);
      double seconds = (System.nanoTime() - killed) / 1e9;
      String output = w0.output();
      assertEquals(1, code, output);
      assertTrue(output.contains("ERROR java.lang.IllegalStateException: worker 0 of 2: step ")
          && output.contains("A peer worker probably died"), output);
      assertTrue(seconds < 5 + 15, "failed " + seconds + " s after the kill: " + output);
      System.out.printf("dead peer: worker 0 of FinetuneSquad failed %.1f s after worker 1 was killed (step timeout "
          + "5 s)%n", seconds);
    } finally {
      w0.process.destroyForcibly();
      w1.process.destroyForcibly();
    }
  }
}
