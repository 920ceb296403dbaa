package electra.export;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs a task on a thread of its own with a large stack and waits for it: for native code that recurses deeper than
 * a JVM thread's stack allows (ONNX Runtime's start, see {@link #ONNX_RUNTIME_START}).
 */
public final class LargeStack {

  /**
   * The stack ONNX Runtime's start needs: creating its environment recurses in native code about once for every
   * character of the process's command line (a core dump shows some 12,000 frames for the 34 KB class path
   * {@code ./electra} passes; an 8 MB stack overflows and kills the process without a Java error). 512 MiB of
   * address space, touched only as deep as the recursion goes, covers Linux's longest command line (2 MB).
   */
  public static final long ONNX_RUNTIME_START = 512L << 20;

  private LargeStack() {}

  /** {@code task}'s result, computed on a thread named {@code name} with {@code stackBytes} of stack. */
  public static <T> T call(String name, long stackBytes, Supplier<T> task) {
    AtomicReference<T> result = new AtomicReference<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread thread = new Thread(null, () -> {
      try {
        result.set(task.get());
      } catch (RuntimeException | Error e) {
        failure.set(e);
      }
    }, name, stackBytes);
    thread.start();
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + name, e);
    }
    if (failure.get() instanceof RuntimeException e) {
      throw e;
    }
    if (failure.get() instanceof Error e) {
      throw e;
    }
    return result.get();
  }
}
