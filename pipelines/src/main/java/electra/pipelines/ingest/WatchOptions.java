package electra.pipelines.ingest;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * The flags of continuous ingestion ({@link ContinuousIngest}), for the jobs that follow one corpus:
 * {@code IngestWiki}, {@code IngestBooks} and {@code IngestText}. {@code IngestCorpora} reads several corpora at once
 * and takes none of them, so its {@code --help} does not offer them.
 */
public interface WatchOptions extends IngestOptions {

  @Description("Keep running: ingest each new file that lands under --input once, appending shards to the manifests")
  @Default.Boolean(false)
  boolean getWatch();

  void setWatch(boolean value);

  @Description("With --watch: seconds between looks at --input")
  @Default.Integer(10)
  int getPollInterval();

  void setPollInterval(int value);

  @Description("With --watch: stop after this many seconds without a new file; 0 runs until stopped (Ctrl-C, SIGTERM)")
  @Default.Integer(0)
  int getMaxIdle();

  void setMaxIdle(int value);
}
