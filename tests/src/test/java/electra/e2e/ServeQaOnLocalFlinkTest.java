package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.Overwrite;
import electra.export.QaHead;
import electra.serving.PrometheusEndpoint;
import electra.serving.QaMessages;
import electra.serving.ServeQA;
import electra.squad.AnswerDecoder;
import electra.squad.SquadVersion;
import electra.tokenization.Vocabulary;
import electra.trainer.export.ExportModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ServeQA on a real Flink cluster, out of process: {@code ./electra LocalKafka} (two partitions) and
 * {@code ./electra LocalFlink --taskmanagers=2} in JVMs of their own, ServeQA submitted with {@code --flink_master}
 * and the job jar, {@code --parallelism=2}. A steady client sends requests to both partitions; one TaskManager is
 * killed with SIGKILL; LocalFlink starts it again and the job restores its last checkpoint. Every request id is
 * answered (counted in Kafka), each TaskManager JVM loaded the model once, and the duplicates, the outage and the
 * latency are printed for infra/README.md.
 *
 * <p>Needs the job jar, which the launcher module makes in its {@code package} phase (before this module's tests in
 * {@code mvn verify}); skipped without it, as DistributionTest is.
 */
class ServeQaOnLocalFlinkTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String VERSION = System.getProperty("electra.version", "0.1.0-SNAPSHOT");
  private static final Path JOB_JAR = ROOT.resolve("launcher/target/electra-jobs-" + VERSION + ".jar");
  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));
  private static final String[][] QUESTIONS = {
      {"What food does Harry like?", "My name is Harry and I grew up in Canada. I love apples."},
      {"Where is most of the forest?", "The Amazon rainforest covers much of the Amazon basin of South America. Most "
          + "of the forest is in Brazil."}};
  /** One request per partition every this many milliseconds. */
  private static final long SEND_EVERY_MS = 50;

  @TempDir
  Path tmp;

  @Test
  void aKilledTaskManagerLosesNoRequest() throws Exception {
    Path golden = SHARED.resolve("golden/tiny-discriminator-qa");
    Path vocab = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
    assumeTrue(Files.isRegularFile(JOB_JAR), "skipped: " + JOB_JAR + " is made in launcher's package phase "
        + "(mvn -B package -pl launcher -am -DskipTests, or verify)");
    assumeTrue(Files.isDirectory(golden) && Files.isRegularFile(vocab), "skipped: " + golden + " and " + vocab
        + " not found");

    int metricsPort = freeMetricsPorts(3);
    try (JobProcess kafka = JobProcess.start("LocalKafka", "--port=0", "--partitions=2");
        JobProcess flink = JobProcess.start("LocalFlink", "--taskmanagers=2", "--rest_port=0",
            "--metrics_port=" + metricsPort)) {
      Path model = tmp.resolve("tiny-qa");
      ExportModel.export(golden, Vocabulary.load(vocab), model, new Overwrite(false), new ExportModel.Settings(96, 32,
          24, true, 100, QaHead.SIMPLE, 0, AnswerDecoder.Options.defaults(SquadVersion.V1_1)));
      String bootstrap = kafka.await(Pattern.compile("bootstrap servers:\\s+(\\S+)")).group(1);
      int restPort = Integer.parseInt(flink.await(Pattern.compile("--flink_master=localhost:(\\d+)")).group(1));
      long jobManager = Long.parseLong(flink.await(Pattern.compile("JobManager: pid (\\d+)")).group(1));
      Matcher tm1 = flink.await(Pattern.compile("TaskManager 1: pid (\\d+), log (\\S+)"));
      Matcher tm2 = flink.await(Pattern.compile("TaskManager 2: pid (\\d+), log (\\S+)"));
      long killed = Long.parseLong(tm1.group(1));

      ByteArrayOutputStream submitted = new ByteArrayOutputStream();
      Client client = new Client(bootstrap);
      try (ServeQA.Running job = ServeQA.start(new ServeQA().parse("--model=" + model,
          "--bootstrap_servers=" + bootstrap, "--flink_master=localhost:" + restPort, "--files_to_stage=" + JOB_JAR,
          "--parallelism=2", "--group_id=local-flink-test", "--from_beginning", "--checkpointing_interval=1000",
          "--max_batch_size=8"), new PrintStream(submitted, true, StandardCharsets.UTF_8))) {
        // A few requests until both subtasks answer and nothing waits, so that the steady state starts unloaded.
        client.start(500);
        client.awaitAnswersOnBothPartitions(Duration.ofSeconds(300), flink);
        client.awaitAllAnswered(Duration.ofSeconds(120));
        client.sendEvery(SEND_EVERY_MS);
        Thread.sleep(2_000);
        long steadyFrom = System.nanoTime();
        Thread.sleep(8_000);
        awaitCompletedCheckpoint(restPort, Duration.ofSeconds(30));
        long steadyTo = System.nanoTime();

        long killedAt = System.nanoTime();
        ProcessHandle.of(killed).orElseThrow().destroyForcibly();
        Matcher restarted = flink.await(Pattern.compile("TaskManager 1 restarted: pid (\\d+), log (\\S+)"));
        assertTrue(flink.output().contains("TaskManager 1 (pid " + killed + ") exited with status 137"),
            flink.output());
        client.awaitAnswersSentAfter(killedAt, Duration.ofSeconds(120), flink);
        Thread.sleep(3_000);
        client.stopSending();
        client.awaitAllAnswered(Duration.ofSeconds(90));

        // Counted in Kafka: every answer record on qa-answers, read again from the beginning.
        Map<String, Integer> answers = countRecords(bootstrap, "qa-answers");
        assertEquals(0, countRecords(bootstrap, "qa-errors").size(), "no request was refused");
        List<String> lost = client.sentIds().stream().filter(id -> !answers.containsKey(id)).toList();
        assertEquals(List.of(), lost, "requests lost across the TaskManager kill");
        assertEquals(client.sentIds().size(), answers.size(), "nothing answered that was not asked");
        int duplicates = answers.values().stream().mapToInt(n -> n - 1).sum();
        assertTrue(duplicates < client.sentIds().size() / 2, "duplicates: " + duplicates);
        assertEquals(QUESTIONS.length, client.answerTexts().size(), "one answer text per question: "
            + client.answerTexts());

        // Both subtasks answered (one partition each), and each TaskManager JVM loaded the model once.
        Path killedLog = Path.of(tm1.group(2));
        Path survivorLog = Path.of(tm2.group(2));
        Path restartedLog = Path.of(restarted.group(2));
        String killedPartition = partitionOf(killedLog);
        assertNotEquals(killedPartition, partitionOf(survivorLog), "each TaskManager read one partition");
        for (Path log : List.of(killedLog, survivorLog, restartedLog)) {
          assertEquals(1, count(Files.readString(log), "loaded the QA model "), log + " loads the model once");
          assertEquals(1, count(Files.readString(log), " (onnxruntime) in this process"), log + ": the default "
              + "--engine=auto runs an export with model.onnx on ONNX Runtime in the TaskManagers too");
        }
        assertEquals(killedPartition, partitionOf(restartedLog), "the restarted TaskManager took the lost partition");

        int partition = partitionNumber(killedPartition);
        Client.Gap outage = client.longestGap(partition, killedAt);
        double p50 = client.latencyPercentile(steadyFrom, steadyTo, 0.50);
        double p99 = client.latencyPercentile(steadyFrom, steadyTo, 0.99);
        System.out.printf(java.util.Locale.ROOT, "ServeQaOnLocalFlinkTest: %d requests at %.0f/s, lost %d, "
                + "duplicates %d, outage on %s %.1f s (answers again %.1f s after the kill), steady latency p50 "
                + "%.0f ms, p99 %.0f ms, longest wait %.1f s, load average %.1f%n",
            client.sentIds().size(), 2000.0 / SEND_EVERY_MS, lost.size(), duplicates, killedPartition,
            outage.seconds(), outage.endAfterKillSeconds(), p50, p99, client.longestWaitSeconds(),
            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        assertTrue(outage.endAfterKillSeconds() > 0 && outage.endAfterKillSeconds() < 120, "" + outage);

        // LocalFlink's --metrics_port: Flink's Prometheus reporter in each process, ServeQA's Beam counters on the
        // endpoint of the TaskManager that ran the subtask. The survivor counted each request of its partition once;
        // the replacement (the same port as the killed one) at least those sent after the kill, and those it read
        // again from the checkpoint, but no more than its partition holds.
        long survivorSent = client.sentTo(partitionNumber(partitionOf(survivorLog)), Long.MIN_VALUE);
        Map<String, Double> survivor = PrometheusEndpoint.awaitServeQaMetrics(metricsPort + 2, "answers",
            survivorSent, Duration.ofSeconds(30));
        assertEquals(survivorSent, survivor.getOrDefault("requests", -1.0), "TaskManager 2's endpoint: " + survivor);
        assertEquals(survivorSent, survivor.getOrDefault("answers", -1.0), "TaskManager 2's endpoint: " + survivor);
        long sentAfterKill = client.sentTo(partition, killedAt);
        long sentToKilled = client.sentTo(partition, Long.MIN_VALUE);
        Map<String, Double> replacement = PrometheusEndpoint.awaitServeQaMetrics(metricsPort + 1, "answers",
            sentAfterKill, Duration.ofSeconds(30));
        for (String counter : List.of("requests", "answers")) {
          double value = replacement.getOrDefault(counter, -1.0);
          assertTrue(value >= sentAfterKill && value <= sentToKilled, counter + " on the replacement TaskManager's "
              + "endpoint: " + value + ", sent to its partition after the kill " + sentAfterKill + ", in all "
              + sentToKilled + ": " + replacement);
        }
        assertEquals(2.0, prometheusValue(metricsPort, "flink_jobmanager_numRegisteredTaskManagers"),
            "the JobManager's endpoint");
        System.out.printf(java.util.Locale.ROOT, "ServeQaOnLocalFlinkTest: Prometheus, TaskManager 2 (port %d): "
                + "requests %.0f, answers %.0f of %d sent to its partition; the replacement TaskManager 1 (port %d): "
                + "requests %.0f, answers %.0f (%d sent after the kill, %d in all)%n", metricsPort + 2,
            survivor.get("requests"), survivor.get("answers"), survivorSent, metricsPort + 1,
            replacement.get("requests"), replacement.get("answers"), sentAfterKill, sentToKilled);
      } finally {
        client.close();
      }

      long restartedPid = Long.parseLong(flink.await(Pattern.compile("TaskManager 1 restarted: pid (\\d+)"))
          .group(1));
      // SIGTERM, as Kubernetes or kill would stop it; through its handle, since Process.destroy() also closes the
      // pipes, and the lines LocalFlink prints while it stops would be lost.
      flink.process.toHandle().destroy();
      assertTrue(flink.process.waitFor(60, TimeUnit.SECONDS), "LocalFlink stops on SIGTERM:\n" + flink.output());
      assertEquals(128 + 15, flink.process.exitValue(), "a JVM ended by SIGTERM:\n" + flink.output());
      flink.awaitOutputEnd();
      assertTrue(flink.output().contains("LocalFlink: stopped in"), flink.output());
      for (long pid : List.of(jobManager, Long.parseLong(tm2.group(1)), restartedPid)) {
        assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true), "pid " + pid + " stopped with it");
      }
    }
  }

  /** {@code qa-requests-N}'s N. */
  private static int partitionNumber(String partition) {
    return Integer.parseInt(partition.substring(partition.lastIndexOf('-') + 1));
  }

  /**
   * A port with {@code count - 1} free ports above it, for LocalFlink's --metrics_port; below the kernel's ephemeral
   * range (32768 up on Linux), where none of the cluster's own sockets on port 0 (RPC, blob server, shuffle) can take
   * one of them before the TaskManagers bind theirs.
   */
  private static int freeMetricsPorts(int count) {
    Random random = new Random();
    for (int attempt = 0; attempt < 50; attempt++) {
      int base = 20_000 + random.nextInt(12_000);
      if (IntStream.range(base, base + count).allMatch(ServeQaOnLocalFlinkTest::isFree)) {
        return base;
      }
    }
    throw new AssertionError("no " + count + " free ports in a row between 20000 and 32000");
  }

  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port)) {
      return true;
    } catch (IOException inUse) {
      return false;
    }
  }

  /** The value of the one series of {@code metric} on the Prometheus endpoint on {@code port}. */
  private static double prometheusValue(int port, String metric) throws Exception {
    Pattern series = Pattern.compile("^" + metric + "(\\{[^}]*})? (\\S+)$");
    List<String> lines = PrometheusEndpoint.scrape(port);
    List<Double> values = lines.stream().map(series::matcher).filter(Matcher::matches)
        .map(m -> Double.parseDouble(m.group(2))).toList();
    assertEquals(1, values.size(), metric + " on port " + port + ":\n" + String.join("\n", lines));
    return values.get(0);
  }

  /** The partition a TaskManager's subtask read, from the line ServeQA logs when it is ready. */
  private static String partitionOf(Path log) throws IOException {
    Matcher m = Pattern.compile("ServeQA ready: .*partitions \\[(qa-requests-\\d)]").matcher(Files.readString(log));
    assertTrue(m.find(), log + " has ServeQA's ready line with one partition");
    return m.group(1);
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** Waits until the running job has completed a checkpoint (Flink's REST endpoint counts them). */
  private static void awaitCompletedCheckpoint(int restPort, Duration timeout) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode jobs = json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + restPort
          + "/jobs/overview")).build(), HttpResponse.BodyHandlers.ofString()).body()).get("jobs");
      assertEquals(1, jobs.size(), jobs.toString());
      JsonNode checkpoints = json.readTree(http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + restPort
          + "/jobs/" + jobs.get(0).get("jid").asText() + "/checkpoints")).build(),
          HttpResponse.BodyHandlers.ofString()).body());
      if (checkpoints.path("counts").path("completed").asInt() > 0) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "no completed checkpoint: " + checkpoints);
      Thread.sleep(200);
    }
  }

  /** How many records each key has on {@code topic}, from its beginning to its end now. */
  private static Map<String, Integer> countRecords(String bootstrap, String topic) {
    Map<String, Integer> counts = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties(bootstrap))) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertTrue(System.nanoTime() < deadline, "could not read " + topic + " to its end");
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          counts.merge(r.key(), 1, Integer::sum);
        }
      }
    }
    return counts;
  }

  private static Properties consumerProperties(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return p;
  }

  /**
   * A steady client: one request per partition every {@link #SEND_EVERY_MS} ms, and a reader of the answers that
   * keeps when each request was sent and when its first answer arrived.
   */
  private static final class Client implements AutoCloseable {
    record Gap(double seconds, double endAfterKillSeconds) {}

    private final String bootstrap;
    private final AtomicBoolean sending = new AtomicBoolean(true);
    private volatile long periodMs;
    private final AtomicBoolean reading = new AtomicBoolean(true);
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final Map<String, Integer> partitionOf = new ConcurrentHashMap<>();
    private final Map<String, Long> answeredAt = new ConcurrentHashMap<>();
    private final Map<Integer, String> answerTexts = new ConcurrentHashMap<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    Client(String bootstrap) {
      this.bootstrap = bootstrap;
    }

    /** Starts sending, one request per partition every {@code periodMs}, and reading the answers. */
    void start(long periodMs) {
      this.periodMs = periodMs;
      threads.add(new Thread(this::send, "client-send"));
      threads.add(new Thread(this::read, "client-read"));
      threads.forEach(Thread::start);
    }

    private void send() {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
        for (int i = 0; sending.get(); i++) {
          for (int partition = 0; partition < 2; partition++) {
            String id = "r" + i + "-p" + partition;
            String[] q = QUESTIONS[partition];
            partitionOf.put(id, partition);
            sentAt.put(id, System.nanoTime());
            producer.send(new ProducerRecord<>("qa-requests", partition, id, QaMessages.request(id, q[0], q[1])))
                .get();
          }
          Thread.sleep(periodMs);
        }
      } catch (Exception | AssertionError e) {
        failures.add(e);
      }
    }

    private void read() {
      Properties p = consumerProperties(bootstrap);
      p.put(ConsumerConfig.GROUP_ID_CONFIG, "local-flink-test-client");
      p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
        consumer.subscribe(List.of("qa-answers"));
        while (reading.get()) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
            long now = System.nanoTime();
            JsonNode a = QaMessages.read(r.value());
            assertEquals(r.key(), a.get("id").asText(), "answers are keyed by request id");
            answeredAt.putIfAbsent(r.key(), now);
            int question = Integer.parseInt(r.key().substring(r.key().indexOf("-p") + 2));
            String text = a.get("answer").asText();
            String before = answerTexts.putIfAbsent(question, text);
            assertTrue(before == null || before.equals(text), "every answer to the same question is the same ("
                + before + " / " + text + "), whichever TaskManager gave it");
          }
        }
      } catch (Exception | AssertionError e) {
        failures.add(e);
      }
    }

    private void check() {
      if (!failures.isEmpty()) {
        throw new AssertionError("the client failed: " + failures.get(0), failures.get(0));
      }
    }

    void awaitAnswersOnBothPartitions(Duration timeout, JobProcess flink) throws InterruptedException {
      awaitAnswersSentAfter(Long.MIN_VALUE, timeout, flink);
    }

    /** Waits until a request sent after {@code nanoTime} has been answered on each partition. */
    void awaitAnswersSentAfter(long nanoTime, Duration timeout, JobProcess flink) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (int partition = 0; partition < 2; partition++) {
        while (!answeredSentAfter(partition, nanoTime)) {
          check();
          assertTrue(System.nanoTime() < deadline, "no answer on partition " + partition + " within "
              + timeout.toSeconds() + " s; answered " + answeredAt.size() + " of " + sentAt.size() + "\n"
              + flink.output());
          Thread.sleep(100);
        }
      }
    }

    private boolean answeredSentAfter(int partition, long nanoTime) {
      return answeredAt.keySet().stream().anyMatch(id -> partitionOf.get(id) == partition
          && sentAt.get(id) > nanoTime);
    }

    void sendEvery(long periodMs) {
      this.periodMs = periodMs;
    }

    void stopSending() throws InterruptedException {
      sending.set(false);
      threads.get(0).join();
      check();
    }

    void awaitAllAnswered(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (answeredAt.size() < sentAt.size()) {
        check();
        assertTrue(System.nanoTime() < deadline, "answered " + answeredAt.size() + " of " + sentAt.size());
        Thread.sleep(100);
      }
    }

    List<String> sentIds() {
      return List.copyOf(sentAt.keySet());
    }

    /** How many requests went to {@code partition} after {@code nanoTime}. */
    long sentTo(int partition, long nanoTime) {
      return sentAt.entrySet().stream().filter(e -> partitionOf.get(e.getKey()) == partition
          && e.getValue() > nanoTime).count();
    }

    Map<Integer, String> answerTexts() {
      return Map.copyOf(answerTexts);
    }

    /** The longest time between two first answers on {@code partition} around the kill, and when it ended. */
    Gap longestGap(int partition, long killedAt) {
      List<Long> times = answeredAt.entrySet().stream().filter(e -> partitionOf.get(e.getKey()) == partition)
          .map(Map.Entry::getValue).sorted().toList();
      long longest = 0;
      long end = killedAt;
      for (int i = 1; i < times.size(); i++) {
        long gap = times.get(i) - times.get(i - 1);
        if (gap > longest && times.get(i) > killedAt) {
          longest = gap;
          end = times.get(i);
        }
      }
      return new Gap(longest / 1e9, (end - killedAt) / 1e9);
    }

    /** The latency percentile of requests sent between {@code from} and {@code to}, in ms. */
    double latencyPercentile(long from, long to, double p) {
      List<Long> latencies = new ArrayList<>();
      sentAt.forEach((id, sent) -> {
        if (sent >= from && sent <= to && answeredAt.containsKey(id)) {
          latencies.add(answeredAt.get(id) - sent);
        }
      });
      assertTrue(latencies.size() > 20, "steady-state answers: " + latencies.size());
      Collections.sort(latencies);
      return latencies.get((int) Math.min(latencies.size() - 1, Math.floor(p * latencies.size()))) / 1e6;
    }

    double longestWaitSeconds() {
      return sentAt.entrySet().stream().mapToLong(e -> answeredAt.get(e.getKey()) - e.getValue()).max().orElse(0)
          / 1e9;
    }

    @Override
    public void close() throws InterruptedException {
      sending.set(false);
      reading.set(false);
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
  }
}
