package electra.pipelines.ingest;

import electra.data.SampleData;
import electra.data.SampleFile;
import electra.pipelines.download.DownloadWiki;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@code IngestWiki} reads when given no {@code --input}: the dump {@code DownloadWiki} fetched (the newest, if
 * it fetched several), else the Wikipedia sample, so that a first run needs no flags and no 20 GB download.
 *
 * @param input the file to read
 * @param reason one line for the user: what was chosen and why
 */
record DefaultWikiInput(Path input, String reason) {

  DefaultWikiInput {
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * @param workingDir where {@code DownloadWiki} keeps dumps by default ({@code data/download/wikicorpus_*})
   * @param samples where the sample comes from when there is no dump
   */
  static DefaultWikiInput choose(Path workingDir, SampleData samples) throws IOException {
    List<Path> dumps = DownloadWiki.fetchedDumps(workingDir);
    if (!dumps.isEmpty()) {
      Path newest = dumps.get(0);
      return new DefaultWikiInput(newest, "no --input: reading the dump DownloadWiki fetched, " + newest
          + (dumps.size() > 1 ? " (the newest of " + dumps.size() + " there)" : ""));
    }
    SampleData.Located sample = samples.locate(SampleFile.WIKIPEDIA_SAMPLE);
    return new DefaultWikiInput(sample.file(), "no --input and no dump from DownloadWiki under data/download/: "
        + "reading the Wikipedia sample " + sample.file() + " (" + sample.origin() + "); ./electra DownloadWiki"
        + " fetches all of Wikipedia");
  }
}
