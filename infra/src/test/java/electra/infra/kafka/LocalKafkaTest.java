package electra.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(90)
class LocalKafkaTest {

  private static final Pattern BOOTSTRAP = Pattern.compile("bootstrap servers:\\s+(127\\.0\\.0\\.1:\\d+)");

  @Test
  void isRegisteredAsAJob() {
    List<String> names = ServiceLoader.load(Job.class).stream().map(p -> p.get().name()).toList();
    assertTrue(names.contains("LocalKafka"), names.toString());
  }

  @Test
  void defaults() {
    LocalKafka.Settings s = LocalKafka.flags().parse().record(LocalKafka.Settings.class);
    assertEquals(9092, s.port());
    assertEquals(0, s.controllerPort());
    assertNull(s.logDir());
    assertEquals(List.of("qa-requests", "qa-answers", "qa-errors"), s.topics());
    assertEquals(1, s.partitions());

    LocalKafka.Settings t = LocalKafka.flags().parse("--port=0", "--controller_port", "19093", "--topics= a, b,,a ",
        "--partitions=4", "--log_dir=x/y").record(LocalKafka.Settings.class);
    assertEquals(new LocalKafka.Settings(0, 19093, Path.of("x/y"), List.of("a", "b"), 4), t);
  }

  @Test
  void badFlagsGiveOneLine(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("notes.txt"), "not kafka");
    Map<String[], String> cases = Map.of(
        new String[] {"--port=70000"}, "--port must be between 0 and 65535, got 70000",
        new String[] {"--controller_port=-1"}, "--controller_port must be between 0 and 65535, got -1",
        new String[] {"--port=9100", "--controller_port=9100"}, "--port and --controller_port must differ (both are 9100)",
        new String[] {"--partitions=0"}, "--partitions must be between 1 and 10000, got 0",
        new String[] {"--topics= , "}, "--topics needs at least one topic name, e.g. --topics=qa-requests,qa-answers,qa-errors",
        new String[] {"--topics=qa requests"}, "--topics: Topic name is invalid: 'qa requests' contains one or more"
            + " characters other than ASCII alphanumerics, '.', '_' and '-'",
        new String[] {"--port=abc"}, "--port must be an integer, got 'abc'",
        new String[] {"--bootstrap_servers=x"}, "unknown flag --bootstrap_servers for LocalKafka (see LocalKafka --help)",
        new String[] {"--log_dir=" + dir}, "--log_dir " + dir + " is neither empty nor a Kafka log dir (no meta.properties);"
            + " give a new or empty folder");
    cases.forEach((args, message) -> {
      UsageException e = assertThrows(UsageException.class,
          () -> new LocalKafka(new PrintStream(new ByteArrayOutputStream())).serve(args, new CompletableFuture<>()));
      assertEquals(message, e.getMessage());
      assertFalse(e.getMessage().contains("\n"));
    });
    HelpRequested help = assertThrows(HelpRequested.class, () -> new LocalKafka().run(new String[] {"--help"}));
    for (String flag : List.of("--port", "--controller_port", "--log_dir", "--topics", "--partitions")) {
      assertTrue(help.getMessage().contains(flag), help.getMessage());
    }
  }

  @Test
  void aTakenPortIsAUsageError() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      UsageException e = assertThrows(UsageException.class, () -> new LocalKafka(new PrintStream(
          new ByteArrayOutputStream())).serve(new String[] {"--port=" + port}, new CompletableFuture<>()));
      assertEquals("--port=" + port + " is already in use on 127.0.0.1; pick another port, or --port=0 for any free one",
          e.getMessage());
      UsageException c = assertThrows(UsageException.class, () -> new LocalKafka(new PrintStream(
          new ByteArrayOutputStream())).serve(new String[] {"--port=0", "--controller_port=" + port},
          new CompletableFuture<>()));
      assertEquals("--controller_port=" + port + " is already in use on 127.0.0.1; pick another port, or"
          + " --controller_port=0 for any free one", c.getMessage());
    }
  }

  @Test
  void servesTheTopicsUntilStoppedAndAKeptLogDirComesBack(@TempDir Path dir) throws Exception {
    Path logDir = dir.resolve("kafka");
    String[] args = {"--port=0", "--log_dir=" + logDir, "--topics=qa-requests,qa-answers,qa-errors", "--partitions=2"};

    Running first = Running.start(args);
    String banner = first.output();
    String bootstrap = bootstrap(banner);
    assertTrue(banner.contains("topics:             qa-requests, qa-answers, qa-errors  (2 partitions each"), banner);
    assertTrue(banner.contains("(kept on exit)"), banner);
    assertTrue(banner.contains("./electra Ask --bootstrap_servers=" + bootstrap + " --question="), banner);
    assertTrue(banner.contains("kcat -P -b " + bootstrap + " -t qa-requests -K '|'"), banner);
    assertTrue(banner.contains("kcat -C -b " + bootstrap + " -t qa-answers -o beginning"), banner);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      var described = admin.describeTopics(List.of("qa-requests", "qa-answers", "qa-errors")).allTopicNames()
          .get(10, TimeUnit.SECONDS);
      described.values().forEach(d -> assertEquals(2, d.partitions().size(), d.toString()));
    }
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(
        Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
      producer.send(new ProducerRecord<>("qa-requests", "id-1", "{\"question\":\"who?\"}")).get(10, TimeUnit.SECONDS);
    }
    UsageException inUse = assertThrows(UsageException.class, () -> new LocalKafka(new PrintStream(
        new ByteArrayOutputStream())).serve(new String[] {"--port=0", "--log_dir=" + logDir}, new CompletableFuture<>()));
    assertEquals("--log_dir " + logDir + " is in use by another running Kafka broker; stop that one or give another"
        + " folder", inUse.getMessage());

    String log = first.stop();
    assertTrue(log.contains("LocalKafka: stopped in "), log);
    assertTrue(log.contains("the data stays in " + logDir.toAbsolutePath()), log);

    Running second = Running.start(new String[] {"--port=0", "--log_dir=" + logDir, "--topics=qa-requests"});
    String again = second.output();
    assertTrue(again.contains("with the data in " + logDir.toAbsolutePath()), again);
    assertTrue(again.contains("(reused: earlier topics and messages are still there)"), again);
    assertTrue(again.contains("qa-requests  (2 partitions each"), again); // the kept topic, not a new 1-partition one
    try {
      var records = EmbeddedKafkaTest.consumeAll(bootstrap(again), "qa-requests", "read_committed");
      assertEquals(1, records.size());
      assertEquals("id-1", records.get(0).key());
      assertEquals("{\"question\":\"who?\"}", records.get(0).value());
    } finally {
      second.stop();
    }
  }

  @Test
  void sigtermStopsTheBrokerCleanly(@TempDir Path dir) throws Exception {
    // A separate JVM, as `./electra LocalKafka` runs, stopped the way Ctrl-C / kill stop it.
    Path logDir = dir.resolve("kafka");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", LocalKafkaMain.class.getName(), "--port=0",
        "--log_dir=" + logDir).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
        if (line.equals("Ctrl-C stops the broker.")) {
          // The other process's broker holds the log dir: this JVM may not start a second one on it.
          EmbeddedKafka.LogDirInUseException e = assertThrows(EmbeddedKafka.LogDirInUseException.class,
              () -> EmbeddedKafka.builder().logDir(logDir).start());
          assertEquals(logDir.toAbsolutePath(), e.logDir());
          long t0 = System.nanoTime();
          p.toHandle().destroy(); // SIGTERM; Process.destroy() would also close the output we still read
          assertTrue(p.waitFor(20, TimeUnit.SECONDS), "LocalKafka did not exit after SIGTERM: " + lines);
          System.out.printf("LocalKafkaTest: the LocalKafka JVM exited %d ms after SIGTERM%n",
              (System.nanoTime() - t0) / 1_000_000);
        }
        assertTrue(System.nanoTime() < deadline, "LocalKafka did not start: " + lines);
      }
      assertEquals(143, p.waitFor(), "exit status after SIGTERM: " + lines);
      String out = String.join("\n", lines);
      assertTrue(out.contains("LocalKafka: stopped in ") && out.contains("the data stays in " + logDir), out);
      assertFalse(out.contains("Exception"), out);
    } finally {
      p.destroyForcibly();
    }
    try (EmbeddedKafka after = EmbeddedKafka.builder().logDir(logDir).start()) { // free again, topics kept
      assertTrue(after.topics().containsAll(List.of("qa-requests", "qa-answers", "qa-errors")), after.topics().toString());
    }
  }

  private static String bootstrap(String banner) {
    Matcher m = BOOTSTRAP.matcher(banner);
    assertTrue(m.find(), banner);
    return m.group(1);
  }

  /** A LocalKafka job on its own thread, with its output. */
  private static final class Running {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final CompletableFuture<Void> stop = new CompletableFuture<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();

    static Running start(String[] args) throws InterruptedException {
      Running r = new Running();
      PrintStream out = new PrintStream(r.bytes, true, StandardCharsets.UTF_8);
      Thread t = new Thread(() -> {
        try {
          new LocalKafka(out).serve(args, r.stop);
          r.done.complete(null);
        } catch (Throwable e) {
          r.done.completeExceptionally(e);
        }
      }, "LocalKafkaTest-job");
      t.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!r.output().contains("Ctrl-C stops the broker.")) {
        assertFalse(r.done.isDone(), () -> "the job ended early: " + r.output() + r.done);
        assertTrue(System.nanoTime() < deadline, () -> "not started: " + r.output());
        Thread.sleep(20);
      }
      return r;
    }

    String output() {
      synchronized (bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
      }
    }

    String stop() throws Exception {
      stop.complete(null);
      done.get(20, TimeUnit.SECONDS);
      return output();
    }
  }
}
