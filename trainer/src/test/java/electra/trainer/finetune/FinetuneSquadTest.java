package electra.trainer.finetune;

import electra.export.QaHead;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.EventFiles;
import electra.trainer.runtime.LossCurves;
import electra.trainer.runtime.LossCurvesTest;
import electra.trainer.runtime.ManualClock;
import electra.squad.AnswerDecoder;
import electra.squad.PredictionFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.SessionLog;

/**
 * SQuAD fine-tuning end to end on tiny models: the simple head reproduces the golden logits through the
 * fine-tuning inference path, both heads learn a few dozen real SQuAD questions and learn to abstain on SQuAD 2.0,
 * checkpoints resume, and flags are checked.
 */
class FinetuneSquadTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A fresh random tiny discriminator (H=128, 2 layers, 4 heads, no dropout) as a Hugging Face folder. */
  private static Path tinyModel(Path dir) throws Exception {
    ElectraConfig c = new ElectraConfig(ElectraConfig.BERT_VOCAB_SIZE, 64, 128, 2, 4, 256, "gelu", 0, 0, 512, 2,
        0.02, 1e-12);
    try (QaGraph g = new QaGraph(c, QaHead.SIMPLE, 1, null, null)) {
      g.initialize();
      g.saveHuggingFace(dir);
    }
    return dir;
  }

  private static List<String> common(Path model, Path out, Path data, int examples) {
    return new ArrayList<>(List.of("--electra_model=" + model, "--vocab_file=" + SquadFiles.vocab(),
        "--output_dir=" + out, "--train_file=" + data, "--predict_file=" + data, "--max_examples=" + examples,
        "--max_seq_length=128", "--doc_stride=64", "--max_query_length=32", "--train_batch_size=8",
        "--layerwise_lr_decay=0.8", "--seed=12439", "--log_freq=100"));
  }

  @Test
  void simpleHeadReproducesGoldenLogitsThroughTheFinetuningGraph() throws Exception {
    Path golden = SquadFiles.goldenQa();
    JsonNode cases = JSON.readTree(golden.resolve("expected.json").toFile()).get("cases");
    ElectraConfig config = FinetuneSquad.resolveSource(FinetuneConfig.parse("--mode=eval",
        "--electra_model=" + golden, "--predict_file=x.json", "--output_dir=out")).config();
    List<Batch.Window> windows = new ArrayList<>();
    for (JsonNode c : cases) {
      windows.add(new Batch.Window(ints(c.get("input_ids")), ints(c.get("attention_mask")),
          ints(c.get("token_type_ids")), 0, 0, false));
    }
    try (QaGraph graph = new QaGraph(config, QaHead.SIMPLE, 1, null, null)) {
      var report = graph.loadHuggingFace(golden);
      assertTrue(report.loaded().contains("qa_outputs/kernel"), "qa_outputs loaded: " + report.loaded());
      List<AnswerDecoder.WindowOutput> outputs = graph.predict(Batch.of(windows));
      double maxError = 0;
      for (int i = 0; i < cases.size(); i++) {
        AnswerDecoder.WindowLogits s = (AnswerDecoder.WindowLogits) outputs.get(i);
        JsonNode start = cases.get(i).get("start_logits");
        JsonNode end = cases.get(i).get("end_logits");
        assertEquals(start.size(), s.startLogits().length);
        for (int t = 0; t < start.size(); t++) {
          maxError = Math.max(maxError, Math.abs(s.startLogits()[t] - start.get(t).asDouble()));
          maxError = Math.max(maxError, Math.abs(s.endLogits()[t] - end.get(t).asDouble()));
        }
      }
      System.out.printf("golden qa_outputs through QaGraph: max |error| %.3g%n", maxError);
      assertTrue(maxError <= 1e-4, "max error " + maxError);
    }
  }

  @Test
  void simpleHeadLearnsThirtyTwoQuestions(@TempDir Path tmp) throws Exception {
    // Two of these 32 questions cannot be matched by any span: their gold answer starts inside a longer word
    // ("gold" in '"golden', "8" in "20–18"), so the featurizer labels the whole word, as the reference does. Five
    // more hinge on telling "AFC" from "NFC" questions over one context, which the independent start/end head of a
    // random model learns later than the joint head: 100 epochs where the joint head needs 40. Which of those five it
    // gets after 100 epochs moves with the optimizer's float rounding (29 of 32 before the fused update kernels, 28
    // after), so the bar is 28: the two unmatchable and at most two of the five missed.
    Path hf = tmp.resolve("hf");
    learnV1(tmp, QaHead.SIMPLE, 32, 87.5, "--num_train_epochs=100", "--learning_rate=1e-3", "--export_hf_dir=" + hf);
    // --export_hf_dir: the trained simple head as a Hugging Face QA folder, ready for ExportModel
    assertEquals("ElectraForQuestionAnswering",
        JSON.readTree(hf.resolve("config.json").toFile()).get("architectures").get(0).asText());
    assertTrue(Files.isRegularFile(hf.resolve("model.safetensors")));
    assertTrue(Files.isRegularFile(hf.resolve("vocab.txt")));
  }

  @Test
  void jointHeadLearnsThirtyTwoQuestions(@TempDir Path tmp) throws Exception {
    learnV1(tmp, QaHead.JOINT, 32, 90, "--num_train_epochs=40", "--learning_rate=1e-3");
  }

  private void learnV1(Path tmp, QaHead head, int questions, double minEm, String... extra) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    List<String> args = common(model, tmp.resolve("out"), SquadFiles.devV1(), questions);
    args.addAll(List.of("--mode=train_eval", "--head=" + head.id()));
    args.addAll(List.of(extra));
    long t0 = System.nanoTime();
    FinetuneSquad.Summary s = new FinetuneSquad().run(FinetuneConfig.parse(args.toArray(String[]::new)));
    System.out.printf("v1.1 %s head: %d steps, %.3f s/step, %.1f s, %s%n", head.id(),
        s.lastStep(), s.secondsPerStep(), (System.nanoTime() - t0) / 1e9, s.results());
    assertTrue(s.results().get("exact_match").doubleValue() >= minEm, "EM " + s.results());
    assertTrue(s.losses().get(s.losses().size() - 1) < s.losses().get(0) / 10, "loss fell: " + s.losses());
    Path out = tmp.resolve("out");
    Map<?, ?> predictions = JSON.readValue(out.resolve(PredictionFiles.PREDICTIONS).toFile(), Map.class);
    assertEquals(questions, predictions.size());
    assertTrue(Files.isRegularFile(out.resolve(PredictionFiles.NBEST)));
    assertFalse(Files.exists(out.resolve(PredictionFiles.NULL_ODDS)));
    assertEquals(s.results().get("exact_match").doubleValue(),
        JSON.readTree(out.resolve("eval_results.json").toFile()).get("exact_match").asDouble(), 1e-9);
    JsonNode settings = JSON.readTree(out.resolve("settings.json").toFile()).get("finetune");
    assertEquals(head.id(), settings.get("head").asText().toLowerCase(Locale.ROOT), "the run's full settings");
    assertEquals(questions, settings.get("max_examples").asInt());
    // the flags every fine-tuning job shares (FinetuneFlags) are written beside the others, by their flag names
    assertEquals(List.of(12439L, 100L, 0.8), List.of(settings.get("seed").asLong(), settings.get("log_freq").asLong(),
        settings.get("layerwise_lr_decay").asDouble()), settings.toString());
    assertFalse(settings.has("training"), settings.toString());
  }

  @Test
  void jointHeadLearnsToAbstainOnSquad2(@TempDir Path tmp) throws Exception {
    // Null odds = the smallest answerable logit over the windows ([G]), "no answer" above -2.75 by default.
    learnV2(tmp, QaHead.JOINT, -2.75);
  }

  @Test
  void simpleHeadLearnsToAbstainOnSquad2(@TempDir Path tmp) throws Exception {
    // Null odds as BERT's run_squad: the smallest start[CLS] + end[CLS] over the windows minus the best span's
    // start + end, "no answer" above 0.0 by default.
    learnV2(tmp, QaHead.SIMPLE, 0.0);
  }

  /**
   * Learns the first 32 questions of the SQuAD 2.0 subset and checks that every question's null odds were written
   * and decided its prediction against the head's default threshold.
   */
  private void learnV2(Path tmp, QaHead head, double defaultThreshold) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    List<String> args = common(model, tmp.resolve("out"), SquadFiles.devV2(), 32);
    args.addAll(List.of("--mode=train_eval", "--head=" + head.id(), "--version_2_with_negative",
        "--num_train_epochs=40", "--learning_rate=1e-3"));
    long t0 = System.nanoTime();
    FinetuneSquad.Summary s = new FinetuneSquad().run(FinetuneConfig.parse(args.toArray(String[]::new)));
    System.out.printf("v2.0 %s head: %d steps, %.3f s/step, %.1f s, %s%n", head.id(), s.lastStep(),
        s.secondsPerStep(), (System.nanoTime() - t0) / 1e9, s.results());
    assertTrue(s.results().get("NoAns_total").intValue() >= 10, "has unanswerable questions: " + s.results());
    assertTrue(s.results().get("exact").doubleValue() >= 90, "EM " + s.results());
    assertTrue(s.results().get("NoAns_exact").doubleValue() >= 90, "abstains " + s.results());
    Path out = tmp.resolve("out");
    Map<?, ?> odds = JSON.readValue(out.resolve(PredictionFiles.NULL_ODDS).toFile(), Map.class);
    Map<?, ?> predictions = JSON.readValue(out.resolve(PredictionFiles.PREDICTIONS).toFile(), Map.class);
    assertEquals(32, odds.size());
    for (Map.Entry<?, ?> e : odds.entrySet()) {
      double nullOdds = ((Number) e.getValue()).doubleValue();
      assertEquals(nullOdds > defaultThreshold, "".equals(predictions.get(e.getKey())), e.getKey() + ": " + nullOdds);
    }
  }

  /**
   * 16 windows in batches of 4, 2 epochs, a checkpoint every 3 steps: checkpoints at steps 3 and 6 (within the
   * epochs) and 4 and 8 (their ends). A run killed after step 7 resumes from step 6 with the losses of the run that
   * was not interrupted; both leave log lines every 2 steps, TensorBoard scalars and the loss PNG.
   */
  @Test
  void checkpointsWithinAndAfterEpochsResumeExactlyAndTheRunIsLogged(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    String[] schedule = {"--mode=train", "--num_train_epochs=2", "--learning_rate=1e-3", "--train_batch_size=4",
        "--save_checkpoints_steps=3", "--keep_checkpoint_max=5", "--log_freq=2"};
    List<String> args = common(model, tmp.resolve("full"), SquadFiles.devV1(), 8);
    args.addAll(List.of(schedule));
    FinetuneConfig fullConfig = FinetuneConfig.parse(args.toArray(String[]::new));
    ByteArrayOutputStream fullConsole = new ByteArrayOutputStream();
    FinetuneSquad.Summary full = new FinetuneSquad(new PrintStream(fullConsole, true, StandardCharsets.UTF_8))
        .run(fullConfig);
    assertEquals(8, full.lastStep());
    List<String> saved = new ArrayList<>();
    try (var folders = Files.list(fullConfig.checkpointDir())) {
      folders.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("ckpt-")).sorted().forEach(saved::add);
    }
    assertEquals(List.of("ckpt-000003", "ckpt-000004", "ckpt-000006", "ckpt-000008"), saved);
    Checkpoints.State within = Checkpoints.readState(fullConfig.checkpointDir().resolve("ckpt-000003"));
    assertEquals(List.of(0L, 12L), List.of(within.dataEpoch(), within.dataRecord()), "epoch 1, after 12 windows");
    Checkpoints.State end = Checkpoints.readState(fullConfig.checkpointDir().resolve("ckpt-000004"));
    assertEquals(List.of(1L, 0L), List.of(end.dataEpoch(), end.dataRecord()), "the start of epoch 2");

    String text = fullConsole.toString(StandardCharsets.UTF_8);
    assertTrue(Pattern.compile("(?m)^step 2/8  epoch 1/2  loss \\d+\\.\\d{4}  lr \\d\\.\\d{3}e-\\d\\d  \\d+\\.\\d "
        + "examples/s  ETA \\d+m\\d\\ds$").matcher(text).find(), text);
    assertTrue(text.contains("step 8/8  epoch 2/2  loss "), text);
    assertTrue(text.contains("saved " + fullConfig.checkpointDir().resolve("ckpt-000003") + "\n"), text);
    assertTrue(text.contains("epoch 1/2 done; saved " + fullConfig.checkpointDir().resolve("ckpt-000004")), text);

    Path fullLog = tmp.resolve("full/log.jsonl");
    List<JsonNode> lines = new ArrayList<>();
    for (String line : Files.readAllLines(fullLog)) {
      lines.add(JSON.readTree(line));
    }
    assertEquals(List.of(2L, 4L, 6L, 8L), lines.stream().map(l -> l.get("step").asLong()).toList());
    assertEquals(List.of(1L, 1L, 2L, 2L), lines.stream().map(l -> l.get("epoch").asLong()).toList());
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = lines.get(i);
      float meanLoss = (full.losses().get(2 * i) + full.losses().get(2 * i + 1)) / 2;
      assertEquals(meanLoss, line.get("loss").asDouble(), 1e-6, "the mean loss of the line's two steps: " + line);
      assertTrue(line.get("learning_rate").asDouble() > 0, line.toString());
      assertTrue(line.get("examples_per_second").asDouble() > 0, line.toString());
      assertTrue(line.get("eta_seconds").asDouble() >= 0, line.toString());
    }
    assertEquals(0, lines.get(3).get("eta_seconds").asDouble(), "nothing left after the last step");

    List<Event> events = EventFiles.read(EventFiles.in(tmp.resolve("full")).get(0));
    Map<Long, Float> loss = EventFiles.scalars(events, "train/loss");
    assertEquals(List.of(2L, 4L, 6L, 8L), List.copyOf(loss.keySet()));
    assertEquals(lines.get(0).get("loss").floatValue(), loss.get(2L));
    assertEquals(lines.get(3).get("learning_rate").floatValue(), EventFiles.scalars(events,
        "train/learning_rate").get(8L));
    LossCurvesTest.assertCurvesDrawn(tmp.resolve("full/loss_curves.png"), FinetuneLog.CURVES, fullLog, 1,
        "ELECTRA SQuAD 1.1 fine-tuning, joint head: " + tmp.resolve("full"));

    // Killed after step 7: the latest checkpoint is step 6, within epoch 2.
    List<String> split = common(model, tmp.resolve("split"), SquadFiles.devV1(), 8);
    split.addAll(List.of(schedule));
    FinetuneConfig c = FinetuneConfig.parse(split.toArray(String[]::new));
    FinetuneSquad.Summary killed = new FinetuneSquad().run(c, 7);
    assertEquals(7, killed.lastStep());
    assertFalse(Files.exists(tmp.resolve("split/loss_curves.png")), "a killed run draws nothing");
    ByteArrayOutputStream resumedConsole = new ByteArrayOutputStream();
    FinetuneSquad.Summary resumed = new FinetuneSquad(new PrintStream(resumedConsole, true, StandardCharsets.UTF_8))
        .run(c);
    assertTrue(resumedConsole.toString(StandardCharsets.UTF_8).contains("resumed from "
        + c.checkpointDir().resolve("ckpt-000006") + " at step 6 (epoch 2, window 8 of 16)"), resumedConsole
        .toString(StandardCharsets.UTF_8));
    assertEquals(6, resumed.firstStep());
    assertEquals(8, resumed.lastStep());
    assertEquals(full.losses().subList(6, 8), resumed.losses(), "steps 7 and 8 as in the uninterrupted run");
    assertEquals(List.of(2L, 4L, 6L, 8L), LossCurves.read(tmp.resolve("split/log.jsonl"), 1).stream()
        .map(l -> l.get("step").asLong()).toList());
    List<Event> restarted = EventFiles.read(EventFiles.in(tmp.resolve("split")).get(1));
    assertEquals(SessionLog.SessionStatus.START, restarted.get(1).getSessionLog().getStatus());
    assertEquals(6, restarted.get(1).getStep());

    // The final checkpoint evaluates in a fresh inference graph, printing its progress (on a clock that moves 11 s
    // at every reading), and its scores go to TensorBoard at its step. It records its head, and evaluating it with
    // the other head is refused.
    Path ckpt = c.checkpointDir().resolve("ckpt-000008");
    assertEquals(Optional.of(QaHead.JOINT), FinetunedHead.read(ckpt));
    List<String> eval = new ArrayList<>(List.of("--mode=eval", "--init_checkpoint=" + ckpt,
        "--vocab_file=" + SquadFiles.vocab(), "--predict_file=" + SquadFiles.devV1(), "--max_examples=8",
        "--max_seq_length=128", "--doc_stride=64", "--max_query_length=32", "--predict_batch_size=4",
        "--output_dir=" + tmp.resolve("eval")));
    ByteArrayOutputStream evalConsole = new ByteArrayOutputStream();
    FinetuneSquad.Summary evaluated = new FinetuneSquad(new PrintStream(evalConsole, true, StandardCharsets.UTF_8),
        new ManualClock(Instant.parse("2026-01-02T03:04:05Z"), Duration.ofSeconds(11)))
        .run(FinetuneConfig.parse(eval.toArray(String[]::new)));
    assertEquals(List.of(
        "predicted 4/16 windows  0.4 windows/s  ETA 0m33s",
        "predicted 8/16 windows  0.4 windows/s  ETA 0m22s",
        "predicted 12/16 windows  0.4 windows/s  ETA 0m11s",
        "predicted 16/16 windows  0.4 windows/s  ETA 0m00s"), evalConsole.toString(StandardCharsets.UTF_8).lines()
        .filter(l -> l.startsWith("predicted ") && l.contains("windows/s")).toList());
    List<Event> scores = EventFiles.read(EventFiles.in(tmp.resolve("eval")).get(0));
    assertEquals(Map.of(8L, evaluated.results().get("exact_match").floatValue()),
        EventFiles.scalars(scores, "eval/exact_match"));
    assertEquals(Map.of(8L, evaluated.results().get("f1").floatValue()), EventFiles.scalars(scores, "eval/f1"));
    eval.add("--head=simple");
    UsageException otherHead = assertThrows(UsageException.class,
        () -> new FinetuneSquad().run(FinetuneConfig.parse(eval.toArray(String[]::new))));
    assertEquals("checkpoint " + ckpt + " holds the joint head (finetune.json) but --head is simple: give "
        + "--head=joint or another --init_checkpoint", otherHead.getMessage());
    assertEquals(1, EventFiles.in(tmp.resolve("eval")).size(), "a refused run leaves no event file");
  }

  @Test
  void aCheckpointThisRunCannotReachIsRefused(@TempDir Path tmp) throws Exception {
    Path model = tinyModel(tmp.resolve("model"));
    List<String> args = common(model, tmp.resolve("out"), SquadFiles.devV1(), 8);
    args.addAll(List.of("--mode=train", "--num_train_epochs=1", "--train_batch_size=4", "--save_checkpoints_steps=3"));
    FinetuneConfig c = FinetuneConfig.parse(args.toArray(String[]::new));
    new FinetuneSquad(new PrintStream(new ByteArrayOutputStream())).run(c, 3); // ckpt-000003 after 12 windows
    args.add("--train_batch_size=8");
    UsageException e = assertThrows(UsageException.class, () -> new FinetuneSquad(
        new PrintStream(new ByteArrayOutputStream())).run(FinetuneConfig.parse(args.toArray(String[]::new))));
    assertEquals("checkpoint " + c.checkpointDir().resolve("ckpt-000003") + " was written at step 3, window 12 of "
        + "epoch 1, which 16 windows in batches of 8 do not reach: resume with the training data, --max_examples and "
        + "global batch (--train_batch_size x workers) it was written with, or use another --output_dir",
        e.getMessage());
  }

  @Test
  void badFlagsGiveOneLineErrors() {
    String[][] bad = {
        {"--mode=fly", "--output_dir=o"},
        {"--mode=train", "--output_dir=o", "--electra_model=m"},
        {"--mode=eval", "--output_dir=o", "--init_checkpoint=c"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--learning_rate=0"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--layerwise_lr_decay=1.5"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--max_seq_length=40"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--beam_size=x"},
        {"--mode=train", "--electra_model=m", "--train_file=t"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--nope=1"},
        {"--mode=train", "--output_dir=o", "--electra_model=m", "--train_file=t", "--export_hf_dir=h"},
        {"--mode=eval", "--output_dir=o", "--init_checkpoint=c", "--predict_file=p", "--head=simple",
            "--export_hf_dir=h"},
        {"--mode=eval", "--output_dir=o", "--init_checkpoint=c", "--predict_file=p", "--head=xlnet"},
    };
    for (String[] args : bad) {
      UsageException e = assertThrows(UsageException.class, () -> FinetuneConfig.parse(args), String.join(" ", args));
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
      System.out.println("usage error: " + e.getMessage());
    }
    UsageException jointExport = assertThrows(UsageException.class, () -> FinetuneConfig.parse("--mode=train",
        "--output_dir=o", "--electra_model=m", "--train_file=t", "--export_hf_dir=h"));
    assertEquals("--export_hf_dir needs --head=simple: the joint head has no Hugging Face counterpart",
        jointExport.getMessage());
    UsageException unknownHead = assertThrows(UsageException.class, () -> FinetuneConfig.parse("--mode=eval",
        "--output_dir=o", "--init_checkpoint=c", "--predict_file=p", "--head=xlnet"));
    assertEquals("--head: unknown QA head 'xlnet', expected joint or simple", unknownHead.getMessage());
    assertEquals(QaHead.JOINT, FinetuneConfig.parse("--mode=eval", "--output_dir=o", "--init_checkpoint=c",
        "--predict_file=p").head(), "Google's joint head by default");
    assertEquals(QaHead.SIMPLE, FinetuneConfig.parse("--mode=eval", "--output_dir=o", "--init_checkpoint=c",
        "--predict_file=p", "--head=Simple").head());
    UsageException notAModel = assertThrows(UsageException.class, () -> FinetuneSquad.resolveSource(
        FinetuneConfig.parse("--mode=eval", "--electra_model=/nonexistent", "--predict_file=p", "--output_dir=o")));
    assertTrue(notAModel.getMessage().contains("neither a Hugging Face folder"), notAModel.getMessage());
  }

  @Test
  void aPresetKeepsItsGlobalBatchOverTheWorkersAndEvaluationRunsInOneProcess() throws Exception {
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    FinetuneSquad job = new FinetuneSquad(new PrintStream(said, true, StandardCharsets.UTF_8));
    String[] args = {"--preset=dgxa100_8gpu_amp", "--workers=localhost:2222,localhost:2223", "--task_index=1",
        "--electra_model=m", "--train_file=t.json", "--predict_file=d.json", "--output_dir=o"};
    FinetuneConfig c = FinetuneConfig.parse(job.withPreset(args));
    assertEquals(128, c.trainBatchSize(), "32 per GPU on 8 GPUs: 256 in all, 128 for each of 2 workers");
    assertTrue(said.toString(StandardCharsets.UTF_8).contains("--train_batch_size 32 -> 128 keeps its global batch"),
        said.toString(StandardCharsets.UTF_8));
    UsageException eval = assertThrows(UsageException.class, () -> job.run(new String[] {"--mode=eval",
        "--workers=localhost:2222,localhost:2223", "--task_index=0", "--init_checkpoint=c", "--predict_file=p",
        "--output_dir=o"}));
    assertEquals("--workers trains in parallel: it needs --mode train or train_eval (evaluation and prediction run "
        + "in one process)", eval.getMessage());
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
