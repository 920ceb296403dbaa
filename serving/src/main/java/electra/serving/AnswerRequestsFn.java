package electra.serving;

import electra.export.InferenceEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, validates and answers requests, micro-batched as {@link MicroBatcher} decides: valid requests are answered
 * together when {@code maxBatchSize} of them are waiting, when the source says no more are waiting (an
 * {@link IdleMarkingSource idle mark}), when one arrives after the oldest has waited {@code --max_batch_wait_ms}, or
 * when the bundle ends, whichever comes first. So a lone request is answered at once, and requests that queued while
 * the model ran are answered together. The runner ends bundles after {@link ServeQA#bundleMillis} milliseconds
 * and before every checkpoint, so no request is held in a buffer across a checkpoint: once a checkpoint commits a
 * request's offset, its answer has been written.
 *
 * <p>Each micro-batch is answered by one version of the model ({@link ServedModel}); a new version is swapped in
 * between micro-batches, and each answer names the version that gave it and the engine that ran it.
 *
 * <p>Requests that cannot be answered go to {@link #ERRORS} right away, keyed by their id (null when none); the
 * job never stops for a bad request, nor for a model failure (every request of the failed run gets an error).
 */
final class AnswerRequestsFn extends DoFn<KafkaRecord<byte[], byte[]>, KV<String, String>> {

  static final TupleTag<KV<String, String>> ANSWERS = new TupleTag<>("answers") {};
  static final TupleTag<KV<String, String>> ERRORS = new TupleTag<>("errors") {};

  private static final Logger LOG = LoggerFactory.getLogger(AnswerRequestsFn.class);

  // Beam metrics, namespace electra.serving.ServeQA; the Flink runner forwards them to Flink's metric reporters.
  /** Messages read from the requests topic (answered or not). */
  static final Counter REQUESTS = Metrics.counter(ServeQA.class, "requests");
  /** Answers written. */
  static final Counter ANSWERED = Metrics.counter(ServeQA.class, "answers");
  /** Errors written, one counter per kind of reason ({@code errors_not_json}, ...). */
  static final Map<RejectedRequest.Cause, Counter> ERRORS_BY_CAUSE = errorCounters();
  /** From the request's Kafka timestamp to its answer handed to the producer, per answer. */
  static final Summary LATENCY = new Summary("latency_ms");
  /** One model run (featurize, model, decode) of a micro-batch. */
  static final Summary MODEL_LATENCY = new Summary("model_latency_ms");
  /** Requests per model run. */
  static final Summary BATCH_SIZE = new Summary("batch_size");
  /** 1 once this DoFn's model is loaded and its Kafka reader has started on its partitions. */
  static final Gauge READY = Metrics.gauge(ServeQA.class, "ready");
  /** Versions of the model repository this process refused (did not load, or failed their check). */
  static final Counter REFUSED = Metrics.counter(ServeQA.class, "model_versions_refused");
  /** New versions this process swapped in. */
  static final Counter SWAPS = Metrics.counter(ServeQA.class, "model_swaps");
  /** The version this process serves (0: an export folder). */
  static final Gauge VERSION = Metrics.gauge(ServeQA.class, "model_version");

  // the settings of SharedAnswerers.Spec, which is not serializable (Path)
  private final String modelDir;
  private final long pinnedVersion;
  private final long pollIntervalMillis;
  private final String modelName;
  private final int maxBatchSize;
  private final long maxBatchWaitMillis;
  private final InferenceEngine engine;
  private final RequestLimits limits;

  private final String job;

  private transient ServedModel served;
  private transient MicroBatcher<Pending> batcher;
  private transient boolean ready;

  /**
   * Causes of model failures already logged by this process ("class: message"): a failing model fails every
   * micro-batch, and one log line with the stack trace per cause says as much as thousands. Bounded, so that causes
   * whose messages vary (sizes, ids) cannot grow it without end; past the bound failures are counted, not logged.
   */
  private static final Set<String> LOGGED_FAILURES = ConcurrentHashMap.newKeySet();
  private static final int MAX_LOGGED_FAILURES = 100;

  /**
   * A Beam distribution, plus its sum and count as counters: Flink's reporters export Beam's distributions as gauges
   * of an object that Prometheus cannot read, while counters arrive as numbers ({@code rate(x_sum) / rate(x_count)}
   * is the mean).
   */
  record Summary(Distribution distribution, Counter sum, Counter count) {
    Summary(String name) {
      this(Metrics.distribution(ServeQA.class, name), Metrics.counter(ServeQA.class, name + "_sum"),
          Metrics.counter(ServeQA.class, name + "_count"));
    }

    void update(long value) {
      distribution.update(value);
      sum.inc(value);
      count.inc();
    }
  }

  private record Pending(QaAnswerer.Question question, long receivedMillis, Instant timestamp) {}

  /**
   * {@code maxBatchWait}: the longest a request waits for others to share its model run ({@link MicroBatcher});
   * {@code job}: the job's token, for {@link Readiness}.
   */
  AnswerRequestsFn(SharedAnswerers.Spec spec, Duration maxBatchWait, String modelName, String job) {
    this.job = job;
    this.modelDir = spec.model().toString();
    this.pinnedVersion = spec.pinnedVersion();
    this.pollIntervalMillis = spec.pollInterval().toMillis();
    this.modelName = modelName;
    this.maxBatchSize = spec.maxBatchSize();
    this.maxBatchWaitMillis = maxBatchWait.toMillis();
    this.engine = spec.engine();
    this.limits = spec.limits();
  }

  @Setup
  public void setup() {
    served = SharedAnswerers.acquire(new SharedAnswerers.Spec(Path.of(modelDir), pinnedVersion,
        Duration.ofMillis(pollIntervalMillis), maxBatchSize, engine, limits));
    batcher = new MicroBatcher<>(maxBatchSize, Duration.ofMillis(maxBatchWaitMillis));
  }

  @ProcessElement
  public void process(@Element KafkaRecord<byte[], byte[]> record, @Timestamp Instant timestamp,
      MultiOutputReceiver out) {
    long seen = System.nanoTime();
    if (!ready) {
      becomeReady();
    }
    if (IdleMarkingSource.isIdleMark(record)) {
      emit(answer(batcher.idle()), out);
      return;
    }
    REQUESTS.inc();
    QaAnswerer.Question q;
    try {
      q = QaMessages.parseRequest(record.getKV().getValue());
    } catch (RejectedRequest e) {
      ERRORS_BY_CAUSE.get(e.cause()).inc();
      out.get(ERRORS).output(KV.of(e.id(), QaMessages.error(e.id(), e.reason())));
      return;
    }
    RequestTimeline.stamp(q.id(), RequestTimeline.Stage.SEEN, seen);
    // The producer's (or the broker's) timestamp: latency_ms is measured from when the request was sent.
    long sent = record.getTimestamp() > 0 ? record.getTimestamp() : System.currentTimeMillis();
    emit(answer(batcher.add(new Pending(q, sent, timestamp), seen)), out);
  }

  /**
   * The first element (a request or an idle mark) means the model is loaded ({@code @Setup}) and this subtask's Kafka
   * reader has started on its partitions. Each subtask sets the {@code ready} gauge; the process logs one line per
   * job, naming the partitions of the readers started in it by then (with several subtasks in one process, the
   * others' readers may start a moment later: their gauges say when).
   */
  private void becomeReady() {
    ready = true;
    READY.set(1);
    if (Readiness.markReady(job)) {
      long version = served.version();
      LOG.info("ServeQA ready: model {}{}, partitions {}", modelDir,
          version == ServedModel.EXPORT_FOLDER_VERSION ? " (export folder)" : " version " + version,
          Readiness.partitions(job));
    }
  }

  private static Map<RejectedRequest.Cause, Counter> errorCounters() {
    Map<RejectedRequest.Cause, Counter> counters = new EnumMap<>(RejectedRequest.Cause.class);
    for (RejectedRequest.Cause cause : RejectedRequest.Cause.values()) {
      counters.put(cause, Metrics.counter(ServeQA.class, cause.counterName()));
    }
    return counters;
  }

  private static void emit(List<Result> results, MultiOutputReceiver out) {
    for (Result r : results) {
      out.get(r.tag).output(r.kv);
    }
  }

  @FinishBundle
  public void finishBundle(FinishBundleContext c) {
    for (Result r : answer(batcher.drain())) {
      c.output(r.tag, r.kv, r.timestamp, GlobalWindow.INSTANCE);
    }
  }

  private record Result(TupleTag<KV<String, String>> tag, KV<String, String> kv, Instant timestamp) {}

  private List<Result> answer(List<Pending> batch) {
    if (batch.isEmpty()) {
      return List.of();
    }
    reportModelMetrics();
    BATCH_SIZE.update(batch.size());
    List<Result> results = new ArrayList<>(batch.size());
    ServedModel.Answers answers;
    long started = System.nanoTime();
    stampAll(batch, RequestTimeline.Stage.MODEL_START, started);
    try {
      answers = served.answerAll(batch.stream().map(Pending::question).toList());
    } catch (RuntimeException e) {
      logModelFailure(modelDir, e, batch.size());
      ERRORS_BY_CAUSE.get(RejectedRequest.Cause.MODEL_FAILURE).inc(batch.size());
      for (Pending p : batch) {
        String id = p.question().id();
        results.add(new Result(ERRORS, KV.of(id, QaMessages.error(id, "model failure: " + e)), p.timestamp()));
      }
      return results;
    }
    long ended = System.nanoTime();
    stampAll(batch, RequestTimeline.Stage.MODEL_END, ended);
    MODEL_LATENCY.update((ended - started) / 1_000_000);
    long now = System.currentTimeMillis();
    VERSION.set(answers.version());
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      QaAnswerer.Outcome o = answers.outcomes().get(i);
      if (o.answered()) {
        long latency = Math.max(0, now - p.receivedMillis());
        ANSWERED.inc();
        LATENCY.update(latency);
        results.add(new Result(ANSWERS, KV.of(o.id(), QaMessages.answer(o.answer(), modelName, answers.version(),
            answers.engine(), latency)), p.timestamp()));
      } else {
        ERRORS_BY_CAUSE.get(o.rejection().cause()).inc();
        results.add(new Result(ERRORS, KV.of(o.id(), QaMessages.error(o.id(), o.rejection().reason())),
            p.timestamp()));
      }
    }
    return results;
  }

  private static void stampAll(List<Pending> batch, RequestTimeline.Stage stage, long nanos) {
    if (RequestTimeline.recording()) {
      batch.forEach(p -> RequestTimeline.stamp(p.question().id(), stage, nanos));
    }
  }

  /**
   * Logs a model failure with its stack trace the first time this process sees its cause (class and message);
   * returns whether it logged.
   */
  static boolean logModelFailure(String model, RuntimeException e, int requests) {
    String cause = e.getClass().getName() + ": " + e.getMessage();
    if (LOGGED_FAILURES.size() < MAX_LOGGED_FAILURES && LOGGED_FAILURES.add(cause)) {
      LOG.error("model failure on {}: a micro-batch of {} requests got errors ({}); logged once per cause, counted "
          + "in {}", model, requests, cause, RejectedRequest.Cause.MODEL_FAILURE.counterName(), e);
      return true;
    }
    return false;
  }

  /**
   * Counts what the served model's background thread did since the last micro-batch of any DoFn in this process:
   * Beam metrics can only be updated from a DoFn's processing thread.
   */
  private void reportModelMetrics() {
    long refused = served.takeRefused();
    if (refused > 0) {
      REFUSED.inc(refused);
    }
    long swaps = served.takeSwaps();
    if (swaps > 0) {
      SWAPS.inc(swaps);
    }
  }

  @Teardown
  public void teardown() {
    if (served != null) {
      SharedAnswerers.release(served);
      served = null;
    }
  }
}
