package electra.pipelines.download;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code DownloadWiki}: a Wikipedia dump, verified against the checksum list published beside it, ready for
 * {@code IngestWiki}. NVIDIA's recipe downloads {@code enwiki-latest-pages-articles.xml.bz2} the same way; IngestWiki
 * reads the .bz2 directly, so nothing is unpacked.
 */
public final class DownloadWiki implements Job {

  private final PrintStream out;
  private final DownloadSettings patience;

  public DownloadWiki() {
    this(System.out, DownloadSettings.DEFAULT);
  }

  public DownloadWiki(PrintStream out, DownloadSettings patience) {
    this.out = out;
    this.patience = patience;
  }

  @Override
  public String name() {
    return "DownloadWiki";
  }

  @Override
  public String description() {
    return "a Wikipedia XML dump (.bz2) from dumps.wikimedia.org, resumable, checked against its published sha1";
  }

  /** The dump {@code DownloadWiki} fetches and where it goes. */
  record Settings(
      WikiDump dump,
      @Flag("folder for the dump (default: data/download/wikicorpus_<language>)")
      Path outputDir,
      @Flag(value = "download even when no checksum list is published (not verified)", defaultValue = "false")
      boolean skipChecksum) {

    Settings {
      outputDir = outputDir != null ? outputDir : Path.of("data/download/wikicorpus_" + dump.language());
    }
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
    Downloader downloader = new Downloader(out, patience);
    Optional<Checksum> expected = settings.skipChecksum()
        ? Optional.empty()
        : Optional.of(publishedChecksum(downloader, dump));
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
