package electra.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** A mistake in what the user typed; reported as one line, never as a stack trace. */
public class UsageException extends IllegalArgumentException {
  public UsageException(String message) {
    super(message);
  }

  /** Refuses a setting with {@code message} (one the user can act on: it names the flag) unless {@code ok}. */
  public static void require(boolean ok, String message) {
    if (!ok) {
      throw new UsageException(message);
    }
  }

  /** Refuses a {@code --flag} that names no regular file, in one line naming the flag and the path. */
  public static void requireFile(Path file, String flag) {
    if (!Files.isRegularFile(file)) {
      throw new UsageException("--" + flag + ": no such file: " + file);
    }
  }
}
