package electra.pipelines.squad;

import electra.beam.OverwriteOptions;
import electra.pipelines.TokenizerOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Flags of {@code PrepareSquad}; names and defaults as in BERT's and NVIDIA's {@code run_squad}. */
public interface PrepareSquadOptions extends TokenizerOptions, OverwriteOptions {

  @Description("A SQuAD v1.1 or v2.0 JSON file, plain or gzipped; local, gs:// or s3://")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("Output folder for the TFRecord shards and manifest.json")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Tokens per feature: [CLS] question [SEP] context window [SEP], padded")
  @Default.Integer(384)
  int getMaxSeqLength();

  void setMaxSeqLength(int value);

  @Description("Context windows start this many WordPieces apart")
  @Default.Integer(128)
  int getDocStride();

  void setDocStride(int value);

  @Description("Questions are cut to this many WordPieces")
  @Default.Integer(64)
  int getMaxQueryLength();

  void setMaxQueryLength(int value);

  @Description("Keep SQuAD 2.0's unanswerable questions (default: as the file is); false leaves them out of training")
  Boolean getVersion2WithNegative();

  void setVersion2WithNegative(Boolean value);

  @Description("Number of output shards")
  @Default.Integer(8)
  int getNumShards();

  void setNumShards(int value);

  @Description("Training features (with start/end positions); false writes features for prediction")
  @Default.Boolean(true)
  boolean getTraining();

  void setTraining(boolean value);
}
