package electra.pipelines.ingest;

import org.apache.beam.sdk.options.Description;

/** {@code IngestWiki}: with no flags at all it ingests Wikipedia (the downloaded dump, else a sample). */
public interface IngestWikiOptions extends WatchOptions {

  /** Where shards go without {@code --output}. */
  String DEFAULT_OUTPUT = "runs/wiki";

  @Override
  @Description(INPUT + " (default: the newest dump DownloadWiki fetched into data/download/wikicorpus_*/, else"
      + " a small Wikipedia sample: ../shared/data's copy, else cached or downloaded)")
  String getInput();

  @Override
  @Description(OUTPUT + " (default: " + DEFAULT_OUTPUT + ")")
  String getOutput();
}
