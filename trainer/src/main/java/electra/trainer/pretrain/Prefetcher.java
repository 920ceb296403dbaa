package electra.trainer.pretrain;

import electra.records.PretrainingExample;
import electra.trainer.runtime.DataPosition;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A background thread that reads and masks the next micro-batches while the session runs. Each batch carries
 * the stream position after it, so a checkpoint can record exactly what the trainer consumed (not what the
 * thread read ahead). Masking is keyed by (seed, micro-step), so it does not depend on the thread's timing.
 */
public final class Prefetcher implements AutoCloseable {

  /**
   * A masked micro-batch, its index in the run, the stream position after its last record and the name of the shard
   * that position is in.
   */
  public record Prepared(MaskedBatch batch, long microStep, DataPosition after, String shard) {}

  private static final Prepared END = new Prepared(null, -1, null, null);

  private final BlockingQueue<Prepared> queue;
  private final Thread thread;
  private volatile Throwable failure;
  private volatile boolean stopped;

  public Prefetcher(ShardStream stream, int batchSize, int length, int maxPredictions, double maskProb,
      Masking.SpecialIds special, long seed, long firstMicroStep, int capacity) {
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.thread = new Thread(() -> {
      try {
        for (long micro = firstMicroStep; !stopped; micro++) {
          int[] ids = new int[batchSize * length];
          int[] mask = new int[ids.length];
          int[] seg = new int[ids.length];
          for (int b = 0; b < batchSize; b++) {
            PretrainingExample e = stream.next();
            if (e.length() != length) {
              throw new IllegalStateException("record of length " + e.length() + " in a stream of length " + length);
            }
            System.arraycopy(e.inputIds(), 0, ids, b * length, length);
            System.arraycopy(e.inputMask(), 0, mask, b * length, length);
            System.arraycopy(e.segmentIds(), 0, seg, b * length, length);
          }
          MaskedBatch masked = Masking.mask(ids, mask, seg, batchSize, length, maxPredictions, maskProb, special,
              Masking.randomFor(seed, micro));
          Prepared p = new Prepared(masked, micro, stream.position(), stream.currentShard());
          while (!stopped && !queue.offer(p, 100, TimeUnit.MILLISECONDS)) {
            // wait for the trainer
          }
        }
      } catch (InterruptedException | ShardStream.StreamInterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Throwable t) {
        if (stopped) {
          return; // closing: whatever the interrupted read threw does not matter
        }
        failure = t;
        queue.offer(END);
      }
    }, "pretrain-prefetch");
    thread.setDaemon(true);
    thread.start();
  }

  /** The next micro-batch; rethrows what stopped the reader. */
  public Prepared take() throws InterruptedException {
    Prepared p = queue.take();
    if (p == END) {
      throw new IllegalStateException("reading pre-training records failed: " + failure.getMessage(), failure);
    }
    return p;
  }

  /**
   * The next micro-batch, or null when {@code cancelled} turns true while waiting for it (checked every 100 ms);
   * rethrows what stopped the reader.
   */
  public Prepared take(BooleanSupplier cancelled) throws InterruptedException {
    while (true) {
      Prepared p = queue.poll(100, TimeUnit.MILLISECONDS);
      if (p == END) {
        throw new IllegalStateException("reading pre-training records failed: " + failure.getMessage(), failure);
      }
      if (p != null) {
        return p;
      }
      if (cancelled.getAsBoolean()) {
        return null;
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    thread.interrupt();
    thread.join(5000);
  }
}
