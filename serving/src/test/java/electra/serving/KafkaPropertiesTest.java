package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

class KafkaPropertiesTest {

  private static final Map<String, Object> GIVEN = ServeQA.kafkaProperties(List.of(
      "security.protocol=SASL_SSL", "auto.offset.reset=latest", "linger.ms=1", "my.plugin.flag=x"));

  @Test
  void eachClientGetsTheSharedSettingsItsOwnAndUnknownOnes() {
    assertEquals(Map.of("security.protocol", "SASL_SSL", "auto.offset.reset", "latest", "my.plugin.flag", "x"),
        ServeQA.forClient(GIVEN, ConsumerConfig.configNames(), ProducerConfig.configNames()));
    assertEquals(Map.of("security.protocol", "SASL_SSL", "linger.ms", "1", "my.plugin.flag", "x"),
        ServeQA.forClient(GIVEN, ProducerConfig.configNames(), ConsumerConfig.configNames()));
  }

  /**
   * The settings a request's latency depends on: an answer leaves at once (no linger), a fetch returns as soon as one
   * request is there; a user's own choice of them stands, the group and manual commits do not move.
   */
  @Test
  void theJobsClientsSendAndFetchWithoutWaitingForMoreUnlessTold() {
    assertEquals(Map.of("security.protocol", "SASL_SSL", "my.plugin.flag", "x", "linger.ms", "1"),
        ServeQA.producerProperties(ServeQA.kafkaProperties(List.of("security.protocol=SASL_SSL", "linger.ms=1",
            "my.plugin.flag=x"))));
    assertEquals(Map.of("security.protocol", "SASL_SSL", "linger.ms", 0),
        ServeQA.producerProperties(ServeQA.kafkaProperties(List.of("security.protocol=SASL_SSL",
            "fetch.min.bytes=9"))));
    assertEquals(Map.of("security.protocol", "SASL_SSL", "group.id", "qa", "auto.offset.reset", "latest",
        "enable.auto.commit", false, "fetch.min.bytes", 1),
        ServeQA.consumerProperties(ServeQA.kafkaProperties(List.of("security.protocol=SASL_SSL", "linger.ms=1")), "qa",
            "latest"));
    assertEquals(Map.of("group.id", "qa", "auto.offset.reset", "earliest", "enable.auto.commit", false,
        "fetch.min.bytes", "65536"),
        ServeQA.consumerProperties(ServeQA.kafkaProperties(List.of("fetch.min.bytes=65536", "enable.auto.commit=true",
            "group.id=other", "auto.offset.reset=earliest")), "qa", "latest"));
  }

  @Test
  void aBrokerThatDoesNotAnswerIsAFailureNamingItsAddressNotASilentWait() {
    long start = System.nanoTime();
    ConnectException e = assertThrows(ConnectException.class, () -> ServeQA.requireBroker("127.0.0.1:1",
        ServeQA.kafkaProperties(List.of("auto.offset.reset=latest")), Duration.ofSeconds(2)));
    assertEquals("no Kafka broker answered at 127.0.0.1:1 within 2 s; check --bootstrap_servers (and"
        + " --kafka_property for a secured cluster), or leave it out to start a broker in this process",
        e.getMessage());
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(15).toNanos(), "gave up near its timeout");
  }

  @Test
  void entriesAreTrimmedKeyValuePairs() {
    assertEquals(Map.of("a", "b=c", "d", "e"), ServeQA.kafkaProperties(List.of(" a = b=c", "d=e", " ")));
  }
}
