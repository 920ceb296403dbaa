package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import electra.export.InferenceEngine;
import electra.infra.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** BenchmarkServing on the golden tiny model: 30 requests through the embedded broker and Flink, then bare. */
class BenchmarkServingTest {

  /**
   * With the default engine, auto: ONNX Runtime in the job and bare, as the export has model.onnx (the next test
   * serves with TensorFlow).
   */
  @Test
  void measuresEveryRequestAndPrintsSaneNumbers() throws Exception {
    Path model = TestModels.export();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    BenchmarkServing.Report r = BenchmarkServing.benchmark(BenchmarkServing.Settings.parse("--model=" + model,
        "--requests=30", "--rate=30", "--warmup=5", "--max_warmup_s=20", "--timeout_s=90"),
        BenchmarkServing.BUILT_IN, out);
    BenchmarkServing.print(r, out);
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    assertEquals(30, r.answered(), text);
    assertTrue(r.kafka().p50() > 0 && r.kafka().p50() <= r.kafka().p99(), text);
    assertTrue(r.bareSingle().p50() > 0 && r.bareSingle().p50() <= r.bareSingle().p99(), text);
    assertTrue(r.kafkaThroughput() > 0 && r.bareBatchThroughput() > 0, text);
    assertTrue(r.p50Ratio() > 0 && r.throughputRatio() > 0, text);
    assertTrue(text.contains("30/30 answered") && text.contains("ratio: p50 through Kafka / bare p50 = "), text);
    assertEquals(InferenceEngine.ONNXRUNTIME, r.engine(), text);
    assertTrue(text.contains("; batch 16; engine onnxruntime\n"), "the settings line names the engine auto picked: "
        + text);
    // Every hop of every request was stamped: by the client, the job's Kafka clients and the answering step.
    assertTrue(text.contains("where the time went through Kafka + Flink"), text);
    for (RequestTimeline.Hop hop : RequestTimeline.PATH) {
      assertTrue(text.lines().anyMatch(l -> l.contains(hop.name()) && l.endsWith("(30)")), hop.name() + ": " + text);
    }
    // The bare requests' model run, split the same way: each of its hops twice, once in the job and once bare.
    for (RequestTimeline.Hop hop : RequestTimeline.MODEL_RUN) {
      assertEquals(2, text.lines().filter(l -> l.contains(hop.name()) && l.endsWith("(30)")).count(),
          hop.name() + ": " + text);
    }
    assertTrue(text.contains("throughput is the offered 30.0 req/s, not a capacity"), "a paced run judges latency only: "
        + text);
    assertTrue(r.markdownRow().startsWith("| ") && r.markdownRow().split("\\|").length == 12, r.markdownRow());
    assertTrue(r.markdownRow().contains(" | onnxruntime | 16 | 30 | 30/30 | "), r.markdownRow());
    assertTrue(r.markdownRow().endsWith(String.format(java.util.Locale.ROOT, "| %.2fx | - |", r.p50Ratio())),
        "a paced row has no throughput ratio: " + r.markdownRow());
    // Kafka alone, at the same rate through the same broker: all 30 came back, and faster than through the job and
    // the model, whose path holds the same two hops.
    assertTrue(r.kafkaAlone() != null && r.kafkaAlone().p50() > 0, text);
    assertTrue(r.kafkaAlone().p50() < r.kafka().p50(), text);
    assertEquals(r.kafka().p50() - r.bareSingle().p50() - r.kafkaAlone().p50(), r.jobBeyondKafkaMs(), 1e-9);
    assertTrue(text.contains(String.format(java.util.Locale.ROOT, "(bare p50 + Kafka p50) / bare p50 = %.2f, ",
        r.kafkaAloneRatio())), text);

    // Where the CPU went, through the job and bare: the thread that ran the model in each is listed (the job's
    // answering step runs in its Flink source task's thread).
    assertEquals(2, text.lines().filter(l -> l.startsWith(BenchmarkServing.CPU_HEADING)).count(), text);
    assertTrue(r.jobCpu().lines().anyMatch(l -> l.trim().startsWith("Source: ")), r.jobCpu());
    assertTrue(r.bareCpu().lines().anyMatch(l -> l.trim().startsWith("all ")), r.bareCpu());

    BenchmarkServing.Report saturated = new BenchmarkServing.Report(r.requests(), r.answered(), 0,
        r.bareBatchThroughput() * 0.95, r.kafka(), r.bareSingle(), r.bareBatchThroughput(), r.batchSize(), r.engine(),
        r.source(), null, null, null, null, null, null);
    String verdict = BenchmarkServing.verdict(saturated);
    assertTrue(verdict.startsWith("ratio: throughput through Kafka / bare batch throughput = 0.95 (target >= 0.9: met)"),
        "a saturated run judges throughput only: " + verdict);
    assertFalse(verdict.contains("p50 through Kafka"), verdict);
    assertTrue(saturated.markdownRow().contains("| max | ") && saturated.markdownRow().endsWith("| - | 0.95x |"),
        "a saturated row has no latency ratio: " + saturated.markdownRow());
  }

