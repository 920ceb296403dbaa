package electra.pipelines.ingest;

import electra.beam.OverwriteOptions;
import electra.pipelines.TokenizerOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;

/**
 * Flags every ingest job takes ({@code IngestWiki}, {@code IngestBooks}, {@code IngestText}, {@code IngestCorpora});
 * those of {@code --watch} are {@link WatchOptions}, which {@code IngestCorpora} does not take. Whether
 * {@code --input} and {@code --output} are required is each job's own interface's to say ({@link IngestWikiOptions},
 * {@link CorpusOptions}, {@link CorporaOptions}): Beam lets {@code @Validation.Required} differ between interfaces,
 * not {@code @Default}.
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
}
