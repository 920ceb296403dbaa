package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

  @Test
  void entriesAreTrimmedKeyValuePairs() {
    assertEquals(Map.of("a", "b=c", "d", "e"), ServeQA.kafkaProperties(List.of(" a = b=c", "d=e", " ")));
  }
}
