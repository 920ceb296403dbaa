package electra.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one rule for every job that writes a folder: it writes into a folder that is new or empty, or one that holds
 * its own earlier work when this run continues that work (Pretrain resuming its run, an ingest job's {@code --watch}
 * appending to its shards, a download resuming, QuickStart's {@code --skip_to}). A folder holding another job's
 * output, or an earlier run's that this run does not continue, is refused in one line naming {@code --overwrite},
 * which deletes what the folder holds first. A job claims its folder once it has checked its inputs and before it
 * writes anything or starts its long work: a run refused, or stopped by a wrong input, leaves the folder as it was.
 *
 * <p>How a job knows its own output: the run that first writes a folder leaves a marker in it, {@value #MARKER},
 * naming the job and its work (what a continuing run must share with it, such as an ingest's input and sequence
 * lengths; empty where the job's own checks already cover it, as Pretrain's checkpoints do). A marker, rather than
 * each job recognising the files it writes (manifest.json, state.json, export.json, ...), because it is one check for
 * every job and every store, it answers the same whatever stage an earlier run stopped at (a run killed before its
 * first checkpoint leaves nothing else to recognise), and it is positive evidence that a job wrote the folder, which
 * is what {@code --overwrite} needs before deleting anything.
 *
 * <p>What {@code --overwrite} never deletes: a folder without a marker (a user's own folder, or output written before
 * markers existed; it is refused, to be emptied by hand), the working folder, the home folder or any folder above
 * them, and a bucket's root, even with a marker. It deletes the folder's contents, never the folder itself or
 * anything beside it, and the targets of symbolic links inside it are left alone.
 *
 * <p>Two more cases: a folder that holds nothing but a marker counts as empty (a run that failed before writing left
 * nothing to protect), and a run that continues may write into a folder without a marker as it always did (output
 * from before markers), without marking it.
 */
public final class OutputFolder {

  /** The marker's file name in a claimed folder. */
  public static final String MARKER = ".electra-output.json";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern URL = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://");

  private OutputFolder() {}

  /**
   * What a run asks of its output folder.
   *
   * @param job the job's name, as users type it
   * @param work what a continuing run must share with the run that started the folder, said as flags; empty where
   *     the job checks that itself
   * @param continues whether this run continues the folder's earlier work instead of starting anew
   * @param howToContinue what would continue the folder's work instead, for the refusal (empty: nothing does)
   */
  public record Claim(String job, String work, boolean continues, String howToContinue) {
    public Claim {
      if (job == null || job.isBlank() || work == null || howToContinue == null) {
        throw new IllegalArgumentException("a claim names its job, and its work and how to continue (maybe empty)");
      }
    }

    /** A run that writes its folder anew every time. */
    public static Claim newOutput(String job) {
      return new Claim(job, "", false, "");
    }

    /** A run that always continues its job's folder, checking what is there itself (a download resuming). */
    public static Claim resuming(String job) {
      return new Claim(job, "", true, "");
    }
  }

  /** Who claimed a folder, as its marker says. */
  private record Marker(String job, String work) {}

  /** Where folders are: the local disk ({@link #LOCAL}), or an object store through Beam in the beam module. */
  public interface Storage {
    /** Whether {@code folder} exists and holds anything besides the file {@code name}. */
    boolean holdsOtherThan(String folder, String name) throws IOException;

    /** The text of the file {@code name} in {@code folder}; empty when there is none. */
    Optional<String> read(String folder, String name) throws IOException;

    /** Writes the file {@code name} in {@code folder}, making the folder when needed. */
    void write(String folder, String name, String text) throws IOException;

    /** Deletes everything {@code folder} holds; the folder itself stays. */
    void deleteContents(String folder) throws IOException;
  }

  /** Local folders. */
  public static final Storage LOCAL = new Storage() {
    @Override
    public boolean holdsOtherThan(String folder, String name) throws IOException {
      Path dir = Path.of(folder);
      if (!Files.exists(dir)) {
        return false;
      }
      if (!Files.isDirectory(dir)) {
        throw new UsageException(folder + " is a file, not a folder");
      }
      try (Stream<Path> entries = Files.list(dir)) {
        return entries.anyMatch(entry -> !entry.getFileName().toString().equals(name));
      }
    }

    @Override
    public Optional<String> read(String folder, String name) throws IOException {
      Path file = Path.of(folder, name);
      return Files.isRegularFile(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
    }

    @Override
    public void write(String folder, String name, String text) throws IOException {
      Files.writeString(Files.createDirectories(Path.of(folder)).resolve(name), text, StandardCharsets.UTF_8);
    }

    @Override
    public void deleteContents(String folder) throws IOException {
      List<Path> entries;
      try (Stream<Path> list = Files.list(Path.of(folder))) {
        entries = list.toList();
      }
      for (Path entry : entries) {
        if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          Directories.deleteRecursively(entry);
        } else {
          Files.delete(entry); // a file, or a link (never what it points to)
        }
      }
    }
  };

  /** Whether {@code folder} is a local path rather than a URL such as {@code gs://bucket/path}. */
  public static boolean isLocal(String folder) {
    return !URL.matcher(folder).lookingAt();
  }

  /** {@link #claim(Storage, String, Claim, Overwrite)} for a local folder. */
  public static void claim(Path folder, Claim claim, Overwrite overwrite) throws IOException {
    claim(LOCAL, folder.toString(), claim, overwrite);
  }

  /**
   * Lets the run described by {@code claim} write into {@code folder}, marking it as this job's when it is new, or
   * refuses with a {@link UsageException} that says why and names {@code --overwrite}; with {@code overwrite}, a
   * job's output is deleted first.
   */
  public static void claim(Storage storage, String folder, Claim claim, Overwrite overwrite) throws IOException {
    if (!storage.holdsOtherThan(folder, MARKER)) {
      mark(storage, folder, claim);
      return;
    }
    Optional<Marker> owner = readMarker(storage, folder);
    if (overwrite.requested()) {
      requireReplaceable(folder, owner.isPresent());
      storage.deleteContents(folder);
      mark(storage, folder, claim);
    } else if (owner.isEmpty() && !claim.continues()) {
      throw new UsageException(folder + " is not empty and holds no job's output (no " + MARKER + "): choose a new "
          + "or empty folder (--overwrite replaces only a job's output)");
    } else if (owner.isPresent() && !continuesWorkOf(claim, owner.get())) {
      throw new UsageException(whoseOutput(folder, owner.get(), claim)
          + "; --overwrite replaces it (deletes it first), or choose another folder");
    }
  }

  private static boolean continuesWorkOf(Claim claim, Marker owner) {
    return claim.continues() && owner.job().equals(claim.job()) && owner.work().equals(claim.work());
  }

  private static String whoseOutput(String folder, Marker owner, Claim claim) {
    if (!owner.job().equals(claim.job())) {
      return folder + " holds " + owner.job() + "'s output";
    }
    if (!claim.continues()) {
      return folder + " holds an earlier " + owner.job() + " run's output"
          + (claim.howToContinue().isEmpty() ? "" : " (" + claim.howToContinue() + " continues it)");
    }
    return folder + " holds the output of other " + owner.job() + " work (" + owner.work() + "; this run: "
        + claim.work() + ")";
  }

  private static void requireReplaceable(String folder, boolean marked) throws IOException {
    if (!marked) {
      throw new UsageException("--overwrite replaces only a job's output, and " + folder + " has no " + MARKER
          + ": empty it yourself or choose another folder");
    }
    String tooBroad = tooBroadToEmpty(folder);
    if (tooBroad != null) {
      throw new UsageException("--overwrite will not empty " + folder + ": it is " + tooBroad);
    }
  }

  /** Why emptying {@code folder} would reach beyond a job's output; null when it would not. */
  private static String tooBroadToEmpty(String folder) throws IOException {
    if (!isLocal(folder)) {
      return folder.matches(URL.pattern() + "[^/]*/*") ? "a bucket's root" : null;
    }
    Path real = Path.of(folder).toRealPath();
    if (Path.of("").toRealPath().startsWith(real)) {
      return "the working folder or above it";
    }
    Path home = Path.of(System.getProperty("user.home"));
    if ((Files.exists(home) ? home.toRealPath() : home.toAbsolutePath().normalize()).startsWith(real)) {
      return "the home folder or above it";
    }
    return null;
  }

  private static void mark(Storage storage, String folder, Claim claim) throws IOException {
    ObjectNode marker = JSON.createObjectNode().put("job", claim.job()).put("work", claim.work());
    storage.write(folder, MARKER, marker.toString() + "\n");
  }

  /** The folder's marker; empty when it has none, or one no job wrote (it names no job). */
  private static Optional<Marker> readMarker(Storage storage, String folder) throws IOException {
    Optional<String> text = storage.read(folder, MARKER);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    JsonNode marker;
    try {
      marker = JSON.readTree(text.get());
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
    String job = marker.path("job").asText("");
    return job.isEmpty() ? Optional.empty() : Optional.of(new Marker(job, marker.path("work").asText("")));
  }
}