  @Test
  void onAGivenClusterOnlyThisRunsRequestsAreAnsweredAndCounted() throws Exception {
    Path model = TestModels.export();
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics("qa-requests", "qa-answers", "qa-errors");
      String bootstrap = kafka.bootstrapServers();
      // What an earlier run or another client left: requests the job must not answer, an answer not to be counted.
      try (KafkaProducer<String, String> old = new KafkaProducer<>(Map.of(
          ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
        for (int i = 0; i < 5; i++) {
          List<String[]> pairs = BenchmarkServing.BUILT_IN.pairs();
          String[] p = pairs.get(i % pairs.size());
          old.send(new ProducerRecord<>("qa-requests", "old-" + i, QaMessages.request("old-" + i, p[0], p[1])));
        }
        old.send(new ProducerRecord<>("qa-answers", "req-0", "{\"id\":\"req-0\",\"answer\":\"stale\"}"));
      }
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      BenchmarkServing.Report r = BenchmarkServing.benchmark(BenchmarkServing.Settings.parse("--model=" + model,
          "--bootstrap_servers=" + bootstrap, "--requests=12", "--rate=0", "--max_batch_size=4", "--warmup=4",
          "--max_warmup_s=10", "--timeout_s=90", "--engine=tensorflow"), BenchmarkServing.BUILT_IN,
          new PrintStream(buf, true, StandardCharsets.UTF_8));
      String text = buf.toString(StandardCharsets.UTF_8);
      assertEquals(12, r.answered(), text);
      assertEquals(InferenceEngine.TENSORFLOW, r.engine(), "an engine asked for is used");
      assertEquals(null, r.kafkaAlone(), "a saturated run measures no round trip of Kafka alone");
      assertTrue(r.kafka().p50() > 0 && r.kafka().p50() <= r.kafka().p99(), text);
      List<String> answeredIds = new ArrayList<>();
      try (KafkaConsumer<String, String> answers = new KafkaConsumer<>(Map.of(
          ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
          ConsumerConfig.GROUP_ID_CONFIG, "check-answers",
          ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
          ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
          ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
        answers.subscribe(List.of("qa-answers"));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (answeredIds.stream().filter(id -> id.startsWith("bench") && id.contains("req-")).count() < 12
            && System.nanoTime() < deadline) {
          answers.poll(Duration.ofMillis(200)).forEach(a -> answeredIds.add(a.key()));
        }
      }
      assertEquals(12, answeredIds.stream().filter(id -> id.startsWith("bench") && id.contains("req-")).count(),
          answeredIds.toString());
      assertTrue(answeredIds.stream().noneMatch(id -> id.startsWith("old-")), "answered old requests: " + answeredIds);
    }
  }

  @Test
  void swapsNewVersionsInDuringTheRunAndSplitsTheLatencies() throws Exception {
    Path model = TestModels.export();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    BenchmarkServing.Report r = BenchmarkServing.benchmark(BenchmarkServing.Settings.parse("--model=" + model,
        "--requests=100", "--rate=20", "--warmup=4", "--max_warmup_s=5", "--swap_every_s=2"),
        BenchmarkServing.BUILT_IN, out);
    BenchmarkServing.print(r, out);
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    assertEquals(100, r.answered(), "no request lost to a swap: " + text);
    BenchmarkServing.Swaps swaps = r.swaps();
    assertTrue(swaps.swaps() >= 1, text);
    assertTrue(text.contains("swap: version 2 served "), text);
    assertEquals(100, swaps.windowRequests() + swaps.steadyRequests(), text);
    assertTrue(swaps.windowRequests() > 0 && swaps.window().p50() > 0, text);
    assertTrue(text.contains("swap-window p99 / steady p99 = "), text);
  }

  @Test
  void warmUpStopsAfterAQuietRoundOrWhenOutOfTime() {
    List<Integer> rounds = new ArrayList<>();
    assertEquals("no warm-up", new BenchmarkServing.Warmup(0, 60, 0.05).run(rounds::add));
    assertEquals(List.of(), rounds);
    // Any share counts as quiet: one round.
    new BenchmarkServing.Warmup(3, 60, Double.MAX_VALUE).run(rounds::add);
    assertEquals(List.of(0), rounds);
    // Out of time after the first round, however busy the JIT was.
    rounds.clear();
    String said = new BenchmarkServing.Warmup(3, 0, Double.MIN_VALUE).run(rounds::add);
    assertEquals(List.of(0), rounds);
    assertTrue(said.startsWith("1 round(s) of 3 requests"), said);
    assertThrows(IllegalArgumentException.class, () -> new BenchmarkServing.Warmup(3, 60, 0));
  }

  @Test
  void settingsKeepTheirDefaultsAndCheckEachFlag() {
    BenchmarkServing.Settings defaults = BenchmarkServing.Settings.parse("--model=m");
    assertEquals(new BenchmarkServing.Settings(Path.of("m"), 200, 20, 16, 10, InferenceEngine.AUTO, null, 20,
        120, null, 2000, 300, 0), defaults);
    assertEquals(new BenchmarkServing.Warmup(20, 120, BenchmarkServing.Warmup.QUIET_JIT_SHARE), defaults.warmup());
    assertEquals(Duration.ofSeconds(300), defaults.timeout());
    assertEquals("--requests must be >= 1, got 0", assertThrows(UsageException.class,
        () -> BenchmarkServing.Settings.parse("--model=m", "--requests=0")).getMessage());
    assertEquals("--rate must be >= 0, got -1.0", assertThrows(UsageException.class,
        () -> BenchmarkServing.Settings.parse("--model=m", "--rate=-1")).getMessage());
    assertEquals("--context_file nowhere.json not found", assertThrows(UsageException.class,
        () -> BenchmarkServing.Settings.parse("--model=m", "--context_file=nowhere.json")).getMessage());
  }

  /** The documented run (docs/benchmarks.md): {@code -Delectra.benchmark.args="--requests=200 --rate=20"} (SQuAD dev pairs if present). */
  @Test
  void fullRunWhenAsked() throws Exception {
    String args = System.getProperty("electra.benchmark.args");
    org.junit.jupiter.api.Assumptions.assumeTrue(args != null, "skipped: set -Delectra.benchmark.args to run it");
    Path model = TestModels.export();
    String[] given = args.isBlank() ? new String[0] : args.trim().split("\\s+");
    String[] all = new String[given.length + 1];
    all[0] = "--model=" + model;
    System.arraycopy(given, 0, all, 1, given.length);
    new BenchmarkServing(System.out).run(all);
  }
}
