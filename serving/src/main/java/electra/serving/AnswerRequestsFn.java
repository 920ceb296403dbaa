package electra.serving;

import electra.export.InferenceEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Gauge;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Reads, validates and answers requests, micro-batched as {@link MicroBatcher} decides: valid requests are answered
 * together when {@code maxBatchSize} of them are waiting, when the source says no more are waiting (an
 * {@link IdleMarkingSource idle mark}), or when the bundle ends, whichever comes first. So a lone request is answered
 * at once, and requests that queued while the model ran are answered together. The runner ends bundles after
 * {@code --max_batch_wait_ms} ({@code maxBundleTimeMills} on Flink) and before every checkpoint, so no request is
 * held in a buffer across a checkpoint: once a checkpoint commits a request's offset, its answer has been written.
 *
 * <p>Each micro-batch is answered by one version of the model ({@link ServedModel}); a new version is swapped in
 * between micro-batches, and each answer names the version that gave it.
 *
 * <p>Requests that cannot be answered go to {@link #ERRORS} right away, keyed by their id (null when none); the
 * job never stops for a bad request, nor for a model failure (every request of the failed run gets an error).
 */
final class AnswerRequestsFn extends DoFn<KafkaRecord<byte[], byte[]>, KV<String, String>> {

  static final TupleTag<KV<String, String>> ANSWERS = new TupleTag<>("answers") {};
  static final TupleTag<KV<String, String>> ERRORS = new TupleTag<>("errors") {};

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
  private final InferenceEngine engine;
  private final RequestLimits limits;

  private transient ServedModel served;
  private transient MicroBatcher<Pending> batcher;

  private record Pending(QaAnswerer.Question question, long receivedMillis, Instant timestamp) {}

  AnswerRequestsFn(SharedAnswerers.Spec spec, String modelName) {
    this.modelDir = spec.model().toString();
    this.pinnedVersion = spec.pinnedVersion();
    this.pollIntervalMillis = spec.pollInterval().toMillis();
    this.modelName = modelName;
    this.maxBatchSize = spec.maxBatchSize();
    this.engine = spec.engine();
    this.limits = spec.limits();
  }

  @Setup
  public void setup() {
    served = SharedAnswerers.acquire(new SharedAnswerers.Spec(Path.of(modelDir), pinnedVersion,
        Duration.ofMillis(pollIntervalMillis), maxBatchSize, engine, limits));
    batcher = new MicroBatcher<>(maxBatchSize);
  }

  @ProcessElement
  public void process(@Element KafkaRecord<byte[], byte[]> record, @Timestamp Instant timestamp,
      MultiOutputReceiver out) {
    if (IdleMarkingSource.isIdleMark(record)) {
      emit(answer(batcher.idle()), out);
      return;
    }
    QaAnswerer.Question q;
    try {
      q = QaMessages.parseRequest(record.getKV().getValue());
    } catch (RejectedRequest e) {
      out.get(ERRORS).output(KV.of(e.id(), QaMessages.error(e.id(), e.reason())));
      return;
    }
    // The producer's (or the broker's) timestamp: latency_ms is measured from when the request was sent.
    long sent = record.getTimestamp() > 0 ? record.getTimestamp() : System.currentTimeMillis();
    emit(answer(batcher.add(new Pending(q, sent, timestamp))), out);
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
    List<Result> results = new ArrayList<>(batch.size());
    ServedModel.Answers answers;
    try {
      answers = served.answerAll(batch.stream().map(Pending::question).toList());
    } catch (RuntimeException e) {
      for (Pending p : batch) {
        String id = p.question().id();
        results.add(new Result(ERRORS, KV.of(id, QaMessages.error(id, "model failure: " + e)), p.timestamp()));
      }
      return results;
    }
    long now = System.currentTimeMillis();
    VERSION.set(answers.version());
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      QaAnswerer.Outcome o = answers.outcomes().get(i);
      if (o.answered()) {
        results.add(new Result(ANSWERS, KV.of(o.id(), QaMessages.answer(o.answer(), modelName, answers.version(),
            Math.max(0, now - p.receivedMillis()))), p.timestamp()));
      } else {
        results.add(new Result(ERRORS, KV.of(o.id(), QaMessages.error(o.id(), o.rejection().reason())),
            p.timestamp()));
      }
    }
    return results;
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
