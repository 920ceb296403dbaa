package electra.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.serving.RequestTimeline.Stage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class RequestTimelineTest {

  private static final long MS = 1_000_000;

  @Test
  void stampsOnlyRecordedIdsFirstTimeWinsAndHopsAreTheDifferences() {
    try (RequestTimeline t = RequestTimeline.record("tl-run-")) {
      assertTrue(RequestTimeline.recording());
      long base = 1_000 * MS;
      long[] at = {0, 1, 2, 3, 4, 6, 40, 44, 45, 47}; // ms after SENT, stage by stage
      for (Stage s : Stage.values()) {
        RequestTimeline.stamp("tl-run-1", s, base + at[s.ordinal()] * MS);
      }
      RequestTimeline.stamp("tl-run-1", Stage.SEEN, base + 99 * MS); // a replay, later
      RequestTimeline.stamp("other-1", Stage.SENT, base);
      assertArrayEquals(new long[Stage.values().length], t.stamps("other-1"), "not recorded");
      assertEquals(base + 3 * MS, t.stamps("tl-run-1")[Stage.SEEN.ordinal()], "the first time counts");

      List<String> ids = List.of("tl-run-1", "tl-run-2");
      RequestTimeline.stamp("tl-run-2", Stage.SENT, base); // never answered: left out of the hops it did not reach
      assertArrayEquals(new double[] {2.0}, t.millis(RequestTimeline.PATH.get(0), ids), 1e-9);
      assertArrayEquals(new double[] {2.0}, t.millis(RequestTimeline.PATH.get(3), ids), 1e-9);
      assertArrayEquals(new double[] {34.0}, t.millis(RequestTimeline.PATH.get(4), ids), 1e-9);
      String modelRun = t.describe(RequestTimeline.MODEL_RUN, ids);
      assertEquals(RequestTimeline.MODEL_RUN.size() + 1, modelRun.lines().count(), modelRun);
      assertTrue(modelRun.lines().anyMatch(l -> l.contains("the engine") && l.contains(" 34.00 ")), modelRun);
      assertTrue(modelRun.lines().anyMatch(l -> l.contains("sum of the hops' medians") && l.trim().endsWith("40.00")),
          modelRun);
      String text = t.describe(ids);
      assertEquals(RequestTimeline.PATH.size() + 2, text.lines().count(), text);
      assertTrue(text.lines().anyMatch(l -> l.contains("sum of the hops' medians") && l.trim().endsWith("47.00")),
          text);
      assertTrue(text.lines().anyMatch(l -> l.contains(RequestTimeline.SEND_ACK.name()) && l.contains(" 1.00 ")),
          text);
      assertThrows(IllegalStateException.class, () -> RequestTimeline.record("tl-run-"));
    }
    assertFalse(RequestTimeline.recording(), "closed");
  }

  @Test
  void theKafkaInterceptorStampsPolledRequestsAndSentAnswersAndPassesThemOn() {
    try (RequestTimeline t = RequestTimeline.record("tl-kafka-")) {
      RequestTimeline.KafkaStamps stamps = new RequestTimeline.KafkaStamps();
      TopicPartition tp = new TopicPartition("qa-requests", 0);
      ConsumerRecords<Object, Object> polled = new ConsumerRecords<>(java.util.Map.of(tp, List.of(
          new ConsumerRecord<>("qa-requests", 0, 0, "tl-kafka-1".getBytes(StandardCharsets.UTF_8), new byte[0]),
          new ConsumerRecord<>("qa-requests", 0, 1, null, new byte[0]))));
      assertEquals(polled, stamps.onConsume(polled));
      ProducerRecord<Object, Object> answer = new ProducerRecord<>("qa-answers", "tl-kafka-1", "{}");
      assertEquals(answer, stamps.onSend(answer));
      long[] s = t.stamps("tl-kafka-1");
      assertTrue(s[Stage.POLLED.ordinal()] > 0 && s[Stage.ANSWER_SENT.ordinal()] >= s[Stage.POLLED.ordinal()]);
    }
  }
}
