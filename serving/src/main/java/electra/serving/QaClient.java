package electra.serving;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Asks a running ServeQA questions through Kafka and waits for their replies: it reads the answers and errors
 * topics from their ends as they were before it sent anything (no consumer group, nothing committed), so only
 * replies to its own requests count, however much the topics already hold.
 */
public final class QaClient implements AutoCloseable {

  /** The three topics of a ServeQA job. */
  public record Topics(String requests, String answers, String errors) {
    public static final Topics DEFAULTS = new Topics("qa-requests", "qa-answers", "qa-errors");
  }

  /** One question. */
  public record Request(String id, String question, String context) {}

  /**
   * What came back for a request: its answer message, or the reason ServeQA refused it.
   *
   * @param answer the {@code qa-answers} message, null for an error
   * @param error the {@code qa-errors} reason, null for an answer
   * @param roundTripMs from sending the request to reading the reply
   */
  public record Reply(Request request, JsonNode answer, String error, double roundTripMs) {

    /** How {@code Ask} and {@code QuickStart} print it. */
    public String describe() {
      String head = String.format("Q [%s] %s%n  context: %s%n", request.id(), request.question(),
          abbreviate(request.context(), 100));
      if (answer == null) {
        return head + String.format(Locale.ROOT, "  error:   %s (%.0f ms until read back from qa-errors)%n", error,
            roundTripMs);
      }
      String version = answer.has("model_version") ? "; model version " + answer.path("model_version").asLong() : "";
      return head + String.format(Locale.ROOT, "  answer:  \"%s\" (score %.2f%s; latency_ms %d: sent -> answered by "
          + "ServeQA; %.0f ms until read back from qa-answers)%n", answer.path("answer").asText(),
          answer.path("score").asDouble(), version, answer.path("latency_ms").asLong(), roundTripMs);
    }
  }

  private final Topics topics;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<String, String> replies;

  private QaClient(Topics topics, KafkaProducer<byte[], byte[]> producer, KafkaConsumer<String, String> replies) {
    this.topics = topics;
    this.producer = producer;
    this.replies = replies;
  }

  /**
   * Connects to the brokers and marks where the answers and errors topics end now.
   *
   * @param properties more client settings (security, SASL), as ServeQA's {@code --kafka_property}
   */
  public static QaClient connect(String bootstrapServers, Topics topics, Map<String, Object> properties) {
    Properties producerProps = new Properties();
    producerProps.putAll(ServeQA.forClient(properties, ProducerConfig.configNames(), ConsumerConfig.configNames()));
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    Properties consumerProps = new Properties();
    consumerProps.putAll(ServeQA.forClient(properties, ConsumerConfig.configNames(), ProducerConfig.configNames()));
    consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    consumerProps.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    consumerProps.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerProps);
    KafkaConsumer<String, String> replies = new KafkaConsumer<>(consumerProps);
    try {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : List.of(topics.answers(), topics.errors())) {
        List<PartitionInfo> infos = replies.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
          throw new IllegalStateException("topic " + topic + " does not exist on " + bootstrapServers
              + ": is ServeQA running there with these topics?");
        }
        infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
      }
      replies.assign(partitions);
      replies.seekToEnd(partitions);
      partitions.forEach(replies::position); // fixes the ends now, before any request goes out
      return new QaClient(topics, producer, replies);
    } catch (RuntimeException e) {
      replies.close();
      producer.close();
      throw e;
    }
  }

  /**
   * Sends the requests (keyed by id) and waits until each has a reply or {@code timeout} passed; {@code onReply}
   * sees each reply as it comes. Returns the replies by request id, in the order they came; a request that is
   * missing got none in time. An answer repeated after a replay (at-least-once) counts once.
   */
  public Map<String, Reply> ask(List<Request> requests, Duration timeout, Consumer<Reply> onReply) {
    Map<String, Request> byId = new LinkedHashMap<>();
    Map<String, Long> sentAt = new LinkedHashMap<>();
    for (Request r : requests) {
      if (byId.put(r.id(), r) != null) {
        throw new IllegalArgumentException("request id " + r.id() + " is used twice");
      }
      sentAt.put(r.id(), System.nanoTime());
      producer.send(new ProducerRecord<>(topics.requests(), r.id().getBytes(StandardCharsets.UTF_8),
          QaMessages.request(r.id(), r.question(), r.context()).getBytes(StandardCharsets.UTF_8)));
    }
    producer.flush();
    Map<String, Reply> got = new LinkedHashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (got.size() < byId.size() && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, String> record : replies.poll(Duration.ofMillis(100))) {
        JsonNode message = QaMessages.read(record.value());
        String id = message.path("id").asText(null);
        Request request = id == null ? null : byId.get(id);
        if (request == null || got.containsKey(id)) {
          continue; // another client's, or a repeat
        }
        double roundTripMs = (System.nanoTime() - sentAt.get(id)) / 1e6;
        boolean error = record.topic().equals(topics.errors());
        Reply reply = new Reply(request, error ? null : message, error ? message.path("error").asText() : null,
            roundTripMs);
        got.put(id, reply);
        onReply.accept(reply);
      }
    }
    return got;
  }

  @Override
  public void close() {
    replies.close();
    producer.close();
  }

  private static String abbreviate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
