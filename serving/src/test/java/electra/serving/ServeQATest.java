package electra.serving;

import electra.export.InferenceEngine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.infra.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** ServeQA end to end: a real Kafka broker in this JVM, the embedded Flink runner, the golden tiny model. */
class ServeQATest {

  private static Path model;

  @BeforeAll
  static void export() throws Exception {
    model = TestModels.export();
  }

  static final String[] CONTEXTS = {
      "My name is Harry and I grew up in Canada. I love apples.",
      "Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) "
          + "for the 2015 season. The Denver Broncos defeated the Carolina Panthers 24-10.",
      "The Amazon rainforest covers much of the Amazon basin of South America. Most of the forest is in Brazil.",
      "Tesla was born in 1856 in Smiljan. He moved to the United States in 1884 and worked for Edison.",
  };
  static final String[] QUESTIONS = {"What food does Harry like?", "Who won Super Bowl 50?",
      "Where is most of the forest?", "When did Tesla move?"};

  static ServeQaOptions options(String... args) {
    return new ServeQA().parse(args);
  }

  static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(p);
  }

  static KafkaConsumer<String, String> consumer(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + topic + "-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaConsumer<String, String> c = new KafkaConsumer<>(p);
    c.subscribe(List.of(topic));
    return c;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Polls until {@code count} records arrived or {@code timeout} passed; returns what arrived. */
  static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> c, int count, Duration timeout) {
    List<ConsumerRecord<String, String>> out = new ArrayList<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (out.size() < count && System.nanoTime() < deadline) {
      c.poll(Duration.ofMillis(200)).forEach(out::add);
    }
    return out;
  }

  static void send(KafkaProducer<byte[], byte[]> producer, String topic, String id, byte[] value) {
    producer.send(new ProducerRecord<>(topic, id == null ? null : id.getBytes(StandardCharsets.UTF_8), value));
  }

  static byte[] request(int i) {
    return QaMessages.request("req-" + i, QUESTIONS[i % QUESTIONS.length], CONTEXTS[i % CONTEXTS.length])
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Checks an answer message against the request it answers. */
  static void checkAnswer(ConsumerRecord<String, String> r) {
    JsonNode a = QaMessages.read(r.value());
    String id = a.get("id").asText();
    assertEquals(r.key(), id, "answers are keyed by request id");
    int i = Integer.parseInt(id.substring("req-".length()));
    String context = CONTEXTS[i % CONTEXTS.length];
    String text = a.get("answer").asText();
    assertTrue(!text.isEmpty(), r.value());
    assertEquals(text, QaModelTest.span(context, a.get("start_char").asInt(), a.get("end_char").asInt()), r.value());
    assertEquals("tiny-qa", a.get("model").asText());
    assertEquals("onnxruntime", a.get("engine").asText(), "auto, on an export with model.onnx: " + r.value());
    assertTrue(a.get("score").isNumber() && a.get("latency_ms").asLong() >= 0, r.value());
  }

  @Test
  void answersEveryGoodRequestAndReportsTheBadOnesWithReasons() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    // No --bootstrap_servers: the job starts its own broker and creates the topics.
    int metricsPort = freePort();
    try (ServeQA.Running job = ServeQA.start(options("--model=" + model, "--max_batch_size=8",
        "--max_batch_wait_ms=20", "--max_context_chars=400", "--metrics_port=" + metricsPort),
        new PrintStream(log, true, StandardCharsets.UTF_8))) {
      String bootstrap = job.bootstrapServers();
      assertTrue(log.toString(StandardCharsets.UTF_8).contains("started a Kafka broker"), log.toString());
      assertTrue(log.toString(StandardCharsets.UTF_8).contains(", model " + model + " (onnxruntime), group "),
          "the default engine, auto, runs an export with model.onnx on ONNX Runtime: " + log);
      assertTrue(job.awaitReady(Duration.ofSeconds(60)), "ready within 60 s");
      assertEquals(Set.of("qa-requests-0"), job.readerPartitions(), "ready: the reader has its partition");
      Map<String, String> bad = new LinkedHashMap<>(); // key of the error record -> expected start of the reason
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap);
          KafkaConsumer<String, String> answers = consumer(bootstrap, "qa-answers");
          KafkaConsumer<String, String> errors = consumer(bootstrap, "qa-errors")) {
        for (int i = 0; i < 200; i++) {
          send(producer, "qa-requests", "req-" + i, request(i));
          switch (i % 40) {
            case 5 -> {
              send(producer, "qa-requests", null, "{\"id\": \"oops".getBytes(StandardCharsets.UTF_8));
              bad.put("null#" + i, "not JSON");
            }
            case 15 -> {
              send(producer, "qa-requests", null, QaMessages.request("long-" + i, "Why?", "word ".repeat(200))
                  .getBytes(StandardCharsets.UTF_8));
              bad.put("long-" + i, "context too long: 1000 characters");
            }
            case 25 -> {
              send(producer, "qa-requests", null, ("{\"id\": \"noq-" + i + "\", \"context\": \"c\"}")
                  .getBytes(StandardCharsets.UTF_8));
              bad.put("noq-" + i, "missing field \"question\"");
            }
            case 35 -> {
              send(producer, "qa-requests", null, ("{\"id\": \"enc-" + i + "\", \"question\": \"caf\u00e9\", "
                  + "\"context\": \"c\"}").getBytes(StandardCharsets.ISO_8859_1));
              bad.put("enc-" + i, "bad encoding"); // the id is read from before the bad bytes
            }
            default -> { }
          }
        }
        producer.flush();
        List<ConsumerRecord<String, String>> got = poll(answers, 200, Duration.ofSeconds(90));
        Map<String, Integer> perId = new HashMap<>();
        for (ConsumerRecord<String, String> r : got) {
          checkAnswer(r);
          perId.merge(r.key(), 1, Integer::sum);
        }
        assertEquals(200, perId.size(), "every good request is answered");
        assertEquals(200, got.size(), "and only once");
        List<ConsumerRecord<String, String>> errs = poll(errors, bad.size(), Duration.ofSeconds(30));
        assertEquals(bad.size(), errs.size(), errs.toString());
        List<String> expectedReasons = new ArrayList<>(bad.values());
        for (int k = 0; k < errs.size(); k++) {
          JsonNode e = QaMessages.read(errs.get(k).value());
          String key = new ArrayList<>(bad.keySet()).get(k);
          if (key.startsWith("null#")) {
            assertTrue(e.get("id").isNull(), e.toString());
          } else {
            assertEquals(key, e.get("id").asText());
            assertEquals(key, errs.get(k).key());
          }
          assertTrue(e.get("error").asText().startsWith(expectedReasons.get(k)), e + " vs " + expectedReasons.get(k));
        }
        System.out.printf("ServeQA: 200 answers and %d errors, %.1f s from start%n", errs.size(),
            (System.nanoTime() - t0) / 1e9);

        // What an operator sees: the job's Beam metrics on the Prometheus endpoint, counted as sent.
        Map<String, Double> m = PrometheusEndpoint.awaitServeQaMetrics(metricsPort, "requests", 220,
            Duration.ofSeconds(30));
        assertEquals(220, m.get("requests"), m.toString());
        assertEquals(200, m.get("answers"), m.toString());
        for (String cause : List.of("not_json", "too_long", "missing_field", "bad_encoding")) {
          assertEquals(5, m.get("errors_" + cause), cause + ": " + m);
        }
        assertEquals(0, m.getOrDefault("errors_model_failure", 0.0), m.toString());
        assertEquals(200, m.get("latency_ms_count"), m.toString());
        assertTrue(m.get("latency_ms_sum") > 0, m.toString());
        assertTrue(m.get("model_latency_ms_count") > 0 && m.get("model_latency_ms_sum") > 0, m.toString());
        // Limits that need the tokenizer (here: too many windows? no, too long) are checked inside the model run.
        assertEquals(205, m.get("batch_size_sum"), "every valid request was in one model run: " + m);
        assertEquals(m.get("model_latency_ms_count"), m.get("batch_size_count"), m.toString());
        assertEquals(1, m.get("ready"), m.toString());
        assertEquals(ServedModel.EXPORT_FOLDER_VERSION, m.get("model_version"), m.toString());

        // One request at a time: end-to-end latency through Kafka + Flink next to the bare model's.
        int n = 20;
        double[] endToEnd = new double[n];
        double[] bare = new double[n];
        ServedModel answerer = SharedAnswerers.acquire(SharedAnswerers.Spec.exportFolder(model, 8,
            InferenceEngine.TENSORFLOW, new RequestLimits(1000, 0, 400, 16)));
        try {
          for (int i = 0; i < n; i++) {
            int r = 1000 + i;
            long s0 = System.nanoTime();
            answerer.answerAll(List.of(new QaAnswerer.Question("bare", QUESTIONS[r % QUESTIONS.length],
                CONTEXTS[r % CONTEXTS.length])));
            bare[i] = (System.nanoTime() - s0) / 1e6;
            long s1 = System.nanoTime();
            send(producer, "qa-requests", "req-" + r, request(r));
            producer.flush();
            List<ConsumerRecord<String, String>> one = poll(answers, 1, Duration.ofSeconds(10));
            endToEnd[i] = (System.nanoTime() - s1) / 1e6;
            assertEquals(1, one.size());
            assertEquals("req-" + r, one.get(0).key());
          }
        } finally {
          SharedAnswerers.release(answerer);
        }
        java.util.Arrays.sort(endToEnd);
        java.util.Arrays.sort(bare);
        System.out.printf("latency, one request at a time (ms): through Kafka+Flink p50 %.1f p90 %.1f max %.1f; "
            + "bare QaAnswerer p50 %.1f p90 %.1f max %.1f%n", endToEnd[n / 2], endToEnd[n * 9 / 10], endToEnd[n - 1],
            bare[n / 2], bare[n * 9 / 10], bare[n - 1]);
      }
    }
  }

  @Test
  void aNewConsumerGroupStartsAtTheTopicsEndUnlessFromBeginning() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics("qa-requests", "qa-answers", "qa-errors");
      String bootstrap = kafka.bootstrapServers();
      PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap);
          KafkaConsumer<String, String> answers = consumer(bootstrap, "qa-answers")) {
        send(producer, "qa-requests", "req-0", request(0)); // history, before any job
        producer.flush();
        try (ServeQA.Running job = ServeQA.start(options("--model=" + model, "--bootstrap_servers=" + bootstrap,
            "--group_id=first-deploy"), quiet)) {
          assertTrue(job.awaitReady(Duration.ofSeconds(60)), "ready within 60 s");
          send(producer, "qa-requests", "req-1", request(1));
          producer.flush();
          List<ConsumerRecord<String, String>> got = poll(answers, 1, Duration.ofSeconds(30));
          got.addAll(poll(answers, 1, Duration.ofSeconds(2)));
          assertEquals(List.of("req-1"), got.stream().map(ConsumerRecord::key).toList(),
              "a first deploy answers what is sent after it is ready, not the topic's history");
        }
        try (ServeQA.Running replay = ServeQA.start(options("--model=" + model, "--bootstrap_servers=" + bootstrap,
            "--group_id=replay", "--from_beginning"), quiet)) {
          List<ConsumerRecord<String, String>> got = poll(answers, 2, Duration.ofSeconds(60));
          assertEquals(List.of("req-0", "req-1"), got.stream().map(ConsumerRecord::key).sorted().toList(),
              "--from_beginning: a new group answers the whole history");
        }
      }
    }
  }

  @Test
  void aJobKilledMidStreamAndRestartedWithTheSameGroupAnswersEveryRequest() throws Exception {
    long duplicates = killAndRestart(false);
    assertTrue(duplicates >= 0);
  }

  @Test
  void theEngineIsAutoUnlessOneIsAskedFor() throws Exception {
    assertEquals(InferenceEngine.AUTO, options("--model=" + model).getEngine());
    assertEquals(InferenceEngine.TENSORFLOW, options("--model=" + model, "--engine=tensorflow").getEngine());
    assertEquals(InferenceEngine.ONNXRUNTIME, options("--model=" + model, "--engine=onnxruntime").getEngine());
    assertEquals(InferenceEngine.ONNXRUNTIME, options("--model=" + model, "--engine=ONNXRUNTIME").getEngine());
    // A Flink cluster's TaskManagers get the options as JSON (Beam's SerializablePipelineOptions): auto survives it,
    // to be resolved there for each version they load.
    ObjectMapper json = new ObjectMapper();
    for (InferenceEngine engine : InferenceEngine.values()) {
      String sent = json.writeValueAsString(options("--model=" + model, "--engine=" + engine.id()));
      assertTrue(sent.contains("\"engine\":\"" + engine.id() + "\""), sent);
      assertEquals(engine, json.readValue(sent, PipelineOptions.class).as(ServeQaOptions.class).getEngine(), sent);
    }
  }

  @Test
  void exactlyOnceIsRefusedWithTheReason() {
    electra.cli.UsageException e = org.junit.jupiter.api.Assertions.assertThrows(electra.cli.UsageException.class,
        () -> ServeQA.start(options("--model=" + model, "--exactly_once"), System.out));
    assertTrue(e.getMessage().contains("at least once"), e.getMessage());
  }

  @Test
  void exactlyOnceProbe() throws Exception {
    // Found on Beam 2.62 + Flink 1.19 (see docs/serving.md): fails. Re-test a newer runner with
    // -DargLine="-Delectra.serving.experimentalEos=true --add-opens=java.base/java.util=ALL-UNNAMED"
    assumeTrue(Boolean.getBoolean(ServeQA.EXPERIMENTAL_EOS_PROPERTY),
        "skipped: KafkaIO's exactly-once sink fails on this runner; probe with -D" + ServeQA.EXPERIMENTAL_EOS_PROPERTY
        + "=true");
    long duplicates = killAndRestart(true);
    assertEquals(0, duplicates);
  }

  /** {@code ./electra ServeQA ...} in a JVM of its own, for the restart test's {@code kill -9}. */
  public static final class ServeQaMain {
    public static void main(String[] args) throws Exception {
      new ServeQA().run(args);
    }
  }

  /**
   * Starts a job on a steady stream of requests, kills it mid-stream, sends the rest and starts it again with the same
   * consumer group; every request must be answered. With {@code exactlyOnce} both jobs run in this JVM and the first
   * is cancelled (the probe of KafkaIO's exactly-once sink); otherwise the first runs in a JVM of its own and gets
   * {@code kill -9}: no shutdown hook, no final checkpoint, no offset commit. Returns the number of duplicate answers.
   */
  private long killAndRestart(boolean exactlyOnce) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopics("qa-requests", "qa-answers", "qa-errors");
      String bootstrap = kafka.bootstrapServers();
      // --from_beginning: the first request goes out while the first job starts.
      String[] args = {"--model=" + model, "--bootstrap_servers=" + bootstrap, "--group_id=restart-test",
          "--from_beginning",
          "--checkpointing_interval=500", "--max_batch_size=4", "--exactly_once=" + exactlyOnce};
      PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      int total = 300;
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap);
          KafkaConsumer<String, String> answers = consumer(bootstrap, "qa-answers")) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        int sent = 0;
        ServeQA.Running inProcess = exactlyOnce ? ServeQA.start(options(args), quiet) : null;
        Process child = exactlyOnce ? null : startChild(args);
        try {
          // One request until the job answers it (it is starting), then a steady stream; kill the job while it is
          // in the middle of it.
          long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
          while (got.size() < 60 && sent < total) {
            assertTrue(System.nanoTime() < deadline, "the first job answered " + got.size() + " requests in 120 s");
            assertTrue(child == null || child.isAlive(), "the first job exited on its own");
            int burst = got.isEmpty() ? (sent == 0 ? 1 : 0) : 5;
            for (int k = 0; k < burst && sent < total; k++, sent++) {
              send(producer, "qa-requests", "req-" + sent, request(sent));
            }
            producer.flush();
            got.addAll(poll(answers, 1, Duration.ofMillis(got.isEmpty() ? 500 : 50)));
          }
          assertTrue(got.size() >= 60 && sent < total, "killed mid-stream: " + got.size() + " answers, " + sent
              + " of " + total + " requests sent");
        } finally {
          if (inProcess != null) {
            inProcess.close(); // cancels: no final checkpoint
          }
          if (child != null) {
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the killed job is gone");
          }
        }
        if (child != null) {
          assertEquals(137, child.exitValue(), "killed by SIGKILL (128 + 9)");
        }
        int answeredBeforeKill = got.size();
        for (; sent < total; sent++) {
          send(producer, "qa-requests", "req-" + sent, request(sent));
        }
        producer.flush();
        try (ServeQA.Running second = ServeQA.start(options(args), quiet)) {
          long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
          while (distinct(got) < total && System.nanoTime() < deadline) {
            got.addAll(poll(answers, total, Duration.ofSeconds(2)));
          }
          got.addAll(poll(answers, total, Duration.ofSeconds(3))); // late duplicates, if any
        }
        Map<String, Integer> perId = new HashMap<>();
        got.forEach(r -> {
          checkAnswer(r);
          perId.merge(r.key(), 1, Integer::sum);
        });
        for (int i = 0; i < total; i++) {
          assertNotNull(perId.get("req-" + i), "request req-" + i + " is answered");
        }
        long duplicates = got.size() - perId.size();
        System.out.printf("restart: %d answers before the kill, %d requests, %d answers in all, %d duplicates "
            + "(%s)%n", answeredBeforeKill, total, got.size(), duplicates,
            exactlyOnce ? "exactly-once sink, cancelled" : "at-least-once, kill -9");
        assertEquals(total, perId.size());
        return duplicates;
      }
    }
  }

  /** ServeQA with {@code args} in a JVM of its own; its output goes to this one's stderr. */
  private static Process startChild(String[] args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", ServeQaMain.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return builder.start();
  }

  private static long distinct(List<ConsumerRecord<String, String>> records) {
    return records.stream().map(ConsumerRecord::key).distinct().count();
  }
}
