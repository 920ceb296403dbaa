package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Map;
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
 * Kafka with the served {@code model_version}; SIGTERM then stops every part and the process exits 0 with a
 * checkpoint saved. A part that fails stops the others and the process exits 1 naming it. (The steady client
 * through two publishes is not this test.)
 */
class PlatformTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));

  @Test
  void aDroppedBookBecomesAServedVersionAndSigtermStopsEveryPart(@TempDir Path dir) throws Exception {
    Path book = SHARED.resolve("data/books/blake-poems.txt");
    Path vocab = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Path squad = SHARED.resolve("data/squad/dev-v1.1.json.gz");
    Assumptions.assumeTrue(Files.isRegularFile(book) && Files.isRegularFile(vocab) && Files.isRegularFile(squad),
        "reference data not found under " + SHARED.resolve("data").toAbsolutePath()
            + " (books/, vocab/, squad/): skipping");
    Path work = dir.resolve("platform");
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    Process p = platform(lines, "--work_dir=" + work, "--vocab_file=" + vocab, "--squad=" + squad,
        "--steps=1000", "--save_checkpoints_steps=10", "--train_batch_size=4", "--train_questions=8",
        "--eval_questions=8", "--publish=always", "--poll_interval_s=1");
    try {
      // bounds on a stuck part, not timing targets: a loaded 2-core machine is slow to its first steps
      String waiting = awaitLine(lines, Pattern.compile("waiting for the first book"), Duration.ofSeconds(120));
      assertTrue(waiting.contains(work.resolve("corpus").toString()), waiting);
      Files.copy(book, work.resolve("corpus").resolve(book.getFileName()));
      Matcher ask = Pattern.compile("ask it: \\./electra Ask --bootstrap_servers=(\\S+)")
          .matcher(awaitLine(lines, Pattern.compile("ask it: "), Duration.ofSeconds(600)));
      assertTrue(ask.find());
      // ServeQA starts on the newest version: 1, or a later one published while it started
      Matcher started = Pattern.compile("model .*/models/squad \\(tensorflow, version (\\d+),")
          .matcher(awaitLine(lines, Pattern.compile("ServeQA: qa-requests -> "), Duration.ofSeconds(10)));
      assertTrue(started.find());
      long version = Long.parseLong(started.group(1));
      assertTrue(version >= 1 && Files.isRegularFile(work.resolve("models/squad/" + version + "/eval.json")),
          "version " + version + " is published");
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
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "Platform did not exit after SIGTERM: " + lines);
      awaitLine(lines, Pattern.compile("^Platform: stopped$"), Duration.ofSeconds(10)); // its last line, read
      System.out.printf("PlatformTest: exited %d ms after SIGTERM%n", (System.nanoTime() - signalled) / 1_000_000);
      assertEquals(0, p.exitValue(), "exit status after SIGTERM: " + lines);
    } finally {
      p.destroyForcibly();
    }
    String text = String.join("\n", lines);
    for (String part : List.of("ingest", "pretrain", "evaluate", "serve")) {
      assertTrue(text.contains("Platform: " + part + " stopped"), part + " stopped: " + text);
    }
    assertTrue(text.contains("Pretrain: stop requested"), text);
    Matcher stopped = Pattern.compile("stopped at step (\\d+) of 1000").matcher(text);
    assertTrue(stopped.find(), text);
    try (Stream<Path> run = Files.list(work.resolve("pretrain/tiny"))) {
      assertTrue(run.anyMatch(c -> c.getFileName().toString().equals(
          String.format("ckpt-%06d", Long.parseLong(stopped.group(1))))), "the stop's checkpoint is saved");
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
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    Process p = platform(lines, "--work_dir=" + work, "--vocab_file=" + vocab, "--squad=" + notSquad,
        "--steps=1000", "--save_checkpoints_steps=10", "--train_batch_size=4", "--poll_interval_s=1");
    try {
      assertTrue(p.waitFor(600, TimeUnit.SECONDS), "Platform did not exit after its evaluator failed: " + lines);
      assertEquals(1, p.exitValue(), "exit status: " + lines);
      awaitLine(lines, Pattern.compile("^Platform: stopped$"), Duration.ofSeconds(10));
    } finally {
      p.destroyForcibly();
    }
    String text = String.join("\n", lines);
    assertTrue(text.contains("Platform: evaluate failed; stopping the other parts"), text);
    assertTrue(text.contains("Platform failed: the evaluate part failed: " + notSquad + ": not valid JSON"), text);
    for (String part : List.of("ingest", "pretrain", "serve")) {
      assertTrue(text.contains("Platform: " + part + " stopped"), part + " stopped: " + text);
    }
  }

  /** {@code ./electra Platform ARGS} in a JVM of its own, its output (stderr too) collected into {@code lines}. */
  private static Process platform(List<String> lines, String... args) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "Platform"));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
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
    return p;
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
