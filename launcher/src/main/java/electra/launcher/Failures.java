package electra.launcher;

import electra.squad.SquadInputException;
import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Optional;
import java.util.Set;

/**
 * Which failures a user can act on, and the one line that says so. Expected are failures of the world outside the
 * program, which the user mends, not the code: an {@link IOException} (a missing or unreadable file, a download that
 * failed or was refused for its checksum, a server or broker that cannot be reached, a corrupt record) and a
 * malformed SQuAD file ({@link SquadInputException}). Jobs word these messages to say what to do. Anything else
 * (an {@code IllegalStateException}, a {@code NullPointerException}, a TensorFlow error) is a bug or a surprise, and
 * its stack trace is what a report needs.
 *
 * <p>Runners wrap what a pipeline step threw (Beam's {@code PipelineExecutionException}, Flink's job exceptions),
 * so the whole cause chain is searched, outermost first: the outer message usually says more about the context.
 */
final class Failures {

  private Failures() {}

  /** The line that explains {@code failure} to a user, or empty when it is unexpected. */
  static Optional<String> explain(Throwable failure) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Throwable t = failure; t != null && seen.add(t); t = t.getCause()) {
      if (t instanceof IOException || t instanceof SquadInputException) {
        return Optional.of(line(t));
      }
    }
    return Optional.empty();
  }

  private static String line(Throwable t) {
    if (t instanceof FileSystemException f) {
      Optional<String> problem = problem(f);
      if (problem.isPresent()) {
        String file = f.getOtherFile() == null ? f.getFile() : f.getFile() + " -> " + f.getOtherFile();
        return file + ": " + problem.get() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
      }
    }
    if (t instanceof UnknownHostException) {
      return "unknown host " + t.getMessage() + "; check the address and this machine's network";
    }
    String message = t.getMessage();
    return message == null || message.isBlank() ? t.toString() : message;
  }

  /**
   * What went wrong with a file and what to do, for the exceptions whose message is only the path; a job's own
   * reason, when it gave one, follows in parentheses.
   */
  private static Optional<String> problem(FileSystemException f) {
    if (f instanceof NoSuchFileException) {
      return Optional.of("no such file or folder; check the path");
    }
    if (f instanceof AccessDeniedException) {
      return Optional.of("permission denied; check its owner and permissions, or choose another path");
    }
    if (f instanceof FileAlreadyExistsException) {
      return Optional.of("already exists; remove it, or choose another path");
    }
    if (f instanceof NotDirectoryException) {
      return Optional.of("not a folder; give a folder's path");
    }
    if (f instanceof DirectoryNotEmptyException) {
      return Optional.of("the folder is not empty; empty it, or choose another");
    }
    return Optional.empty();
  }
}
