package electra.pipelines.download;

import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.data.Checksum;
import electra.data.DownloadSettings;
import electra.data.Downloader;
import electra.data.Mirror;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A download job whose every file has a digest known in advance ({@code DownloadSquad}, {@code DownloadGlue}): where
 * it prints, how patient it is, the mirror, the digests, the output folder it continues, and the closing list.
 */
abstract class VerifiedDownloadJob implements Job {

  final PrintStream out;
  private final DownloadSettings patience;
  private final Supplier<Mirror> mirror;
  private final Map<String, Checksum> checksums;

  /** The job as the launcher starts it: printing to stdout, default patience, ELECTRA_MIRROR, the official digests. */
  VerifiedDownloadJob(Map<String, Checksum> official) {
    this(System.out, DownloadSettings.DEFAULT, Mirror::fromEnvironment, official);
  }

  /**
   * @param mirror read when the job runs, so that a bad ELECTRA_MIRROR stops only a job that downloads
   * @param checksums the digest each file must have, by the key the job names files by (tests serve files of their
   *     own)
   */
  VerifiedDownloadJob(PrintStream out, DownloadSettings patience, Supplier<Mirror> mirror,
      Map<String, Checksum> checksums) {
    this.out = out;
    this.patience = patience;
    this.mirror = mirror;
    this.checksums = Map.copyOf(checksums);
  }

  /**
   * The downloader for this run, once {@code outputDir} is claimed: files already there are checked against their
   * digests and kept, a partial one is resumed.
   */
  Downloader start(Path outputDir, Overwrite overwrite) throws IOException {
    Downloader downloader = new Downloader(out, patience, mirror.get());
    OutputFolder.claim(outputDir, OutputFolder.Claim.resuming(name()), overwrite);
    return downloader;
  }

  /** Downloads {@code from} to {@code target}, verified against the digest known for {@code file}. */
  Path download(Downloader downloader, String file, URI from, Path target) throws IOException, InterruptedException {
    Checksum expected = Objects.requireNonNull(checksums.get(file), () -> "no checksum known for " + file);
    return downloader.download(from, target, Optional.of(expected));
  }

  /** The closing lines: {@code title}, then each path the run verified or found complete. */
  void printVerified(String title, List<Path> done) {
    out.println();
    out.println(title);
    done.forEach(p -> out.println("  " + p));
  }
}
