package electra.pipelines.ingest;

import electra.beam.OverwriteOptions;
import electra.pipelines.TokenizerOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Flags of the ingest jobs ({@code IngestWiki}, {@code IngestBooks}, {@code IngestText}). Whether {@code --input} and
 * {@code --output} are required is each job's own interface's to say ({@link IngestWikiOptions},
 * {@link CorpusOptions}): Beam lets {@code @Validation.Required} differ between interfaces, not {@code @Default}.
 */
public interface IngestOptions extends TokenizerOptions, OverwriteOptions {

  String INPUT = "Corpus files: a file, a glob or a folder (every file in it); local, gs:// or s3://";
  String OUTPUT = "Output folder; shards go to <output>/phase1/{train,test}/ and <output>/phase2/{train,test}/";

  @Description(INPUT)
  String getInput();

  void setInput(String value);

  @Description(OUTPUT)
  String getOutput();

  void setOutput(String value);

  @Description("Tokens per phase-1 example")
  @Default.Integer(128)
  int getMaxSeqLengthP1();

  void setMaxSeqLengthP1(int value);

  @Description("Tokens per phase-2 example; 0 writes no phase-2 shards")
  @Default.Integer(512)
  int getMaxSeqLengthP2();

  void setMaxSeqLengthP2(int value);

  @Description("Shards per phase in the training split")
  @Default.Integer(8)
  int getNumTrainShards();

  void setNumTrainShards(int value);

  @Description("Shards per phase in the test split")
  @Default.Integer(2)
  int getNumTestShards();

  void setNumTestShards(int value);

  @Description("Fraction of documents held out for the test split, chosen by a stable hash of the document id")
  @Default.Double(0.1)
  double getTestFraction();

  void setTestFraction(double value);

  @Description("Seed of the packing rules; the same input and seed give byte-identical shards on any runner")
  @Default.Long(12345)
  long getSeed();

  void setSeed(long value);

  @Description("IngestWiki: read each dump in byte ranges of this many MB (MiB), on different workers; uncompressed"
      + " XML and multistream bz2 dumps can be split, a single-stream bz2 file cannot; 0 reads every file whole")
  @Default.Double(64)
  double getSplitMb();

  void setSplitMb(double value);

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
