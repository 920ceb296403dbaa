package electra.data;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds the {@link SampleFile}s that jobs read by default, in this order:
 * <ol>
 *   <li>a developer checkout's copy: {@code shared/data/} beside the git repository that holds the working
 *       directory ({@code ../shared} seen from the repository root);</li>
 *   <li>the copy an earlier download left in the cache, {@code $ELECTRA_HOME} or else {@code ~/.cache/electra};</li>
 *   <li>downloaded from where it is published (through {@code ELECTRA_MIRROR}, if set), verified, then cached.</li>
 * </ol>
 * Every copy is checked against its SHA-256 before it is used. A download is written to a {@code .part} file and
 * gets its cached name only once it is complete and verified, so a half-written file never counts; a cached file
 * with the wrong digest is downloaded again.
 *
 * @param cacheDir where downloaded files are kept
 * @param sharedData a checkout's {@code shared/data} folder, if there is one
 * @param downloader fetches what is neither there nor cached
 */
public record SampleData(Path cacheDir, Optional<Path> sharedData, Downloader downloader) {

  /** The environment variable that names the cache folder. */
  public static final String HOME_ENV = "ELECTRA_HOME";

  /** Which copy a job got, for the line that tells the user. */
  public enum Origin {
    SHARED_COPY("the checkout's reference data, ../shared/data"),
    CACHED("cached by an earlier download"),
    DOWNLOADED("downloaded just now and verified against its published SHA-256");

    private final String description;

    Origin(String description) {
      this.description = description;
    }

    @Override
    public String toString() {
      return description;
    }
  }

  /** A verified copy of a sample file and where it came from. */
  public record Located(Path file, Origin origin) {
    public Located {
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(origin, "origin");
    }
  }

  public SampleData {
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(sharedData, "sharedData");
    Objects.requireNonNull(downloader, "downloader");
  }

  /**
   * What the environment describes: the cache {@value #HOME_ENV} names, the checkout around the working directory,
   * and downloads through {@code ELECTRA_MIRROR} with their progress on stderr (stdout may be a job's data).
   */
  public static SampleData fromEnvironment() {
    String home = System.getenv(HOME_ENV);
    Path cache = home != null && !home.isBlank()
        ? Path.of(home)
        : Path.of(System.getProperty("user.home"), ".cache", "electra");
    return new SampleData(cache, sharedDataBeside(Path.of("").toAbsolutePath()),
        new Downloader(System.err, DownloadSettings.DEFAULT, Mirror.fromEnvironment()));
  }

  /** {@code <repository>/../shared/data} for the nearest git repository holding {@code workingDir}, if it exists. */
  public static Optional<Path> sharedDataBeside(Path workingDir) {
    for (Path dir = workingDir.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(".git"))) {
        Path parent = dir.getParent();
        Path data = parent == null ? null : parent.resolve("shared").resolve("data");
        return data != null && Files.isDirectory(data) ? Optional.of(data) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** Where the downloaded copy of {@code sample} is kept. */
  public Path cachedFile(SampleFile sample) {
    return cacheDir.resolve(sample.cachePath());
  }

  /**
   * A verified copy of {@code sample}: the checkout's, the cached one, or a new download.
   *
   * @throws IOException when the checkout's copy is damaged, or the download failed or was refused
   */
  public Located locate(SampleFile sample) throws IOException {
    Optional<Path> shared = sharedData.map(d -> d.resolve(sample.sharedPath())).filter(Files::isRegularFile);
    if (shared.isPresent()) {
      Checksum actual = Checksum.of(Checksum.Algorithm.SHA256, shared.get());
      if (!actual.equals(sample.sharedSha256())) {
        throw new IOException(shared.get() + " has " + actual + ", not the " + sample.sharedSha256() + " of "
            + sample.description() + ": the checkout's shared/data folder is damaged; restore it, or move it"
            + " away to download the file instead");
      }
      return new Located(shared.get(), Origin.SHARED_COPY);
    }
    Path cached = cachedFile(sample);
    if (Files.isRegularFile(cached) && Checksum.of(Checksum.Algorithm.SHA256, cached).equals(sample.sha256())) {
      return new Located(cached, Origin.CACHED);
    }
    try {
      downloader.download(sample.url(), cached, Optional.of(sample.sha256()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while downloading " + sample.description());
    }
    return new Located(cached, Origin.DOWNLOADED);
  }
}
