package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import electra.launcher.Main;
import electra.serving.QaClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./electra Platform} in a JVM of its own, tiny settings: a book dropped into the corpus folder becomes shards,
 * Pretrain steps and a checkpoint, an evaluated and published version 1, and ServeQA answers a question through
 * Kafka with the served {@code model_version}; SIGTERM then stops every part in order, waiting for each (Pretrain
 * saves a checkpoint, the evaluator leaves only whole versions), before the process exits 0. A part that fails stops
 * the others the same way and the process exits 1 naming it. (The steady client through two publishes is not
 * this test.)
 */
class PlatformTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));

  /** Pre-training steps asked for: more than the test lasts, so that the stop always finds Pretrain running. */
  private static final long STEPS = 1_000_000;

  @Test
  void aDroppedBookBecomesAServedVersionAndSigtermStopsEveryPart(@TempDir Path dir) throws Exception {
    Path book = SHARED.resolve("data/books/blake-poems.txt");
    Path vocab = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Path squad = SHARED.resolve("data/squad/dev-v1.1.json.gz");
    Assumptions.assumeTrue(Files.isRegularFile(book) && Files.isRegularFile(vocab) && Files.isRegularFile(squad),
        "reference data not found under " + SHARED.resolve("data").toAbsolutePath()
            + " (books/, vocab/, squad/): skipping");
    Path work = dir.resolve("platform");
    String[] args = {"--work_dir=" + work, "--vocab_file=" + vocab, "--squad=" + squad, "--steps=" + STEPS,
        "--save_checkpoints_steps=10", "--train_batch_size=4", "--train_questions=8", "--eval_questions=8",
        "--publish=always", "--poll_interval_s=1"};
    Launched platform = launch(args);
    Process p = platform.process();
    List<String> lines = platform.lines();
    try {
      // bounds on a stuck part, not timing targets: a loaded 2-core machine is slow to its first steps
      String waiting = awaitLine(lines, Pattern.compile("waiting for the first book"), Duration.ofSeconds(120));
      assertTrue(waiting.contains(work.resolve("corpus").toString()), waiting);
      Files.copy(book, work.resolve("corpus").resolve(book.getFileName()));
      Matcher ask = Pattern.compile("ask it: \\./electra Ask --bootstrap_servers=(\\S+)")
          .matcher(awaitLine(lines, Pattern.compile("ask it: "), Duration.ofSeconds(600)));
      assertTrue(ask.find());
      // ServeQA starts on the newest version: 1, or a later one published while it started
      Matcher started = Pattern.compile("model .*/models/squad \\((?:onnxruntime|tensorflow), version (\\d+),")
          .matcher(awaitLine(lines, Pattern.compile("ServeQA: qa-requests -> "), Duration.ofSeconds(10)));
      assertTrue(started.find());
      long version = Long.parseLong(started.group(1));
      assertTrue(version >= 1 && Files.isRegularFile(work.resolve("models/squad/" + version + "/eval.json")),
          "version " + version + " is published");
      // a new consumer group reads from the topic's end: ask once its reader has started, or the question is missed
      awaitLine(lines, Pattern.compile("^\\[serve   \\] ServeQA is running$"), Duration.ofSeconds(120));
      try (QaClient client = QaClient.connect(ask.group(1), QaClient.Topics.DEFAULTS, Map.of())) {
        Map<String, QaClient.Reply> replies = client.ask(List.of(new QaClient.Request("harry",
            "What food does Harry like?", "My name is Harry and I grew up in Canada. I love apples.")),
            Duration.ofSeconds(120), r -> { });
        QaClient.Reply reply = replies.get("harry");
        assertTrue(reply != null && reply.answer() != null, "answered: " + replies);
        // the loop keeps publishing while the question travels: the answer comes from the version ServeQA started
        // on or a newer one it swapped in meanwhile, never an older or unpublished one
        long answeredBy = reply.answer().path("model_version").asLong();
        assertTrue(answeredBy >= version
            && Files.isRegularFile(work.resolve("models/squad/" + answeredBy + "/eval.json")), reply.answer().toString());
      }
      long signalled = System.nanoTime();
      p.toHandle().destroy(); // SIGTERM, as Ctrl-C or a scheduler's stop
      // a bound on a stuck part: Pretrain's step and checkpoint, the evaluator's fine-tuning in progress
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "Platform did not exit after SIGTERM: " + lines);
      platform.reader().join(); // every line the process wrote, read
      System.out.printf("PlatformTest: exited %d ms after SIGTERM%n", (System.nanoTime() - signalled) / 1_000_000);
      assertEquals(0, p.exitValue(), "exit status after SIGTERM: " + lines);
    } finally {
      p.destroyForcibly();
    }
    String text = String.join("\n", lines);
    // every part stopped and was waited for, in order, before the end
    List<String> stopLines = List.of("Platform: stopping every part ...", "Platform: ingest stopped",
        "Platform: pretrain stopped", "Platform: evaluate stopped", "Platform: serve stopped", "Platform: stopped");
    assertEquals(stopLines, lines.stream().filter(stopLines::contains).toList(), text);
    assertTrue(text.contains("[pretrain] Pretrain: stop requested"), text);
    assertTrue(text.contains("[evaluate] stopped on request"), text);
    Matcher stopped = Pattern.compile("stopped at step (\\d+) of " + STEPS + " as asked; --restore_checkpoint=latest "
        + "continues from (\\S+)").matcher(text);
    assertTrue(stopped.find(), text);
    String checkpoint = String.format("ckpt-%06d", Long.parseLong(stopped.group(1)));
    assertEquals(checkpoint, Path.of(stopped.group(2)).getFileName().toString(), stopped.group());
    assertTrue(Files.isDirectory(work.resolve("pretrain/tiny").resolve(checkpoint)), "the stop's checkpoint is saved");
    // the evaluator stopped between steps of its work: only whole versions, no staging folder left behind
    try (Stream<Path> entries = Files.list(work.resolve("models/squad"))) {
      for (Path entry : entries.toList()) {
        assertTrue(entry.getFileName().toString().matches("\\d+") && Files.isRegularFile(entry.resolve("eval.json")),
            "a complete version: " + entry);
      }
    }

    // the same command again continues the work folder: no --overwrite, the book is not ingested again, Pretrain
    // resumes from the stop's checkpoint, and the evaluator goes on with the checkpoints it has not recorded
    Launched again = launch(args);
    try {
      awaitLine(again.lines(), Pattern.compile("^\\[pretrain\\] resumed from \\S*/" + checkpoint + " at step "
          + stopped.group(1) + "$"), Duration.ofSeconds(300));
      awaitLine(again.lines(), Pattern.compile("^\\[evaluate\\] ckpt-\\d+ \\(step \\d+\\): exact match"),
          Duration.ofSeconds(300));
      again.process().toHandle().destroy();
      assertTrue(again.process().waitFor(300, TimeUnit.SECONDS), "the restart did not exit: " + again.lines());
      again.reader().join();
      assertEquals(0, again.process().exitValue(), "exit status of the restart: " + again.lines());
    } finally {
      again.process().destroyForcibly();
    }
    String restarted = String.join("\n", again.lines());
    assertFalse(restarted.matches("(?s).*\\[ingest  \\] batch \\d+: \\d+ new file.*"), restarted);
    Set<String> recorded = new HashSet<>();
    for (String line : Files.readAllLines(work.resolve("evaluate/evaluations.jsonl"))) {
      String evaluated = new ObjectMapper().readTree(line).get("checkpoint").asText();
      assertTrue(recorded.add(evaluated), "recorded once: " + evaluated);
    }
  }

  @Test
  void aFailingPartStopsTheOthersAndTheExitStatusIsOne(@TempDir Path dir) throws Exception {
    Path book = SHARED.resolve("data/books/blake-poems.txt");
    Path vocab = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(book) && Files.isRegularFile(vocab),
        "reference data not found under " + SHARED.resolve("data").toAbsolutePath() + " (books/, vocab/): skipping");
    Path work = dir.resolve("platform");
    Files.copy(book, Files.createDirectories(work.resolve("corpus")).resolve(book.getFileName()));
    Path notSquad = Files.writeString(dir.resolve("not-squad.json"), "this is not SQuAD JSON");
    Launched platform = launch("--work_dir=" + work, "--vocab_file=" + vocab, "--squad=" + notSquad,
        "--steps=" + STEPS, "--save_checkpoints_steps=10", "--train_batch_size=4", "--poll_interval_s=1");
    Process p = platform.process();
    List<String> lines = platform.lines();
    try {
      assertTrue(p.waitFor(600, TimeUnit.SECONDS), "Platform did not exit after its evaluator failed: " + lines);
      platform.reader().join();
      assertEquals(1, p.exitValue(), "exit status: " + lines);
    } finally {
      p.destroyForcibly();
    }
    String text = String.join("\n", lines);
    // every other part stopped and was waited for, in order, before the one-line failure
    List<String> stopLines = List.of("Platform: evaluate failed; stopping the other parts",
        "Platform: stopping every part ...", "Platform: ingest stopped", "Platform: pretrain stopped",
        "Platform: evaluate stopped", "Platform: serve stopped", "Platform: stopped");
    assertEquals(stopLines, lines.stream().filter(stopLines::contains).toList(), text);
    String failure = "Platform failed: the evaluate part failed: " + notSquad + ": not valid JSON";
    int failureLine = -1;
    for (int i = 0; i < lines.size(); i++) {
      failureLine = lines.get(i).startsWith(failure) ? i : failureLine;
    }
    assertTrue(failureLine > lines.indexOf("Platform: stopped"), "the failure is the last word: " + text);
  }

  /** A Platform process, the thread reading its output, and the lines read so far. */
  private record Launched(Process process, Thread reader, List<String> lines) {}

  /** {@code ./electra Platform ARGS} in a JVM of its own, its output (stderr too) collected line by line. */
  private static Launched launch(String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "Platform"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lines.add(line);
          System.out.println("PlatformTest| " + line);
        }
      } catch (IOException closed) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Launched(p, reader, lines);
  }

  /** The first line matching {@code pattern}, waiting up to {@code timeout} for it. */
  private static String awaitLine(List<String> lines, Pattern pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      synchronized (lines) {
        for (String line : lines) {
          if (pattern.matcher(line).find()) {
            return line;
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no line matching " + pattern + " within " + timeout.toSeconds() + " s: " + lines);
  }
}
