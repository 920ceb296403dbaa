package electra.cli;

/** A mistake in what the user typed; reported as one line, never as a stack trace. */
public class UsageException extends IllegalArgumentException {
  public UsageException(String message) {
    super(message);
  }
}
