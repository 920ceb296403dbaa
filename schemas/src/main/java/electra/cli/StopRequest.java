package electra.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A stop asked of a job that runs until it is stopped, from another thread: Ctrl-C or SIGTERM through the job's
 * {@link StopSignals}, or a job running it in-process, as {@code Platform} does with its parts. Asking is all it does;
 * the job ends at its next safe point (after a training step, a batch, an evaluation) and its caller waits for it by
 * its own means. Why not the JVM's shutdown hooks: they all run at once, so a part may still be using a native
 * library (TensorFlow, ONNX Runtime) whose own clean-up runs beside it; a caller that asks and waits before the JVM
 * shuts down has every part finished first.
 */
public final class StopRequest {

  private final CountDownLatch requested = new CountDownLatch(1);
  private final List<Runnable> actions = new ArrayList<>();

  /** Asks for the stop: runs the registered actions (once; a second request does nothing). Safe from any thread. */
  public void request() {
    List<Runnable> toRun;
    synchronized (this) {
      if (requested()) {
        return;
      }
      requested.countDown();
      toRun = List.copyOf(actions);
    }
    toRun.forEach(Runnable::run);
  }

  /** Whether a stop was asked for. */
  public boolean requested() {
    return requested.getCount() == 0;
  }

  /** Waits up to {@code timeout} for a stop request, the job's pause between looks; true when one came. */
  public boolean await(Duration timeout) throws InterruptedException {
    return requested.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Runs {@code action} when the stop is asked for, or now when it already was: a job registers how to tell its
   * running parts (a trainer, a watcher) once they exist, and a request that came earlier is not lost.
   */
  public void onRequest(Runnable action) {
    synchronized (this) {
      if (!requested()) {
        actions.add(action);
        return;
      }
    }
    action.run();
  }
}
