package electra.beam;

import electra.cli.Overwrite;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** {@code --overwrite} of the Beam jobs that write a folder, said as every other job says it ({@link Overwrite}). */
public interface OverwriteOptions extends PipelineOptions {

  @Description(Overwrite.HELP)
  @Default.Boolean(false)
  boolean getOverwrite();

  void setOverwrite(boolean value);
}
