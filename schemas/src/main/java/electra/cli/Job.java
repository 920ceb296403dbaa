package electra.cli;

/**
 * A command that users start by name: {@code ./electra NAME --flag=value} or
 * {@code mvn exec:java -Dpipeline=NAME -Dexec.args="--flag=value"}.
 *
 * <p>Each module lists its jobs in {@code META-INF/services/electra.cli.Job}; the launcher finds them
 * with {@link java.util.ServiceLoader}, so a job is registered where it is written.
 */
public interface Job {

  /** The name users type, e.g. {@code Tokenize}. */
  String name();

  /** One line for the job list. */
  String description();

  /**
   * Runs the job. Throws {@link UsageException} for bad flags (the launcher prints one line and exits
   * with 2) and {@link HelpRequested} when the user asked for {@code --help}.
   */
  void run(String[] args) throws Exception;
}
