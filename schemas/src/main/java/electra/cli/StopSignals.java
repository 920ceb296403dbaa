package electra.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C, SIGTERM and SIGHUP as a stop request, in place of the JVM's shutdown, while a job stops the parts it runs
 * in its own process and waits for them. Why: the JVM's shutdown runs every hook at once and then the native
 * libraries' own clean-up (TensorFlow's, ONNX Runtime's environment), so a part still exporting or training beside
 * them would use what is gone; asked first, every part has finished before the JVM shuts down. The first signal calls
 * {@code onStop}; another one while the parts stop ends the process as the JVM would have (status 128 + signal).
 * Closing gives the signals back.
 *
 * <p>The signals are the process's: the first job that takes them holds them until it closes. A job that another
 * runs in its process (as {@code Platform} runs EvaluateCheckpoints) takes nothing: the job that holds the signals
 * stops it through its own stop method, in its turn.
 */
public final class StopSignals implements AutoCloseable {

  private static final List<String> SIGNALS = List.of("INT", "TERM", "HUP");

  /** Whether a job of this process holds the signals. */
  private static final AtomicBoolean HELD = new AtomicBoolean();

  private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();
  private final AtomicBoolean signalled = new AtomicBoolean();
  private final boolean holds;

  public StopSignals(Runnable onStop, PrintStream out) {
    holds = HELD.compareAndSet(false, true);
    if (!holds) {
      return;
    }
    SignalHandler handler = signal -> {
      if (signalled.compareAndSet(false, true)) {
        onStop.run();
      } else {
        out.println("SIG" + signal.getName() + " again: exiting without waiting for the parts");
        out.flush();
        System.exit(128 + signal.getNumber());
      }
    };
    for (String name : SIGNALS) {
      try {
        Signal signal = new Signal(name);
        previous.put(signal, Signal.handle(signal, handler));
      } catch (IllegalArgumentException unavailable) {
        // not on this system, or kept by the JVM (-Xrs): that signal ends the process as it would without this
      }
    }
  }

  @Override
  public void close() {
    if (holds) {
      previous.forEach(Signal::handle);
      HELD.set(false);
    }
  }
}
