package electra.infra.flink;

import java.io.IOException;
import java.time.Instant;

/**
 * The Java agent ({@code -javaagent}) of every JobManager and TaskManager JVM that {@link LocalFlink} starts, so that
 * none outlives it: a daemon thread reads the JVM's standard input, a pipe whose writing end only LocalFlink holds and
 * never writes to, and halts the JVM when the pipe reaches its end. The kernel closes that end when LocalFlink's
 * process ends, however it ends: {@code kill -9} and a crash included, when no shutdown hook of LocalFlink's runs.
 *
 * <p>Why the pipe rather than watching LocalFlink's pid ({@code ProcessHandle.of(pid).onExit()}): the end of the pipe
 * comes at once, where the JDK polls a process that is not its child (every 300 ms, slowing to 5 s); it cannot be
 * fooled by a reused pid; and it is sticky, so a parent that died before this thread started is noticed too.
 *
 * <p>An agent rather than a main class of ours around Flink's: the command line keeps Flink's entry point as its main
 * class, as Flink's scripts start it ({@code jps} and {@code ps} name it), and Flink's code runs unchanged. This class
 * uses the JDK alone, and travels alone: LocalFlink writes it into a jar of its own in its work folder, so the
 * cluster's class path still holds none of this project's jars (see {@link LocalFlink#NOT_IN_FLINK_LIB}).
 */
public final class ExitWithParent implements Runnable {

  /** The exit status of a JVM halted because LocalFlink is gone. */
  static final int STATUS = 1;

  /** Called by the JVM before the main class's {@code main}. */
  public static void premain(String agentArgs) {
    Thread watcher = new Thread(new ExitWithParent(), "exit-with-parent");
    watcher.setDaemon(true);
    watcher.start();
  }

  @Override
  public void run() {
    byte[] ignored = new byte[64];
    try {
      while (System.in.read(ignored) >= 0) {
        // LocalFlink sends nothing; only the end of the stream counts
      }
    } catch (IOException unreadable) {
      // as good as closed: nobody holds the other end any more
    }
    System.err.println(Instant.now() + " ExitWithParent: standard input closed, the LocalFlink process that started "
        + "this JVM is gone; halting");
    System.err.flush();
    // halt, not exit: nothing waits for an orderly shutdown, and a shutdown hook that blocks must not keep it alive
    Runtime.getRuntime().halt(STATUS);
  }
}
