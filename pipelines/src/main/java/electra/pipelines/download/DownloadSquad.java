package electra.pipelines.download;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.data.Checksum;
import electra.data.DownloadSettings;
import electra.data.Downloader;
import electra.data.Mirror;
import electra.data.SampleFile;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code DownloadSquad}: the SQuAD v1.1 and v2.0 train and dev sets, each verified against its known SHA-256. The
 * dev files are all that the official evaluation reads besides the predictions.
 */
public final class DownloadSquad extends VerifiedDownloadJob {

  /**
   * SHA-256 of the official files, from the project's reference data notes ({@code shared/data/README.md}):
   * train-v1.1 from the Git-LFS pointer in salmedina/SQuAD; dev-v1.1 (also a {@link SampleFile}) computed from the
   * official file (equal to that LFS oid and to the git blob in rajpurkar/SQuAD-explorer); the v2.0 files from
   * ParlAI's download manifests.
   */
  public static final Map<String, Checksum> OFFICIAL_SHA256 = Map.of(
      "train-v1.1.json", Checksum.sha256("3527663986b8295af4f7fcdff1ba1ff3f72d07d61a20f487cb238a6ef92fd955"),
      "dev-v1.1.json", SampleFile.SQUAD_DEV_V1_1.sha256(),
      "train-v2.0.json", Checksum.sha256("68dcfbb971bd3e96d5b46c7177b16c1a4e7d4bdef19fb204502738552dede002"),
      "dev-v2.0.json", Checksum.sha256("80a5225e94905956a6446d296ca1093975c4d3b3260f1d6c8f68bc2ab77182d8"));

  public DownloadSquad() {
    super(OFFICIAL_SHA256);
  }

  /** @param checksums the digest each file must have, by file name */
  public DownloadSquad(PrintStream out, DownloadSettings patience, Supplier<Mirror> mirror,
      Map<String, Checksum> checksums) {
    super(out, patience, mirror, checksums);
  }

  @Override
  public String name() {
    return "DownloadSquad";
  }

  @Override
  public String description() {
    return "SQuAD v1.1 / v2.0 train and dev JSON files, checked against their official SHA-256";
  }

  /** The SQuAD files {@code DownloadSquad} fetches, from where, and into which folder. */
  record Settings(
      @Flag(value = "1.1, 2.0 or all", defaultValue = "all")
      String version,
      @Flag(value = "folder that serves the files", defaultValue = SampleFile.SQUAD_SITE)
      BaseUrl baseUrl,
      @Flag(value = "folder for the files", defaultValue = "data/download/squad")
      Path outputDir,
      Overwrite overwrite,
      List<String> files) { // derived from version

    Settings {
      files = DownloadSquad.files(version);
      if (outputDir == null) {
        throw new UsageException("--output_dir is required");
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("DownloadSquad", "downloads train-v<version>.json and dev-v<version>.json and verifies their"
            + " official SHA-256")
        .example("./electra DownloadSquad")
        .example("./electra DownloadSquad --version=1.1 --output_dir=data/squad")
        .record(Settings.class);
  }

  /** The file names of a {@code --version}: train and dev of 1.1, of 2.0, or of both. */
  static List<String> files(String version) {
    List<String> versions = switch (version.trim()) {
      case "1.1", "2.0" -> List.of(version.trim());
      case "all" -> List.of("1.1", "2.0");
      default -> throw new UsageException("--version must be 1.1, 2.0 or all, got '" + version + "'");
    };
    List<String> files = new ArrayList<>();
    versions.forEach(v -> files.addAll(List.of("train-v" + v + ".json", "dev-v" + v + ".json")));
    return files;
  }

  @Override
  public void run(String[] args) throws IOException, InterruptedException {
    Settings settings = flags().parse(args).record(Settings.class);
    Downloader downloader = start(settings.outputDir(), settings.overwrite());
    List<Path> done = new ArrayList<>();
    for (String file : settings.files()) {
      done.add(download(downloader, file, settings.baseUrl().resolve(file), settings.outputDir().resolve(file)));
    }
    printVerified("SQuAD files (verified):", done);
  }
}
