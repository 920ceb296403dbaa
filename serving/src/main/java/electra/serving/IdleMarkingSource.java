package electra.serving;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.kafka.KafkaCheckpointMark;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.joda.time.Instant;

/**
 * KafkaIO's source plus an <em>idle mark</em>: a record that says "no request is waiting right now", emitted each
 * time the Kafka reader has nothing more to give.
 *
 * <p>Why: micro-batching needs to know when to stop waiting. With only the runner's bundle timer, a lone request
 * waits for the timer, and Flink's source reader sleeps 50 ms whenever a reader reports no data, so a request
 * arriving then waits for the sleep too (measured: p50 -10%, p90 -12% at 20 requests/s with a tiny model; the two
 * Kafka hops are the larger fixed cost, see docs/benchmarks.md). With the mark, the
 * answering step runs its batch as soon as the queue is drained: one request alone is answered at once, and under
 * load the requests that queued while the model ran form the next batch. The reader never reports "no data", so the
 * runner never sleeps; it waits inside Kafka's reader instead, which returns as soon as a record arrives.
 *
 * <p>While nothing arrives, the reader keeps calling Kafka's reader (KafkaIO's waits 1 ms a call when idle, parked
 * where its poll thread hands records over) rather than sleeping between calls: a reader asleep when a record comes
 * leaves KafkaIO's poll thread waiting with it. And it marks idleness once after the last record (after
 * 2 ms, to end the micro-batch), then every 20 ms: later marks tell the answering step
 * nothing new, and each one costs a pass through Flink's operator chain.
 *
 * <p>Marks carry no offset: checkpoints and offset commits are Kafka's own, untouched.
 *
 * <p>Before a job is cancelled its readers can be {@linkplain #quiesce quiesced}: they stop calling Kafka's reader
 * and only emit marks. Cancelling interrupts the task thread, and a Kafka reader interrupted while it waits for
 * records logs the interrupt as an unexpected warning with a stack trace, on every clean stop.
 */
final class IdleMarkingSource extends UnboundedSource<KafkaRecord<byte[], byte[]>, KafkaCheckpointMark> {

  /** Topic name of the idle mark; Kafka topic names cannot contain spaces, so no real record has it. */
  private static final String IDLE_TOPIC = "idle mark";

  /**
   * The first mark after a record comes once Kafka's reader has had nothing for this long (the mark ends a
   * micro-batch); a reader that says "no data" at once is not asked again sooner.
   */
  private static final long MIN_IDLE_POLL_MILLIS = 2;

  /** While nothing arrives, marks come at most this often: after the first, they tell the answering step nothing. */
  private static final long IDLE_MARK_INTERVAL_NANOS = 20_000_000;

  /** A Kafka reader that says "no data" faster than this did not wait for records (it has not started yet). */
  private static final long KAFKA_WAITED_NANOS = 500_000;

  private static final long MIN_IDLE_POLL_NANOS = MIN_IDLE_POLL_MILLIS * 1_000_000;

  /** Jobs (by the token their sources carry) whose readers no longer call Kafka; see {@link #quiesce}. */
  private static final Set<String> QUIESCED = ConcurrentHashMap.newKeySet();

  private final UnboundedSource<KafkaRecord<byte[], byte[]>, KafkaCheckpointMark> kafka;
  private final String job;

  /** {@code job}: a token unique to the job in this JVM, for {@link #quiesce}. */
  IdleMarkingSource(UnboundedSource<KafkaRecord<byte[], byte[]>, KafkaCheckpointMark> kafka, String job) {
    this.kafka = kafka;
    this.job = job;
  }

  /**
   * From now on the readers of {@code job}'s sources emit only idle marks, so that none is waiting inside Kafka's
   * reader when the job is cancelled; {@link #release} forgets the job once it has ended.
   */
  static void quiesce(String job) {
    QUIESCED.add(job);
  }

  static void release(String job) {
    QUIESCED.remove(job);
  }

  static boolean isIdleMark(KafkaRecord<?, ?> record) {
    return IDLE_TOPIC.equals(record.getTopic());
  }

  static KafkaRecord<byte[], byte[]> idleMark(long nowMillis) {
    return new KafkaRecord<>(IDLE_TOPIC, -1, -1, nowMillis, KafkaTimestampType.NO_TIMESTAMP_TYPE,
        new RecordHeaders(), new byte[0], new byte[0]);
  }

