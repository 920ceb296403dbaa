package electra.serving;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * When the model runs: the micro-batching policy of {@link AnswerRequestsFn}, apart from Beam so that it can be
 * tested on its own. Requests wait in a batch that runs when it is full, when the source says that no more requests
 * are waiting (an {@link IdleMarkingSource idle mark}), when a request arrives after the oldest waiting one has waited
 * {@code maxWait}, or when the runner ends the bundle.
 *
 * <p>One exception saves a lone request the wait for the next mark (up to 20 ms while the source is idle): after a
 * mark that found nothing waiting, the queue is known to be dry, so the next request runs at once, alone. A mark that
 * ran a batch says nothing of what queued meanwhile, so after it requests batch up as usual; under load, requests that
 * queue while the model runs still form the next batch.
 *
 * <p>The wait is bounded here, on each arrival, rather than by the runner's bundle timer: requests that keep
 * arriving back to back (no mark between them) are cut into batches no later than this, and a request that waits
 * alone is followed by a mark within a few milliseconds. So the runner's bundles can be long, and its bundle timers
 * rare.
 *
 * <p>Not thread-safe: one per {@code DoFn} instance.
 */
final class MicroBatcher<T> {

  private final int maxBatchSize;
  private final long maxWaitNanos;
  private List<T> waiting = new ArrayList<>();
  private long oldestArrivalNanos;
  private boolean queueDry;

  MicroBatcher(int maxBatchSize, Duration maxWait) {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("the batch size must be at least 1, got " + maxBatchSize);
    }
    if (maxWait.isNegative()) {
      throw new IllegalArgumentException("the longest wait must not be negative, got " + maxWait);
    }
    this.maxBatchSize = maxBatchSize;
    this.maxWaitNanos = maxWait.toNanos();
  }

  /**
   * A request arrived at {@code nowNanos} ({@link System#nanoTime()}); returns the batch to run now, empty while it
   * should wait.
   */
  List<T> add(T request, long nowNanos) {
    if (waiting.isEmpty()) {
      oldestArrivalNanos = nowNanos;
    }
    waiting.add(request);
    if (queueDry || waiting.size() >= maxBatchSize || nowNanos - oldestArrivalNanos >= maxWaitNanos) {
      return drain();
    }
    return List.of();
  }

  /** The source has no request waiting; returns the batch to run now (empty when none was waiting here either). */
  List<T> idle() {
    if (waiting.isEmpty()) {
      queueDry = true;
      return List.of();
    }
    return drain();
  }

  /**
   * Every waiting request, e.g. when the bundle ends (on a timer, which says nothing of the queue: with nothing
   * waiting, a dry queue stays known as dry).
   */
  List<T> drain() {
    if (waiting.isEmpty()) {
      return List.of();
    }
    queueDry = false;
    List<T> batch = waiting;
    waiting = new ArrayList<>();
    return batch;
  }
}
