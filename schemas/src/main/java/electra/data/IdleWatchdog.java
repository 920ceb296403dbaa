package electra.data;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a response body that stays silent too long. HttpClient has no read timeout for a streamed body, so
 * without this a server that stops sending mid-file would hang the download forever; closing the stream makes
 * the blocked read fail, and the download retries.
 */
final class IdleWatchdog implements AutoCloseable {

  private final Thread thread;
  private volatile long lastNanos = System.nanoTime();
  private volatile boolean fired;

  IdleWatchdog(Closeable body, Duration timeout) {
    thread = new Thread(() -> watch(body, timeout.toNanos()), "download-idle-watchdog");
    thread.setDaemon(true);
    thread.start();
  }

  /** Data arrived. */
  void alive() {
    lastNanos = System.nanoTime();
  }

  /** Whether the body was closed for silence (so the read failed because of us, not the network). */
  boolean fired() {
    return fired;
  }

  @Override
  public void close() {
    thread.interrupt();
  }

  private void watch(Closeable body, long timeoutNanos) {
    try {
      for (long idle = 0; idle < timeoutNanos; idle = System.nanoTime() - lastNanos) {
        TimeUnit.NANOSECONDS.sleep(timeoutNanos - idle);
      }
      fired = true;
      body.close();
    } catch (InterruptedException e) {
      // the transfer ended first
    } catch (IOException e) {
      // closing failed; the read will end by itself or the user will stop the job
    }
  }
}