  @Override
  public List<IdleMarkingSource> split(int desiredNumSplits, PipelineOptions options) throws Exception {
    List<IdleMarkingSource> splits = new ArrayList<>();
    for (UnboundedSource<KafkaRecord<byte[], byte[]>, KafkaCheckpointMark> s : kafka.split(desiredNumSplits,
        options)) {
      splits.add(new IdleMarkingSource(s, job));
    }
    return splits;
  }

  @Override
  public UnboundedReader<KafkaRecord<byte[], byte[]>> createReader(PipelineOptions options,
      KafkaCheckpointMark checkpointMark) throws IOException {
    return new Reader(this, kafka.createReader(options, checkpointMark));
  }

  @Override
  public Coder<KafkaCheckpointMark> getCheckpointMarkCoder() {
    return kafka.getCheckpointMarkCoder();
  }

  @Override
  public boolean requiresDeduping() {
    return kafka.requiresDeduping();
  }

  @Override
  public Coder<KafkaRecord<byte[], byte[]>> getOutputCoder() {
    return kafka.getOutputCoder();
  }

  /** Kafka's reader, with an idle mark wherever it would have said "no data". */
  static final class Reader extends UnboundedReader<KafkaRecord<byte[], byte[]>> {
    private final IdleMarkingSource source;
    private final UnboundedReader<KafkaRecord<byte[], byte[]>> kafka;
    private KafkaRecord<byte[], byte[]> mark;

    Reader(IdleMarkingSource source, UnboundedReader<KafkaRecord<byte[], byte[]>> kafka) {
      this.source = source;
      this.kafka = kafka;
    }

    @Override
    public boolean start() throws IOException {
      long called = System.nanoTime();
      boolean hasRecord = kafka.start();
      // Kafka's reader has assigned its partitions and found their offsets by now: what "ready" waits for.
      if (kafka.getCheckpointMark() instanceof KafkaCheckpointMark started) {
        Readiness.readerStarted(source.job, started.getPartitions().stream()
            .map(p -> p.getTopic() + "-" + p.getPartition()).toList());
      }
      return recordOrMark(hasRecord, called);
    }

    @Override
    public boolean advance() throws IOException {
      long called = System.nanoTime();
      // Right after a record the first mark comes soon (it ends a micro-batch); later ones say nothing new.
      long markAfter = mark == null ? MIN_IDLE_POLL_NANOS : IDLE_MARK_INTERVAL_NANOS;
      while (!QUIESCED.contains(source.job)) {
        long asked = System.nanoTime();
        if (kafka.advance()) {
          return recordOrMark(true, called);
        }
        long now = System.nanoTime();
        if (now - called >= markAfter || now - asked < KAFKA_WAITED_NANOS) {
          break;
        }
      }
      return recordOrMark(false, called);
    }

    /** Always true: Kafka's record when it had one, else an idle mark (after at least a short wait). */
    private boolean recordOrMark(boolean hasRecord, long calledNanos) {
      if (hasRecord) {
        mark = null;
        return true;
      }
      // A reader that says "no data" at once (before its partitions are assigned) must not make us spin.
      long waitedMillis = (System.nanoTime() - calledNanos) / 1_000_000;
      if (waitedMillis < MIN_IDLE_POLL_MILLIS) {
        try {
          Thread.sleep(MIN_IDLE_POLL_MILLIS - waitedMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      mark = idleMark(System.currentTimeMillis());
      return true;
    }

    @Override
    public KafkaRecord<byte[], byte[]> getCurrent() throws NoSuchElementException {
      return mark != null ? mark : kafka.getCurrent();
    }

    @Override
    public Instant getCurrentTimestamp() throws NoSuchElementException {
      return mark != null ? new Instant(mark.getTimestamp()) : kafka.getCurrentTimestamp();
    }

    @Override
    public byte[] getCurrentRecordId() throws NoSuchElementException {
      return mark != null ? new byte[0] : kafka.getCurrentRecordId();
    }

    @Override
    public Instant getWatermark() {
      return kafka.getWatermark();
    }

    @Override
    public CheckpointMark getCheckpointMark() {
      return kafka.getCheckpointMark();
    }

    @Override
    public long getSplitBacklogBytes() {
      return kafka.getSplitBacklogBytes();
    }

    @Override
    public long getTotalBacklogBytes() {
      return kafka.getTotalBacklogBytes();
    }

    @Override
    public UnboundedSource<KafkaRecord<byte[], byte[]>, ?> getCurrentSource() {
      return source;
    }

    @Override
    public void close() throws IOException {
      kafka.close();
    }
  }
}
