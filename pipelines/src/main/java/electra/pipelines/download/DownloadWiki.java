package electra.pipelines.download;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.data.Checksum;
import electra.data.DownloadSettings;
import electra.data.Downloader;
import electra.data.HttpStatusException;
import electra.data.Mirror;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code DownloadWiki}: a Wikipedia dump, verified against the checksum list published beside it, ready for
 * {@code IngestWiki}. NVIDIA's recipe downloads {@code enwiki-latest-pages-articles.xml.bz2} the same way; IngestWiki
 * reads the .bz2 directly, so nothing is unpacked.
 */
public final class DownloadWiki implements Job {

  private final PrintStream out;
  private final DownloadSettings patience;
  private final Supplier<Mirror> mirror;

  public DownloadWiki() {
    this(System.out, DownloadSettings.DEFAULT, Mirror::fromEnvironment);
  }

  /** @param mirror read when the job runs, so that a bad ELECTRA_MIRROR stops only a job that downloads */
  public DownloadWiki(PrintStream out, DownloadSettings patience, Supplier<Mirror> mirror) {
    this.out = out;
    this.patience = patience;
    this.mirror = mirror;
  }

  @Override
  public String name() {
    return "DownloadWiki";
  }

  @Override
  public String description() {
    return "a Wikipedia XML dump (.bz2) from dumps.wikimedia.org, resumable, checked against its published sha1";
  }

  /** Where dumps go by default: {@code data/download/wikicorpus_<language>/}, relative to the working directory. */
  private static final Path DOWNLOADS = Path.of("data", "download");
  private static final String FOLDER_PREFIX = "wikicorpus_";

  /** The dump {@code DownloadWiki} fetches and where it goes. */
  record Settings(
      WikiDump dump,
      @Flag("folder for the dump (default: data/download/wikicorpus_<language>)")
      Path outputDir,
      Overwrite overwrite,
      @Flag(value = "download even when no checksum list is published (not verified)", defaultValue = "false")
      boolean skipChecksum) {

    Settings {
      outputDir = outputDir != null ? outputDir : DOWNLOADS.resolve(FOLDER_PREFIX + dump.language());
    }
  }

  /**
   * The dumps that runs with the default {@code --output_dir} finished, under {@code workingDir}, newest first (by
   * modification time). An interrupted download is still a {@code .part} file and never counts.
   */
  public static List<Path> fetchedDumps(Path workingDir) throws IOException {
    Path downloads = workingDir.resolve(DOWNLOADS);
    if (!Files.isDirectory(downloads)) {
      return List.of();
    }
    List<Path> dumps = new ArrayList<>();
    try (DirectoryStream<Path> folders = Files.newDirectoryStream(downloads, FOLDER_PREFIX + "*")) {
      for (Path folder : folders) {
        if (Files.isDirectory(folder)) {
          try (DirectoryStream<Path> files = Files.newDirectoryStream(folder,
              f -> Files.isRegularFile(f) && WikiDump.isDumpFileName(f.getFileName().toString()))) {
            files.forEach(dumps::add);
          }
        }
      }
    }
    dumps.sort(Comparator.comparingLong((Path dump) -> dump.toFile().lastModified()).reversed());
    return dumps;
  }

  static Flags flags() {
    return Flags.forJob("DownloadWiki", "downloads <lang>wiki-<date>-pages-articles-multistream.xml.bz2 and verifies"
            + " its published checksum; an interrupted download resumes where it stopped")
        .example("./electra DownloadWiki")
        .example("./electra DownloadWiki --language=de --dump_date=20240601 --multistream=false")
        .example("./electra DownloadWiki --base_url=https://mirror.accum.se/mirror/wikimedia.org/dumps")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException, InterruptedException {
    Settings settings = flags().parse(args).record(Settings.class);
    WikiDump dump = settings.dump();
    Downloader downloader = new Downloader(out, patience, mirror.get());
    Optional<Checksum> expected = settings.skipChecksum()
        ? Optional.empty()
        : Optional.of(publishedChecksum(downloader, dump));
    // a dump already there is checked against its checksum and kept, a partial one resumed
    OutputFolder.claim(settings.outputDir(), OutputFolder.Claim.resuming(name()), settings.overwrite());
    Path file = downloader.download(dump.fileUrl(), settings.outputDir().resolve(dump.fileName()), expected);
    out.println();
    out.println("Wikipedia dump: " + file);
    out.println("Next: ./electra IngestWiki --input=" + file + " --output=runs/wikicorpus_" + dump.language());
  }

  /** The dump's digest from the first checksum list the dump folder has. */
  private Checksum publishedChecksum(Downloader downloader, WikiDump dump) throws IOException, InterruptedException {
    for (URI list : dump.checksumUrls()) {
      String text;
      try {
        text = downloader.fetchText(list);
      } catch (HttpStatusException e) {
        if (e.status() == 404) {
          continue;
        }
        throw e;
      }
      WikiDump.Published published = dump.findChecksum(text).orElseThrow(() -> new IOException(list
          + " lists no " + dump.fileName() + "; the dump may still be in progress (try an earlier --dump_date) or"
          + " pass --skip_checksum to download it unverified"));
      out.println(list + ": " + published.fileName() + " has " + published.checksum());
      return published.checksum();
    }
    throw new IOException("no checksum list for " + dump.fileUrl() + " (looked for " + dump.checksumUrls()
        + "); check --language and --dump_date, or pass --skip_checksum to download it unverified");
  }
}
