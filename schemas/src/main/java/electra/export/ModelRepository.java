package electra.export;

import electra.cli.OutputFolder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Numbered versions of one model, laid out as TensorFlow Serving lays them out: {@code <models>/<name>/<version>/},
 * the version a positive integer folder name, each a complete {@link ExportMetadata export folder} with its
 * {@link ModelEvaluation#FILE eval.json}.
 *
 * <p>A version appears whole or not at all: a publisher writes into a staging folder beside the versions (a dot
 * folder naming its process, which readers never list) and renames it to the next free number; a rename onto a
 * number another publisher took first fails and moves on to the next. A published version is never changed.
 */
public final class ModelRepository {

  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,17}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final String STAGING = ".staging-";

  private final Path modelDir;

  private ModelRepository(Path modelDir) {
    this.modelDir = modelDir;
  }

  /** One published version: its number and folder. */
  public record Version(long number, Path dir) {

    public ExportMetadata metadata() throws IOException {
      return ExportMetadata.read(dir);
    }

    public ModelEvaluation evaluation() throws IOException {
      return ModelEvaluation.read(dir);
    }
  }

  /** The model {@code name} under the repository root {@code models}. */
  public static ModelRepository at(Path models, String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("model name '" + name + "' must be letters, digits, '.', '_' or '-', not "
          + "starting with a punctuation mark (it becomes a folder name)");
    }
    return new ModelRepository(models.resolve(name));
  }

  /** The model whose versions lie directly in {@code modelDir}, e.g. {@code --model=<models>/<name>}. */
  public static ModelRepository of(Path modelDir) {
    return new ModelRepository(modelDir);
  }

  /**
   * Whether {@code dir} is an export folder itself rather than a model's versions: it holds
   * {@value ExportMetadata#FILE}. ServeQA's {@code --model} accepts both.
   */
  public static boolean isExportFolder(Path dir) {
    return Files.isRegularFile(dir.resolve(ExportMetadata.FILE));
  }

  public Path dir() {
    return modelDir;
  }

  /** The published versions, oldest first; none when the folder does not exist yet. */
  public List<Version> versions() throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return List.of();
    }
    List<Version> out = new ArrayList<>();
    try (Stream<Path> children = Files.list(modelDir)) {
      children.forEach(child -> {
        String name = child.getFileName().toString();
        if (VERSION.matcher(name).matches() && Files.isDirectory(child)) {
          out.add(new Version(Long.parseLong(name), child));
        }
      });
    }
    out.sort(Comparator.comparingLong(Version::number));
    return out;
  }

  /** The newest version, if any was published. */
  public Optional<Version> latest() throws IOException {
    List<Version> all = versions();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /** Version {@code number}; an error lists the versions there are. */
  public Version version(long number) throws IOException {
    for (Version v : versions()) {
      if (v.number() == number) {
        return v;
      }
    }
    throw new IOException(modelDir + " has no version " + number + " (it has "
        + versions().stream().map(v -> Long.toString(v.number())).toList() + ")");
  }

  /**
   * A new, empty staging folder for the next version, named after this process. Write the export and its
   * {@code eval.json} into it, then {@link #publish} it.
   */
  public Path stage() throws IOException {
    Files.createDirectories(modelDir);
    return Files.createDirectory(
        modelDir.resolve(STAGING + ProcessHandle.current().pid() + "-" + UUID.randomUUID()));
  }

  /**
   * Publishes a staged folder as the next version by one rename. The folder must be a complete export with its
   * evaluation; the rename is what makes it visible, so a crash before it leaves only a staging folder behind.
   */
  public Version publish(Path staged) throws IOException {
    if (!staged.getParent().equals(modelDir) || !staged.getFileName().toString().startsWith(STAGING)) {
      throw new IllegalArgumentException(staged + " is not a staging folder of " + modelDir + " (use stage())");
    }
    ExportMetadata.read(staged);
    ModelEvaluation.read(staged);
    while (true) {
      long next = latest().map(Version::number).orElse(0L) + 1;
      Path target = modelDir.resolve(Long.toString(next));
      try {
        Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        return new Version(next, target);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException(modelDir + " cannot rename folders atomically; a model repository needs a file "
            + "system that can (a local disk or a POSIX shared file system)", e);
      } catch (FileSystemException e) {
        if (!Files.exists(target)) {
          throw e;
        }
        // another publisher took this number between our listing and the rename: try the next one
      }
    }
  }

  /**
   * Publishes a copy of an existing export folder as the next version, with {@code evaluation}: to serve an export
   * through a repository, or to publish the same model again (benchmarks, tests). Files are hard links where the
   * file system allows (a published version never changes, so sharing its files is safe), else copies. The export's
   * output-folder marker stays behind: a version belongs to the repository, not to the job that wrote the export.
   */
  public Version publishCopy(Path exportDir, ModelEvaluation evaluation) throws IOException {
    ExportMetadata.read(exportDir);
    Path staged = stage();
    try {
      try (Stream<Path> files = Files.walk(exportDir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Path to = staged.resolve(exportDir.relativize(f).toString());
          if (Files.isDirectory(f)) {
            Files.createDirectories(to);
          } else if (!f.getFileName().toString().equals(OutputFolder.MARKER)) {
            try {
              Files.createLink(to, f);
            } catch (UnsupportedOperationException | IOException e) {
              Files.copy(f, to);
            }
          }
        }
      }
      evaluation.write(staged);
      return publish(staged);
    } finally {
      if (Files.exists(staged)) {
        deleteTree(staged);
      }
    }
  }

  /**
   * Deletes staging folders left by processes that no longer run (a publisher killed mid-write), and returns them.
   * Folders of a live process are its work in progress and stay.
   */
  public List<Path> removeAbandonedStaging() throws IOException {
    if (!Files.isDirectory(modelDir)) {
      return List.of();
    }
    List<Path> abandoned = new ArrayList<>();
    try (Stream<Path> children = Files.list(modelDir)) {
      children.filter(c -> c.getFileName().toString().startsWith(STAGING)).forEach(c -> {
        String rest = c.getFileName().toString().substring(STAGING.length());
        int dash = rest.indexOf('-');
        long pid = dash > 0 && rest.substring(0, dash).chars().allMatch(Character::isDigit)
            ? Long.parseLong(rest.substring(0, dash)) : -1;
        if (pid < 0 || ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty()) {
          abandoned.add(c);
        }
      });
    }
    for (Path dir : abandoned) {
      deleteTree(dir);
    }
    return abandoned;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public String toString() {
    return modelDir.toString();
  }
}
