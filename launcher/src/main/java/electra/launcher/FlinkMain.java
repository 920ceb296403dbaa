package electra.launcher;

/**
 * The entry class of the job jar ({@code electra-jobs.jar}): {@code flink run electra-jobs.jar NAME --flag=value ...}
 * and the Flink Kubernetes Operator's {@code entryClass}. It starts the named job as {@link Main} does, but never
 * calls {@code System.exit}: in application mode the program runs inside the JobManager's JVM, which an exit would
 * stop. A job that fails, or a command line it refuses, is thrown as an exception instead, so that {@code flink run}
 * and the operator report the job as failed; the job's own one-line message precedes it on stderr.
 */
public final class FlinkMain {

  private FlinkMain() {}

  public static void main(String[] args) {
    int status = Main.run(args, System.out, System.err);
    if (status != 0) {
      throw new JobFailedException(String.join(" ", args), status);
    }
  }

  /** A job's non-zero exit status, as {@code flink run} and the operator understand failure. */
  static final class JobFailedException extends RuntimeException {
    JobFailedException(String commandLine, int status) {
      super("electra " + commandLine + " ended with status " + status
          + (status == 2 ? " (the command line was refused; see the line above)" : " (see the message above)"));
    }
  }
}
