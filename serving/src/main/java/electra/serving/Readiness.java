package electra.serving;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * When a ServeQA job in this process is ready: its model is loaded and a Kafka reader has been assigned its
 * partitions and found its starting offsets (KafkaIO assigns partitions itself, by split, and positions the consumer
 * in the reader's {@code start()}, so a request sent after this point is read). Keyed by the job's token, like
 * {@link IdleMarkingSource#quiesce}.
 */
final class Readiness {

  private static final Map<String, Set<String>> PARTITIONS = new ConcurrentHashMap<>();
  private static final Map<String, CountDownLatch> READY = new ConcurrentHashMap<>();

  private Readiness() {}

  /** A reader of {@code job} started on these partitions ({@code topic-partition}). */
  static void readerStarted(String job, Collection<String> partitions) {
    PARTITIONS.computeIfAbsent(job, j -> ConcurrentHashMap.newKeySet()).addAll(partitions);
  }

  /** The partitions the readers of {@code job} in this process started on, sorted. */
  static Set<String> partitions(String job) {
    return new TreeSet<>(PARTITIONS.getOrDefault(job, Set.of()));
  }

  /** Records that {@code job} is ready; true only for the first call per job in this process. */
  static boolean markReady(String job) {
    CountDownLatch latch = latch(job);
    synchronized (latch) {
      boolean first = latch.getCount() > 0;
      latch.countDown();
      return first;
    }
  }

  /** Waits until {@code job} is ready in this process; false when {@code timeout} passed first. */
  static boolean await(String job, Duration timeout) throws InterruptedException {
    return latch(job).await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  static void forget(String job) {
    PARTITIONS.remove(job);
    READY.remove(job);
  }

  private static CountDownLatch latch(String job) {
    return READY.computeIfAbsent(job, j -> new CountDownLatch(1));
  }
}
