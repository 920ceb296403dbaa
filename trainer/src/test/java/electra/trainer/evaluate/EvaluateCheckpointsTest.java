package electra.trainer.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.export.ExportMetadata;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.export.QaHead;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import electra.trainer.pretrain.BookShards;
import electra.trainer.pretrain.Pretrain;
import electra.trainer.runtime.EventFiles;
import electra.trainer.runtime.LossCurvesTest;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;

/**
 * Continuous evaluation end to end over a real Pretrain run of a tiny model (two checkpoints, steps 2 and 4), fine-tuned
 * on 8 real SQuAD v1.1 questions and scored on 8 others: what it records, publishes and refuses to publish, and how
 * it survives restarts, a stop (asked in-process, or SIGTERM), a kill -9 while publishing and a checkpoint deleted
 * before its turn.
 */
class EvaluateCheckpointsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path tmp;
  static Path pretrainRun;
  static Path squad;
  static Path vocab;
  static Path shards;

  /** The Pretrain run every test copies: 4 steps of a tiny model, checkpoints at steps 2 and 4. */
  @BeforeAll
  static void pretrain() throws Exception {
    Path shared = BookShards.shared();
    squad = shared.resolve("data/squad/dev-v1.1.json.gz");
    assumeTrue(Files.isRegularFile(squad), "skipped: " + squad + " not found");
    vocab = BookShards.vocabFile(shared);
    shards = BookShards.write(tmp.resolve("shards"), 64, 1, 32, null);
    pretrain(tmp.resolve("pretrain"), 4);
    pretrainRun = tmp.resolve("pretrain/tiny");
    assertEquals(List.of("ckpt-000002", "ckpt-000004"), checkpointNames(pretrainRun));
  }

  /** {@code steps} of Pretrain into the run {@code <outputDir>/tiny}, a checkpoint every 2 steps, then {@code more}. */
  private static void pretrain(Path outputDir, int steps, String... more) throws Exception {
    List<String> a = new ArrayList<>(List.of("--model_name=tiny", "--model_config=" + BookShards.tinyConfig(tmp),
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + shards, "--output_dir=" + outputDir,
        "--vocab_file=" + vocab, "--train_batch_size=4", "--num_train_steps=" + steps, "--num_warmup_steps=0",
        "--save_checkpoints_steps=2", "--keep_checkpoint_max=5", "--log_freq=2", "--seed=11"));
    a.addAll(Arrays.asList(more));
    new Pretrain(quiet()).run(a.toArray(String[]::new));
  }

  /** A test's own copy of the run: its checkpoints have paths of their own. */
  private static Path runCopy(String test) throws IOException {
    Path copy = tmp.resolve(test).resolve("tiny");
    try (Stream<Path> all = Files.walk(pretrainRun)) {
      for (Path p : all.toList()) {
        Path target = copy.resolve(pretrainRun.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    return copy;
  }

  private static String[] args(Path run, Path work, String... more) {
    List<String> a = new ArrayList<>(List.of("--run_dir=" + run, "--work_dir=" + work, "--follow=false",
        "--train_file=" + squad, "--train_questions=8", "--eval_questions=8", "--num_train_epochs=1",
        "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16", "--train_batch_size=8",
        "--learning_rate=1e-3", "--vocab_file=" + vocab));
    a.addAll(Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  private static EvaluateCheckpoints.Summary run(ByteArrayOutputStream console, String... args) throws Exception {
    return new EvaluateCheckpoints(new PrintStream(console, true, StandardCharsets.UTF_8))
        .run(EvaluateCheckpoints.flags().parse(args).record(EvaluateCheckpoints.Settings.class));
  }

  @Test
  void evaluatesEveryCheckpointPublishesTheBetterAndARestartEvaluatesNothingAgain() throws Exception {
    Path run = runCopy("every");
    Path work = tmp.resolve("every/work");
    Path models = tmp.resolve("every/models");
    String[] args = args(run, work, "--models=" + models, "--publish=better");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    EvaluateCheckpoints.Summary first = run(console, args);
    assertEquals(List.of("ckpt-000002", "ckpt-000004"), first.evaluated(), console.toString(StandardCharsets.UTF_8));

    // one line per checkpoint, against the pre-training step
    List<JsonNode> lines = lines(work);
    assertEquals(List.of(2L, 4L), lines.stream().map(l -> l.get("step").asLong()).toList());
    for (JsonNode line : lines) {
      assertEquals(8, line.get("questions").asInt());
      double f1 = line.get("f1").asDouble();
      assertTrue(f1 >= 0 && f1 <= 100 && line.get("exact_match").asDouble() <= f1 + 1e-9, line.toString());
    }
    double f1At2 = lines.get(0).get("f1").asDouble();
    double f1At4 = lines.get(1).get("f1").asDouble();

    // TensorBoard: both scores at both steps, in an event file of their own beside the run's
    List<Path> eventFiles = EventFiles.in(run.resolve(EvaluationLog.EVENTS_FOLDER));
    assertEquals(1, eventFiles.size());
    List<Event> events = EventFiles.read(eventFiles.get(0));
    assertEquals(Map.of(2L, (float) f1At2, 4L, (float) f1At4), EventFiles.scalars(events, EvaluationLog.F1_TAG));
    assertEquals(Map.of(2L, (float) lines.get(0).get("exact_match").asDouble(), 4L,
        (float) lines.get(1).get("exact_match").asDouble()), EventFiles.scalars(events, EvaluationLog.EXACT_MATCH_TAG));
    assertEquals(1, EventFiles.in(run).size(), "Pretrain's own event file is the only one in the run folder");

    LossCurvesTest.assertCurvesDrawn(work.resolve(EvaluationLog.CURVES_FILE), EvaluationLog.CURVES,
        work.resolve(EvaluationLog.FILE), 1, "ELECTRA continuous evaluation: tiny, SQuAD 1.1, 8 held-out questions");

    // better: the first checkpoint is version 1 (there was none); the second only with a higher F1
    ModelRepository repo = ModelRepository.at(models, "squad");
    List<ModelRepository.Version> versions = repo.versions();
    assertEquals(f1At4 > f1At2 ? 2 : 1, versions.size(), "F1 " + f1At2 + " then " + f1At4);
    ModelEvaluation v1 = versions.get(0).evaluation();
    assertEquals(run.resolve("ckpt-000002").toString(), v1.checkpoint());
    assertEquals(2, v1.pretrainingStep());
    assertEquals(8, v1.questions());
    assertEquals(f1At2, v1.f1().orElseThrow(), 1e-9);
    String heldOutSha = SquadSubsets.sha256(Files.readAllBytes(work.resolve("data").resolve(
        SquadSubsets.HELD_OUT_FILE)));
    assertTrue(v1.data().contains(heldOutSha), v1.data());
    assertEquals(QaHead.JOINT, versions.get(0).metadata().head());
    assertEquals(1, lines.get(0).get("version").asLong());
    assertEquals(f1At4 > f1At2, lines.get(1).has("version"), lines.get(1).toString());
    assertHeldOutQuestionsAreNotTrainedOn(work);

    // a restart evaluates nothing again
    ByteArrayOutputStream again = new ByteArrayOutputStream();
    assertEquals(List.of(), run(again, args).evaluated(), again.toString(StandardCharsets.UTF_8));
    assertEquals(lines, lines(work));
    assertEquals(versions, repo.versions());

    // killed after publishing version 1, before its line: the restart records it from eval.json, evaluates nothing
    Files.write(work.resolve(EvaluationLog.FILE), List.of(lines.get(1).toString()));
    ByteArrayOutputStream recovered = new ByteArrayOutputStream();
    assertEquals(List.of(), run(recovered, args).evaluated());
    assertTrue(recovered.toString(StandardCharsets.UTF_8).contains("version 1 was published from ckpt-000002"),
        recovered.toString(StandardCharsets.UTF_8));
    JsonNode rebuilt = lines(work).get(1);
    assertEquals(run.resolve("ckpt-000002").toString(), rebuilt.get("checkpoint").asText());
    assertEquals(f1At2, rebuilt.get("f1").asDouble(), 1e-9);
    assertEquals(versions.get(0).dir().resolve(ModelEvaluation.FILE).toString(),
        rebuilt.get("recovered_from").asText());
    assertEquals(versions, repo.versions());
  }

  /** No held-out question, and no paragraph of one, is among the training questions. */
  private static void assertHeldOutQuestionsAreNotTrainedOn(Path work) throws IOException {
    Set<String> trainContexts = contexts(work.resolve("data").resolve(SquadSubsets.TRAIN_FILE));
    Set<String> heldOutContexts = contexts(work.resolve("data").resolve(SquadSubsets.HELD_OUT_FILE));
    assertFalse(trainContexts.isEmpty() || heldOutContexts.isEmpty());
    assertTrue(heldOutContexts.stream().noneMatch(trainContexts::contains), "disjoint paragraphs");
  }

  private static Set<String> contexts(Path squadFile) throws IOException {
    return JSON.readTree(squadFile.toFile()).get("data").findValues("context").stream().map(JsonNode::asText)
        .collect(Collectors.toSet());
  }

  @Test
  void betterRefusesAModelWhoseF1IsNotAboveTheNewestVersion() throws Exception {
    Path run = runCopy("better");
    Path work = tmp.resolve("better/work");
    Path models = tmp.resolve("better/models");
    ModelRepository repo = ModelRepository.at(models, "squad");
    publishScored(repo, 100.0);

    // --every_steps=4: step 4 is fewer than 4 steps after step 2, so only step 2 is evaluated
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    EvaluateCheckpoints.Summary s = run(console, args(run, work, "--models=" + models, "--publish=better",
        "--every_steps=4"));
    String text = console.toString(StandardCharsets.UTF_8);
    assertEquals(List.of("ckpt-000002"), s.evaluated(), text);
    assertTrue(text.contains("passing over ckpt-000004: fewer than --every_steps 4 after step 2"), text);
    assertEquals(1, repo.versions().size(), "nothing published over version 1's F1 100");
    JsonNode line = lines(work).get(0);
    assertFalse(line.has("version"));
    assertTrue(line.get("publishing").asText().matches("not published \\(--publish=better, F1 [0-9.]+ not above "
        + "version 1's 100\\.00\\)"), line.toString());

    // over a newest version of F1 0, the same checkpoint is published
    assertTrue(line.get("f1").asDouble() > 0, "the fixture's model gets some answer words right: " + line);
    publishScored(repo, 0.0);
    Path fresh = tmp.resolve("better/work-again");
    assertEquals(List.of("ckpt-000002"), run(new ByteArrayOutputStream(), args(run, fresh, "--models=" + models,
        "--publish=better", "--every_steps=4")).evaluated());
    JsonNode published = lines(fresh).get(0);
    assertEquals(3, published.get("version").asLong(), published.toString());
    assertEquals(String.format(java.util.Locale.ROOT, "published (--publish=better, F1 %.2f above version 2's 0.00)",
        published.get("f1").asDouble()), published.get("publishing").asText());
    assertEquals(run.resolve("ckpt-000002").toString(), repo.version(3).evaluation().checkpoint());
  }

  /** Publishes a stand-in version whose eval.json has F1 {@code f1}, from another run's checkpoint. */
  private static void publishScored(ModelRepository repo, double f1) throws IOException {
    Path staged = repo.stage();
    ExportMetadata.standard(QaHead.SIMPLE, 0, QaFeaturizer.Options.DEFAULTS, true, 100,
        AnswerDecoder.Options.defaults(SquadVersion.V1_1), "fingerprint", 10, "test").write(staged);
    new ModelEvaluation(Map.of(ModelEvaluation.EXACT_MATCH, f1, ModelEvaluation.F1, f1), "dev.json", 50,
        "elsewhere/ckpt-000100", 100, "test").write(staged);
    repo.publish(staged);
  }

  @Test
  void aCheckpointDeletedBeforeItsTurnIsRecordedAsSkipped() throws Exception {
    Path run = runCopy("deleted");
    Path work = tmp.resolve("deleted/work");
    Path later = run.resolve("ckpt-000004");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    // as Pretrain's keep-N would: the later checkpoint goes while the first is being evaluated
    PrintStream deletingLater = new PrintStream(console, true, StandardCharsets.UTF_8) {
      @Override
      public void println(String line) {
        super.println(line);
        if (line.startsWith("evaluating " + run.resolve("ckpt-000002"))) {
          try {
            electra.cli.Directories.deleteRecursively(later);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      }
    };
    EvaluateCheckpoints.Summary s = new EvaluateCheckpoints(deletingLater).run(EvaluateCheckpoints.flags()
        .parse(args(run, work, "--publish=never")).record(EvaluateCheckpoints.Settings.class));
    String text = console.toString(StandardCharsets.UTF_8);
    assertEquals(List.of("ckpt-000002"), s.evaluated(), text);
    assertEquals(List.of("ckpt-000004"), s.skipped(), text);
    assertTrue(text.contains("skipped " + later + ": deleted before it was evaluated"), text);
    List<JsonNode> lines = lines(work);
    assertEquals(2, lines.size());
    assertEquals(later.toString(), lines.get(1).get("checkpoint").asText());
    assertTrue(lines.get(1).get("skipped").asText().contains("--keep_checkpoint_max"), lines.get(1).toString());
    assertFalse(lines.get(1).has("f1"));

    EvaluateCheckpoints.Summary again = run(new ByteArrayOutputStream(), args(run, work, "--publish=never"));
    assertEquals(List.of(), again.evaluated());
    assertEquals(List.of(), again.skipped(), "recorded once");
    assertEquals(lines, lines(work));
  }

  @Test
  void phase2CheckpointsFollowPhase1sEachPhaseWithItsOwnSteps() throws Exception {
    Path run = runCopy("phase2");
    // phase 2 of the same run: 2 steps from its newest phase-1 checkpoint, its step counter from 0 again
    pretrain(run.getParent(), 2, "--phase2");
    assertTrue(Files.isDirectory(run.resolve("ckpt-p2-000002")));
    Path work = tmp.resolve("phase2/work");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    // --every_steps=2 counts within a phase: phase 2's step 2 is not "before step 4 + 2"
    String[] args = args(run, work, "--publish=never", "--every_steps=2");
    EvaluateCheckpoints.Summary s = run(console, args);
    String text = console.toString(StandardCharsets.UTF_8);
    assertEquals(List.of("ckpt-000002", "ckpt-000004", "ckpt-p2-000002"), s.evaluated(), text);
    assertTrue(text.contains("evaluating " + run.resolve("ckpt-p2-000002") + " (pre-training step 2 of phase 2)"),
        text);

    List<JsonNode> lines = lines(work);
    assertEquals(List.of(1, 1, 2), lines.stream().map(l -> l.get("phase").asInt()).toList());
    assertEquals(List.of(2L, 4L, 2L), lines.stream().map(l -> l.get("step").asLong()).toList());
    // TensorBoard: each phase's scores against its own steps, phase 2's beside its losses in <run>/phase2
    assertEquals(Map.of(2L, (float) lines.get(0).get("f1").asDouble(), 4L, (float) lines.get(1).get("f1").asDouble()),
        EventFiles.scalars(EventFiles.read(EventFiles.in(run.resolve(EvaluationLog.EVENTS_FOLDER)).get(0)),
            EvaluationLog.F1_TAG));
    List<Path> phase2Events = EventFiles.in(run.resolve("phase2").resolve(EvaluationLog.EVENTS_FOLDER));
    assertEquals(1, phase2Events.size());
    assertEquals(Map.of(2L, (float) lines.get(2).get("f1").asDouble()),
        EventFiles.scalars(EventFiles.read(phase2Events.get(0)), EvaluationLog.F1_TAG));
    assertTrue(Files.size(work.resolve(EvaluationLog.CURVES_FILE_PHASE2)) > 0, "phase 2's picture");

    // a restart evaluates nothing again
    assertEquals(List.of(), run(new ByteArrayOutputStream(), args).evaluated());
    assertEquals(lines, lines(work));
  }

  @Test
  void aStopEndsAFollowingRunAtASafePointAndARestartEvaluatesTheRestOnce() throws Exception {
    Path run = runCopy("stop");
    Path work = tmp.resolve("stop/work");
    Path models = tmp.resolve("stop/models");
    String[] following = Stream.of(args(run, work, "--models=" + models, "--publish=always", "--poll_interval_s=1"))
        .map(a -> a.equals("--follow=false") ? "--follow=true" : a).toArray(String[]::new);
    ModelRepository repo = ModelRepository.at(models, "squad");

    // a stop while version 1 is being exported: the publish completes and is recorded; ckpt-000004 is not begun
    String duringExport = stoppedRun(following, "exporting " + work.resolve("finetune/ckpt-000002"));
    assertTrue(duringExport.contains("stopped on request"), duringExport);
    assertFalse(duringExport.contains("evaluating " + run.resolve("ckpt-000004")), duringExport);
    assertEquals(List.of(1L), repo.versions().stream().map(ModelRepository.Version::number).toList());
    assertEquals(run.resolve("ckpt-000002").toString(), repo.version(1).evaluation().checkpoint());
    assertEquals(List.of(1L), lines(work).stream().map(l -> l.get("version").asLong()).toList());

    // a stop while ckpt-000004 is fine-tuned: nothing exported or recorded for it after the fine-tuning
    String duringFinetuning = stoppedRun(following, "evaluating " + run.resolve("ckpt-000004"));
    assertTrue(duringFinetuning.contains("stop requested while ckpt-000004 was fine-tuned: not published or "
        + "recorded"), duringFinetuning);
    assertFalse(duringFinetuning.contains("exporting "), duringFinetuning);
    assertEquals(List.of(1L), repo.versions().stream().map(ModelRepository.Version::number).toList());
    assertEquals(1, lines(work).size());

    // the restart evaluates ckpt-000004 only, once
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    EvaluateCheckpoints.Summary rest = run(console, args(run, work, "--models=" + models, "--publish=always"));
    assertEquals(List.of("ckpt-000004"), rest.evaluated(), console.toString(StandardCharsets.UTF_8));
    assertEquals(List.of(2L, 4L), lines(work).stream().map(l -> l.get("step").asLong()).toList());
    try (Stream<Path> entries = Files.list(repo.dir())) {
      assertEquals(List.of("1", "2"), entries.map(p -> p.getFileName().toString()).sorted().toList(),
          "whole versions only, no staging folder");
    }
    assertEquals(run.resolve("ckpt-000004").toString(), repo.version(2).evaluation().checkpoint());
  }

  /**
   * Runs {@code args} (following) on another thread and asks it to stop when it prints a line starting with
   * {@code trigger}; returns what it printed once it has ended by itself.
   */
  private static String stoppedRun(String[] args, String trigger) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    EvaluateCheckpoints[] job = new EvaluateCheckpoints[1];
    job[0] = new EvaluateCheckpoints(new PrintStream(console, true, StandardCharsets.UTF_8) {
      @Override
      public void println(String line) {
        super.println(line);
        if (line.startsWith(trigger)) {
          job[0].stop();
        }
      }
    });
    // a bound on a stop that is not heard: a following run never ends by itself
    assertTimeoutPreemptively(Duration.ofMinutes(5), () -> job[0].run(EvaluateCheckpoints.flags().parse(args)
        .record(EvaluateCheckpoints.Settings.class)), () -> console.toString(StandardCharsets.UTF_8));
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains(trigger), "the stop was asked for: " + text);
    return text;
  }

  @Test
  void killedWhilePublishingLeavesNoPartialOrDuplicateVersion() throws Exception {
    Path run = runCopy("killed");
    Path work = tmp.resolve("killed/work");
    Path models = tmp.resolve("killed/models");
    String[] args = args(run, work, "--models=" + models, "--publish=always");
    Process child = startJob(args);
    List<String> output = new ArrayList<>();
    boolean killed = false;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
        StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        output.add(line);
        if (line.startsWith("exporting ")) {
          child.destroyForcibly(); // SIGKILL while the export is written into its staging folder
          killed = true;
          break;
        }
        assertTrue(System.nanoTime() < deadline, "no export started: " + output);
      }
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
    } finally {
      child.destroyForcibly();
    }
    assertTrue(killed, "the child got to publishing: " + output);
    ModelRepository repo = ModelRepository.at(models, "squad");
    assertEquals(List.of(), repo.versions(), "nothing published by the killed run");
    assertEquals(List.of(), lines(work));

    ByteArrayOutputStream console = new ByteArrayOutputStream();
    EvaluateCheckpoints.Summary s = run(console, args);
    String text = console.toString(StandardCharsets.UTF_8);
    assertEquals(List.of("ckpt-000002", "ckpt-000004"), s.evaluated(), text);
    assertTrue(text.contains("removed " + repo.dir().resolve(".staging-")), text);
    List<ModelRepository.Version> versions = repo.versions();
    assertEquals(List.of(1L, 2L), versions.stream().map(ModelRepository.Version::number).toList());
    List<String> sources = new ArrayList<>();
    for (ModelRepository.Version v : versions) {
      sources.add(v.evaluation().checkpoint());
      assertTrue(Files.isRegularFile(v.dir().resolve(ExportMetadata.FILE)), v + " is a complete export");
    }
    assertEquals(List.of(run.resolve("ckpt-000002").toString(), run.resolve("ckpt-000004").toString()), sources);
    try (Stream<Path> entries = Files.list(repo.dir())) {
      assertEquals(List.of("1", "2"), entries.map(p -> p.getFileName().toString()).sorted().toList(),
          "no staging or temporary folder left");
    }
    assertEquals(2, lines(work).size());
  }

  @Test
  void sigtermEndsAFollowingRunBetweenCheckpointsAsAStopWithStatus0() throws Exception {
    Path run = Files.createDirectories(tmp.resolve("signal/tiny")); // no checkpoint yet: the run waits for one
    String[] following = Stream.of(args(run, tmp.resolve("signal/work"), "--publish=never", "--poll_interval_s=600"))
        .map(a -> a.equals("--follow=false") ? "--follow=true" : a).toArray(String[]::new);
    Process child = startJob(following);
    List<String> output = new CopyOnWriteArrayList<>(); // read by the timeout's message while it is written
    try {
      // a bound on a signal that is not heard: a following run never ends by itself
      assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line = r.readLine(); line != null; line = r.readLine()) {
            output.add(line);
            if (line.startsWith("waiting for new checkpoints")) {
              child.toHandle().destroy(); // SIGTERM, as kill sends it (Process.destroy would close the output)
            }
          }
        }
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      }, () -> String.join("\n", output));
    } finally {
      child.destroyForcibly();
    }
    // the JVM's own shutdown on SIGTERM would end it with status 143, before the job's last lines
    String text = String.join("\n", output);
    assertEquals(0, child.exitValue(), text);
    assertTrue(text.contains("EvaluateCheckpoints: stop requested"), text);
    assertTrue(output.containsAll(List.of("stopped on request; a restarted run continues with the checkpoints not "
        + "recorded", "evaluated 0 checkpoints")), text);
  }

  /** {@code ./electra EvaluateCheckpoints args} in a child JVM, its errors in its output. */
  private static Process startJob(String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        EvaluateCheckpointsMain.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return pb.start();
  }

  private static List<JsonNode> lines(Path work) throws IOException {
    Path file = work.resolve(EvaluationLog.FILE);
    List<JsonNode> lines = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      for (String line : Files.readAllLines(file)) {
        lines.add(JSON.readTree(line));
      }
    }
    return lines;
  }

  private static List<String> checkpointNames(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ckpt-")).sorted().toList();
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}
