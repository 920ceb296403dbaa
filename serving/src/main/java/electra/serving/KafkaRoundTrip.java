package electra.serving;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka alone, as a request through ServeQA meets it: the client sends a message, an echo reads it with the settings
 * of the job's consumer and sends it back with those of the job's producer, and the client reads the echo, all through
 * one broker. No Flink and no model: what is left of a request's time through any job behind this broker once the
 * job's own work is taken away, at the same offered rate (at a low rate each hop is slower than at a high one: every
 * thread on the path starts from sleep).
 */
final class KafkaRoundTrip {

  /** The echo's topics, one partition each, created when missing and left for the next run. */
  static final String REQUESTS_TOPIC = "benchmark-echo-requests";
  static final String REPLIES_TOPIC = "benchmark-echo-replies";

  private KafkaRoundTrip() {}

  /**
   * Sends {@code warmup} and then {@code n} of the {@code payloads} (cycled) at {@code rate} per second (0: at once)
   * and returns the measured ones' round trips, ms.
   *
   * @throws IOException when the topics cannot be created, or not every message comes back within {@code timeout}
   */
  static double[] measure(String bootstrap, List<String> payloads, int warmup, int n, double rate, Duration timeout)
      throws IOException, InterruptedException {
    createTopics(bootstrap, timeout);
    Map<String, Long> received = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<RuntimeException> failure = new AtomicReference<>();
    CountDownLatch positioned = new CountDownLatch(2);
    String run = Long.toString(System.nanoTime(), 36) + "-";
    List<Thread> threads = List.of(
        thread("benchmark-echo", () -> echo(bootstrap, positioned, stop), failure),
        thread("benchmark-echo-client", () -> readReplies(bootstrap, run, received, positioned, stop), failure));
    threads.forEach(Thread::start);
    try {
      if (!positioned.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("the echo's consumers found no position on " + REQUESTS_TOPIC + " and " + REPLIES_TOPIC
            + " within " + timeout.toSeconds() + " s");
      }
      try (KafkaProducer<String, String> producer = BenchmarkServing.producer(bootstrap)) {
        long[] sent = new long[warmup + n];
        long t0 = System.nanoTime();
        for (int i = 0; i < warmup + n; i++) {
          BenchmarkServing.awaitTurn(t0, i, rate);
          sent[i] = System.nanoTime();
          producer.send(new ProducerRecord<>(REQUESTS_TOPIC, run + i, payloads.get(i % payloads.size())));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < warmup + n && System.nanoTime() < deadline && failure.get() == null) {
          Thread.sleep(20);
        }
        if (failure.get() != null) {
          throw new IOException("the echo failed: " + failure.get().getMessage(), failure.get());
        }
        if (received.size() < warmup + n) {
          throw new IOException((warmup + n - received.size()) + " of " + (warmup + n) + " messages did not come "
              + "back through " + REQUESTS_TOPIC + " and " + REPLIES_TOPIC + " within " + timeout.toSeconds() + " s");
        }
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
          ms[i] = (received.get(run + (warmup + i)) - sent[warmup + i]) / 1e6;
        }
        return ms;
      }
    } finally {
      stop.set(true);
      for (Thread t : threads) {
        t.join(5000);
      }
    }
  }

  private static Thread thread(String name, Runnable body, AtomicReference<RuntimeException> failure) {
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (RuntimeException e) {
        failure.compareAndSet(null, e);
      }
    }, name);
    t.setDaemon(true);
    return t;
  }

  /** Reads what the client sends and sends it back, with the job's consumer and producer settings. */
  private static void echo(String bootstrap, CountDownLatch positioned, AtomicBoolean stop) {
    Properties consumerProps = consumerAtEnd(bootstrap);
    consumerProps.putAll(ServeQA.consumerProperties(Map.of(), "benchmark-echo", "latest"));
    Properties producerProps = new Properties();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    producerProps.putAll(ServeQA.producerProperties(Map.of()));
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProps);
        KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps)) {
      assignAtEnd(consumer, REQUESTS_TOPIC);
      positioned.countDown();
      while (!stop.get()) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
          producer.send(new ProducerRecord<>(REPLIES_TOPIC, r.key(), r.value()));
        }
      }
    }
  }

  /** Stamps each of this run's replies as it arrives, polling as BenchmarkServing's answer reader does. */
  private static void readReplies(String bootstrap, String run, Map<String, Long> received,
      CountDownLatch positioned, AtomicBoolean stop) {
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerAtEnd(bootstrap))) {
      assignAtEnd(consumer, REPLIES_TOPIC);
      positioned.countDown();
      while (!stop.get()) {
        var records = consumer.poll(Duration.ofMillis(5));
        long now = System.nanoTime();
        for (ConsumerRecord<String, String> r : records) {
          if (r.key() != null && r.key().startsWith(run)) {
            received.putIfAbsent(r.key(), now);
          }
        }
      }
    }
  }

  private static Properties consumerAtEnd(String bootstrap) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return p;
  }

  /** Reads the topic's one partition from its end, the position fixed before anything is sent. */
  private static void assignAtEnd(KafkaConsumer<String, String> consumer, String topic) {
    TopicPartition partition = new TopicPartition(topic, 0);
    consumer.assign(List.of(partition));
    consumer.seekToEnd(List.of(partition));
    consumer.position(partition);
  }

  private static void createTopics(String bootstrap, Duration timeout) throws IOException, InterruptedException {
    Properties config = new Properties();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (Admin admin = Admin.create(config)) {
      List<NewTopic> topics = new ArrayList<>();
      for (String name : List.of(REQUESTS_TOPIC, REPLIES_TOPIC)) {
        topics.add(new NewTopic(name, 1, (short) -1));
      }
      for (var created : admin.createTopics(topics).values().entrySet()) {
        try {
          created.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IOException("cannot create the topic " + created.getKey() + ": " + e.getCause().getMessage(),
                e.getCause());
          }
        } catch (TimeoutException e) {
          throw new IOException("the broker did not create the topic " + created.getKey() + " within "
              + timeout.toSeconds() + " s", e);
        }
      }
    }
  }
}
