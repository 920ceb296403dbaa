package electra.pipelines.ingest;

import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** {@code IngestBooks} and {@code IngestText}: no corpus is implied, so both folders must be given. */
public interface CorpusOptions extends WatchOptions {

  @Override
  @Description(INPUT)
  @Validation.Required
  String getInput();

  @Override
  @Description(OUTPUT)
  @Validation.Required
  String getOutput();
}
