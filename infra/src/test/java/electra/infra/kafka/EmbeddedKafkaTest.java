package electra.infra.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One shared broker for the message tests; the lifecycle tests start their own. */
@Timeout(90)
class EmbeddedKafkaTest {

  static final List<String> QA_TOPICS = List.of("qa-requests", "qa-answers", "qa-errors");

  static EmbeddedKafka kafka;

  @BeforeAll
  static void startBroker() {
    long t0 = System.nanoTime();
    kafka = EmbeddedKafka.builder().partitions(3).start();
    long t1 = System.nanoTime();
    kafka.createTopics(QA_TOPICS.toArray(String[]::new));
    System.out.printf("EmbeddedKafkaTest: shared broker up in %d ms, 3 topics in %d ms, %s%n",
        (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000, kafka);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      long t0 = System.nanoTime();
      kafka.close();
      System.out.printf("EmbeddedKafkaTest: shared broker closed in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }
  }

  @Test
  void createsTheQaTopicsIdempotently() {
    assertTrue(kafka.bootstrapServers().matches("127\\.0\\.0\\.1:\\d+"), kafka.bootstrapServers());
    assertEquals(QA_TOPICS.stream().sorted().toList(),
        kafka.topics().stream().filter(QA_TOPICS::contains).toList());
    kafka.createTopics("qa-requests", "qa-answers", "qa-errors"); // again: no error, nothing changes
    kafka.createTopics(5, "qa-requests");                        // an existing topic keeps its partitions
    kafka.createTopics(2, "two-partitions");
    Map<String, Integer> expected = new LinkedHashMap<>();
    expected.put("qa-requests", 3);
    expected.put("qa-answers", 3);
    expected.put("qa-errors", 3);
    expected.put("two-partitions", 2);
    assertEquals(expected, kafka.partitions("qa-requests", "qa-answers", "qa-errors", "two-partitions", "missing"));
  }

  @Test
  void keyedMessagesComeBackWithTheirKeysInPartitionOrder() throws Exception {
    String topic = "qa-requests";
    Map<Integer, List<String>> sentByPartition = new TreeMap<>();
    Map<String, Integer> partitionOfKey = new HashMap<>();
    try (KafkaProducer<String, String> producer = producer(Map.of())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, "key-" + (i % 10), "value-" + i)));
      }
      producer.flush();
      for (int i = 0; i < 100; i++) {
        RecordMetadata m = sent.get(i).get();
        String key = "key-" + (i % 10);
        Integer before = partitionOfKey.putIfAbsent(key, m.partition());
        assertTrue(before == null || before == m.partition(), key + " went to two partitions");
        sentByPartition.computeIfAbsent(m.partition(), p -> new ArrayList<>()).add(key + "=value-" + i);
      }
    }
    assertTrue(sentByPartition.size() > 1, "10 keys over 3 partitions should use more than one: " + sentByPartition);

    List<ConsumerRecord<String, String>> received = consumeAll(topic, "read_uncommitted");
    assertEquals(100, received.size());
    Map<Integer, List<String>> receivedByPartition = received.stream().collect(Collectors.groupingBy(
        ConsumerRecord::partition, TreeMap::new, Collectors.mapping(r -> r.key() + "=" + r.value(), Collectors.toList())));
    assertEquals(sentByPartition, receivedByPartition);
    for (ConsumerRecord<String, String> r : received) {
      int i = Integer.parseInt(r.value().substring("value-".length()));
      assertEquals("key-" + (i % 10), r.key());
    }
  }

  @Test
  void readCommittedSeesOnlyCommittedTransactions() throws Exception {
    String topic = "qa-answers";
    try (KafkaProducer<String, String> producer = producer(Map.of(
        ProducerConfig.TRANSACTIONAL_ID_CONFIG, "embedded-kafka-test-tx",
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
      producer.initTransactions();
      producer.beginTransaction();
      for (int i = 0; i < 5; i++) {
        producer.send(new ProducerRecord<>(topic, "q" + i, "committed-" + i));
      }
      producer.commitTransaction();
      producer.beginTransaction();
      for (int i = 0; i < 5; i++) {
        producer.send(new ProducerRecord<>(topic, "q" + i, "aborted-" + i));
      }
      producer.flush(); // the aborted records really reach the log before the abort
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "q-last", "committed-last"));
      producer.commitTransaction();
    }

    List<String> committed = values(consumeAll(topic, "read_committed"));
    assertEquals(Set.of("committed-0", "committed-1", "committed-2", "committed-3", "committed-4", "committed-last"),
        new HashSet<>(committed));
    assertEquals(6, committed.size());

    List<String> everything = values(consumeAll(topic, "read_uncommitted"));
    assertEquals(11, everything.size(), "read_uncommitted also sees the aborted batch: " + everything);
    assertTrue(everything.containsAll(List.of("aborted-0", "aborted-4")), everything.toString());
  }

  @Test
  void aKeptLogDirSurvivesARestart(@TempDir Path dir) throws Exception {
    Path logDir = dir.resolve("kafka-data");
    String clusterId;
    List<String> sent = IntStream.range(0, 20).mapToObj(i -> "kept-" + i).toList();
    try (EmbeddedKafka first = EmbeddedKafka.builder().logDir(logDir).start()) {
      assertFalse(first.deletesLogDirOnClose());
      clusterId = first.clusterId();
      first.createTopics("kept");
      EmbeddedKafka.LogDirInUseException e = assertThrows(EmbeddedKafka.LogDirInUseException.class,
          () -> EmbeddedKafka.builder().logDir(logDir).start());
      assertEquals(logDir.toAbsolutePath(), e.logDir());
      try (KafkaProducer<String, String> producer = producer(first, Map.of())) {
        for (String v : sent) {
          producer.send(new ProducerRecord<>("kept", v, v));
        }
      }
    }
    assertTrue(Files.isRegularFile(logDir.resolve("meta.properties")), "the kept log dir is still there");

    try (EmbeddedKafka second = EmbeddedKafka.builder().logDir(logDir).start()) {
      assertEquals(clusterId, second.clusterId());
      assertTrue(second.topics().contains("kept"), second.topics().toString());
      assertEquals(sent, values(consumeAll(second, "kept", "read_uncommitted")));
      second.createTopics("kept"); // still idempotent after a restart
    }
    assertTrue(Files.isDirectory(logDir.resolve("kept-0")));
  }

  @Test
  void closeIsQuickAndLeavesNoNonDaemonThreads() throws Exception {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    long t0 = System.nanoTime();
    EmbeddedKafka own = EmbeddedKafka.start();
    long started = System.nanoTime();
    own.createTopics("closing");
    try (KafkaProducer<String, String> producer = producer(own, Map.of())) {
      producer.send(new ProducerRecord<>("closing", "k", "v")).get();
    }
    assertEquals(List.of("v"), values(consumeAll(own, "closing", "read_committed")));
    Path logDir = own.logDir();
    assertTrue(own.deletesLogDirOnClose());
    List<Thread> brokerThreads = newThreads(before);
    long t1 = System.nanoTime();
    own.close();
    long closeMillis = (System.nanoTime() - t1) / 1_000_000;
    List<Thread> leftNonDaemon = newThreads(before).stream().filter(t -> !t.isDaemon()).toList();
    List<Thread> leftDaemon = newThreads(before).stream().filter(Thread::isDaemon).toList();
    System.out.printf("EmbeddedKafkaTest: own broker start %d ms, close %d ms; %d new threads while running"
            + " (%d non-daemon), after close: %d non-daemon %s, %d daemon %s%n",
        (started - t0) / 1_000_000, closeMillis, brokerThreads.size(),
        brokerThreads.stream().filter(t -> !t.isDaemon()).count(),
        leftNonDaemon.size(), names(leftNonDaemon), leftDaemon.size(), names(leftDaemon));

    assertTrue(closeMillis < 5_000, "close took " + closeMillis + " ms");
    assertEquals(List.of(), names(leftNonDaemon), "non-daemon threads left after close");
    assertFalse(Files.exists(logDir), "the temporary log dir is deleted");
    own.close(); // twice is fine
  }

  @Test
  void aTakenPortIsReportedClearly() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      EmbeddedKafka.PortInUseException e = assertThrows(EmbeddedKafka.PortInUseException.class,
          () -> EmbeddedKafka.builder().port(port).start());
      assertEquals(port, e.port());
      assertEquals("Kafka port " + port + " on 127.0.0.1 is already in use; choose another one, or 0 for any free port",
          e.getMessage());

      EmbeddedKafka.PortInUseException c = assertThrows(EmbeddedKafka.PortInUseException.class,
          () -> EmbeddedKafka.builder().controllerPort(port).start());
      assertEquals(port, c.port());
      assertTrue(c.getMessage().startsWith("Kafka controller port " + port + " on 127.0.0.1 is already in use"),
          c.getMessage());
    }
    // The shared broker's own port, as a second LocalKafka on the same port would see it.
    EmbeddedKafka.PortInUseException e = assertThrows(EmbeddedKafka.PortInUseException.class,
        () -> EmbeddedKafka.builder().port(kafka.port()).start());
    assertEquals(kafka.port(), e.port());
  }

  @Test
  void aBindFailureInsideKafkaIsReportedAsPortInUse() throws IOException {
    // Kafka's own bind failure (the race after choosing a free port), forced by overriding its listeners.
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
      long t0 = System.nanoTime();
      int controllerPort = freePort();
      EmbeddedKafka.PortInUseException e = assertThrows(EmbeddedKafka.PortInUseException.class,
          () -> EmbeddedKafka.builder().controllerPort(controllerPort)
              .brokerProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort)
              .brokerProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port)
              .timeout(Duration.ofSeconds(20))
              .start());
      System.out.printf("EmbeddedKafkaTest: bind failure inside Kafka reported after %d ms: %s%n",
          (System.nanoTime() - t0) / 1_000_000, e.getMessage());
      assertEquals(port, e.port());
      assertEquals(List.of(), names(newThreads(before).stream().filter(t -> !t.isDaemon()).toList()),
          "non-daemon threads left after a failed start");
    }
  }

  @Test
  void badSettingsAreRejectedBeforeStarting() {
    assertThrows(IllegalArgumentException.class, () -> EmbeddedKafka.builder().port(70000));
    assertThrows(IllegalArgumentException.class, () -> EmbeddedKafka.builder().partitions(0));
    assertThrows(IllegalArgumentException.class, () -> kafka.createTopics(0, "zero"));
    assertThrows(IllegalArgumentException.class, () -> kafka.createTopics(""));
  }

  // ---------------------------------------------------------------------------------------------------------

  static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    return producer(kafka, extra);
  }

  static KafkaProducer<String, String> producer(EmbeddedKafka broker, Map<String, Object> extra) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    p.putAll(extra);
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  static List<ConsumerRecord<String, String>> consumeAll(String topic, String isolation) {
    return consumeAll(kafka, topic, isolation);
  }

  static List<ConsumerRecord<String, String>> consumeAll(EmbeddedKafka broker, String topic, String isolation) {
    return consumeAll(broker.bootstrapServers(), topic, isolation);
  }

  /** Every record of every partition, from the start up to the end offsets as seen with {@code isolation}. */
  static List<ConsumerRecord<String, String>> consumeAll(String bootstrapServers, String topic, String isolation) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(10));
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        assertTrue(System.nanoTime() < deadline, "timed out reading " + topic + " up to " + end);
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
      }
      return records;
    }
  }

  static List<String> values(List<ConsumerRecord<String, String>> records) {
    return records.stream().map(ConsumerRecord::value).toList();
  }

  static List<Thread> newThreads(Set<Thread> before) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive()).toList();
  }

  static List<String> names(List<Thread> threads) {
    return threads.stream().map(Thread::getName).sorted().toList();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
