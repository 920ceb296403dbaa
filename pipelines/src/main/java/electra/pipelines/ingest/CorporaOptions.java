package electra.pipelines.ingest;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** {@code IngestCorpora}: {@code --input} lists the corpora, each with its kind; both folders must be given. */
public interface CorporaOptions extends IngestOptions {

  @Override
  @Description("Corpora, comma-separated, each KIND=FILES: KIND wikipedia, books or text (as IngestWiki, IngestBooks "
      + "and IngestText read them), FILES a file, a glob or a folder; local, gs:// or s3://")
  @Validation.Required
  String getInput();

  @Override
  @Description(OUTPUT)
  @Validation.Required
  String getOutput();
}
