package electra.serving;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a request's time goes between the client's send and the client reading its answer, stage by stage, for
 * requests whose ids start with a recorded prefix ({@link BenchmarkServing} records its measured requests). The client,
 * the job's Kafka clients ({@link KafkaStamps}, a Kafka interceptor) and {@link AnswerRequestsFn} stamp the stages
 * with {@link System#nanoTime()}, so it works where they share a JVM: the embedded runner. With no prefix recorded,
 * a stamp is one map lookup.
 */
final class RequestTimeline implements AutoCloseable {

  /** The stages, in the order a request passes them. */
  enum Stage {
    /** the client hands the request to its producer */
    SENT,
    /** the broker acknowledged the client's send (off the request's path: the job may read it before that) */
    SENT_ACKED,
    /** the job's Kafka consumer returned it from a poll (KafkaIO's poll thread) */
    POLLED,
    /** the answering step has it (after KafkaIO's reader and Flink's source) */
    SEEN,
    MODEL_START,
    /** the micro-batch's questions are cut into token windows ({@link QaAnswerer#answerAll}) */
    FEATURIZED,
    /** the engine returned the windows' logits */
    PREDICTED,
    MODEL_END,
    /** the job's producer got the answer ({@code send}) */
    ANSWER_SENT,
    /** the client's consumer returned the answer from a poll */
    RECEIVED
  }

  /** A hop of the path: from one stage to the next one. */
  record Hop(String name, Stage from, Stage to) {}

  /** The model run ({@link QaAnswerer#answerAll}), hop by hop: the same inside the job and bare. */
  static final List<Hop> MODEL_RUN = List.of(
      new Hop("model run: featurize (tokens, windows)", Stage.MODEL_START, Stage.FEATURIZED),
      new Hop("model run: the engine", Stage.FEATURIZED, Stage.PREDICTED),
      new Hop("model run: decode (best span)", Stage.PREDICTED, Stage.MODEL_END));

  /** The path a request takes, hop by hop; the hops add up to {@code SENT -> RECEIVED}. */
  static final List<Hop> PATH = Stream.of(List.of(
          new Hop("client send -> job's Kafka consumer (producer, broker, fetch)", Stage.SENT, Stage.POLLED),
          new Hop("-> answering step (KafkaIO reader hand-off, Flink source)", Stage.POLLED, Stage.SEEN),
          new Hop("-> model start (micro-batch wait)", Stage.SEEN, Stage.MODEL_START)),
      MODEL_RUN,
      List.of(
          new Hop("-> answer handed to the job's producer (JSON, Flink chain, KafkaIO write)", Stage.MODEL_END,
              Stage.ANSWER_SENT),
          new Hop("-> client received it (producer, broker, fetch)", Stage.ANSWER_SENT, Stage.RECEIVED)))
      .flatMap(List::stream).toList();

  /** Off the path, for comparison: the client's own send until the broker acknowledged it. */
  static final Hop SEND_ACK = new Hop("client send -> broker's ack to the client", Stage.SENT, Stage.SENT_ACKED);

  private static final Map<String, RequestTimeline> RECORDING = new ConcurrentHashMap<>();

  private final String prefix;
  private final Map<String, AtomicLongArray> stamps = new ConcurrentHashMap<>();

  private RequestTimeline(String prefix) {
    this.prefix = prefix;
  }

  /** Records the stages of requests whose ids start with {@code prefix} until closed. */
  static RequestTimeline record(String prefix) {
    RequestTimeline t = new RequestTimeline(prefix);
    if (RECORDING.putIfAbsent(prefix, t) != null) {
      throw new IllegalStateException("requests with ids starting " + prefix + " are already recorded");
    }
    return t;
  }

  /** Whether any prefix is recorded: callers with more than one stamp to make can skip them all. */
  static boolean recording() {
    return !RECORDING.isEmpty();
  }

  static void stamp(String id, Stage stage) {
    stamp(id, stage, System.nanoTime());
  }

  /** Request {@code id} reached {@code stage} at {@code nanos}; the first time counts (replays come later). */
  static void stamp(String id, Stage stage, long nanos) {
    if (RECORDING.isEmpty() || id == null) {
      return;
    }
    for (RequestTimeline t : RECORDING.values()) {
      if (id.startsWith(t.prefix)) {
        t.stamps.computeIfAbsent(id, k -> new AtomicLongArray(Stage.values().length))
            .compareAndSet(stage.ordinal(), 0, nanos);
      }
    }
  }

  /** The stamps of request {@code id}, 0 for a stage not reached (yet). */
  long[] stamps(String id) {
    AtomicLongArray a = stamps.get(id);
    long[] out = new long[Stage.values().length];
    for (int i = 0; a != null && i < out.length; i++) {
      out[i] = a.get(i);
    }
    return out;
  }

  /** Milliseconds from {@code hop.from} to {@code hop.to} of each of {@code ids} that reached both. */
  double[] millis(Hop hop, List<String> ids) {
    List<Double> out = new ArrayList<>();
    for (String id : ids) {
      long[] s = stamps(id);
      long from = s[hop.from().ordinal()];
      long to = s[hop.to().ordinal()];
      if (from != 0 && to != 0) {
        out.add((to - from) / 1e6);
      }
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** One line per hop of {@link #PATH}, plus {@link #SEND_ACK}: median and mean ms over {@code ids}. */
  String describe(List<String> ids) {
    return describe(PATH, ids) + line(SEND_ACK, millis(SEND_ACK, ids));
  }

  /** One line per hop of {@code hops} and the sum of their medians: median and mean ms over {@code ids}. */
  String describe(List<Hop> hops, List<String> ids) {
    StringBuilder out = new StringBuilder();
    double sum = 0;
    for (Hop hop : hops) {
      double[] ms = millis(hop, ids);
      sum += median(ms);
      out.append(line(hop, ms));
    }
    out.append(String.format(Locale.ROOT, "  %-78s %8.2f%n", "sum of the hops' medians", sum));
    return out.toString();
  }

  private static String line(Hop hop, double[] ms) {
    return String.format(Locale.ROOT, "  %-78s %8.2f %8.2f  (%d)%n", hop.name(), median(ms),
        Arrays.stream(ms).average().orElse(Double.NaN), ms.length);
  }

  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] s = values.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  @Override
  public void close() {
    RECORDING.remove(prefix, this);
  }

  /**
   * Stamps {@link Stage#POLLED} for the records a job's consumer polls and {@link Stage#ANSWER_SENT} for the
   * answers its producers send: give it to the job as {@code --kafka_property=interceptor.classes=<this class>},
   * which reaches both. Records and answers pass unchanged.
   */
  public static final class KafkaStamps implements ConsumerInterceptor<Object, Object>,
      ProducerInterceptor<Object, Object> {

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
      if (recording()) {
        long now = System.nanoTime();
        for (ConsumerRecord<Object, Object> r : records) {
          stamp(text(r.key()), Stage.POLLED, now);
        }
      }
      return records;
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
      if (recording()) {
        stamp(text(record.key()), Stage.ANSWER_SENT);
      }
      return record;
    }

    private static String text(Object key) {
      return key instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : key == null ? null : key.toString();
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
      // acknowledgements carry no key: nothing to stamp
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      // offsets are no stage of a request
    }

    @Override
    public void close() {
      // nothing held
    }

    @Override
    public void configure(Map<String, ?> configs) {
      // no settings
    }
  }
}
