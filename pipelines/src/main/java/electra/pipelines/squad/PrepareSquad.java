package electra.pipelines.squad;

import electra.beam.BeamJob;
import electra.beam.BeamStorage;
import electra.beam.PipelineCounters;
import electra.beam.ShardFiles;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.pipelines.ingest.ShardNames;
import electra.pipelines.ingest.WriteShards;
import electra.records.ShardManifest;
import electra.squad.QaFeaturizer;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * {@code PrepareSquad}: a SQuAD JSON file becomes QA features ({@link electra.squad.QaRecord}) in TFRecord
 * shards plus a {@link ShardManifest}: {@code <output>/squad_train.tfrecord-NNNNN-of-MMMMM} for training,
 * {@code squad_eval.tfrecord-...} for prediction. The same file and flags give byte-identical shards on any
 * runner and parallelism: unique ids come from each question's place in the file, and {@link WriteShards} places
 * records by a stable hash of them.
 */
public final class PrepareSquad extends BeamJob<PrepareSquadOptions> {

  private final PrintStream out;

  public PrepareSquad() {
    this(System.out);
  }

  PrepareSquad(PrintStream out) {
    super(PrepareSquadOptions.class);
    this.out = out;
  }

  @Override
  public String name() {
    return "PrepareSquad";
  }

  @Override
  public String description() {
    return "SQuAD v1.1/v2.0 JSON -> QA features (sliding windows) as TFRecord shards for fine-tuning or prediction";
  }

  @Override
  protected String examples() {
    return "  ./electra PrepareSquad --input=data/download/squad/train-v1.1.json --output=runs/squad/train-v1.1\n"
        + "  ./electra PrepareSquad --input=../shared/data/squad/dev-v1.1.json.gz --output=runs/squad/dev --training=false\n"
        + "  ./electra PrepareSquad --input=gs://my-bucket/squad/train-v2.0.json --output=gs://my-bucket/squad/train "
        + "--flink_master=flink:8081\n";
  }

  /** The shard file names' stem: training and prediction features are different record kinds. */
  static String stem(boolean training) {
    return training ? "squad_train.tfrecord" : "squad_eval.tfrecord";
  }

  @Override
  protected void run(PrepareSquadOptions options) throws IOException {
    FileSystems.setDefaultPipelineOptions(options);
    String input = singleFile(options.getInput());
    QaFeaturizer.Options windows = usage(() -> new QaFeaturizer.Options(options.getMaxSeqLength(),
        options.getDocStride(), options.getMaxQueryLength()));
    ShardNames names = usage(() -> ShardNames.batch(stem(options.getTraining()), options.getNumShards()));
    Vocabulary vocabulary = Vocabulary.resolve(options.getVocabFile());
    VocabularyInfo.requireCase(vocabulary, options.getDoLowerCase());
    FeaturizeQuestions featurize = usage(() -> new FeaturizeQuestions(new FeaturizeQuestions.Settings(vocabulary,
        options.getDoLowerCase(), options.getMaxInputCharsPerWord(), windows, options.getTraining(),
        !Boolean.FALSE.equals(options.getVersion2WithNegative()))));
    ShardManifest template = new ShardManifest(windows.maxSeqLength(), vocabulary.fingerprint(),
        parameters(options), List.of());

    OutputFolder.claim(BeamStorage.INSTANCE, options.getOutput(), OutputFolder.Claim.newOutput(name()),
        new Overwrite(options.getOverwrite()));
    out.printf("%s: %s -> %s (runner %s)%n", name(), input, options.getOutput(), options.getRunner().getSimpleName());
    Instant start = Instant.now();
    Pipeline pipeline = Pipeline.create(options);
    pipeline
        .apply("ReadSquad", new ReadSquadQuestions(input))
        .apply("Featurize", featurize)
        .apply("ToShardSet", WriteShards.toOneSet())
        .apply("WriteShards", new WriteShards(options.getOutput(), names, template, false));
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the pipeline ended in state " + state);
    }
    ShardManifest manifest = ShardFiles.readManifest(options.getOutput());
    PipelineCounters counters = PipelineCounters.of(result);
    out.printf(Locale.ROOT, "  %d questions: %d features of %d tokens in %d shards; %d without a usable answer, "
            + "%d unanswerable left out%n", counters.get(FeaturizeQuestions.class, FeaturizeQuestions.QUESTIONS),
        manifest.records(), manifest.maxSeqLength(), manifest.shards().size(),
        counters.get(FeaturizeQuestions.class, FeaturizeQuestions.UNUSABLE),
        counters.get(FeaturizeQuestions.class, FeaturizeQuestions.UNANSWERABLE_LEFT_OUT));
    out.printf(Locale.ROOT, "%s: done in %.1f s%n", name(), Duration.between(start, Instant.now()).toMillis() / 1e3);
  }

  /** The one file {@code --input} names; unique ids number the questions of a single file. */
  static String singleFile(String input) {
    List<MatchResult.Metadata> files;
    try {
      MatchResult match = FileSystems.match(input, EmptyMatchTreatment.ALLOW);
      files = match.status() == MatchResult.Status.OK ? match.metadata() : List.of();
    } catch (IOException e) {
      throw new UsageException("cannot read --input " + input + ": " + e.getMessage());
    }
    if (files.size() != 1 || files.get(0).resourceId().isDirectory()) {
      throw new UsageException("--input must name one SQuAD JSON file, but " + input + " matches "
          + (files.isEmpty() ? "nothing" : files.size() + " files"));
    }
    return files.get(0).resourceId().toString();
  }

  /** What a constructor refuses is a usage error: one line naming the flag's problem. */
  private static <T> T usage(Supplier<T> build) {
    try {
      return build.get();
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** What the manifest records about the run that made the shards. */
  private Map<String, String> parameters(PrepareSquadOptions options) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("job", name());
    p.put("input", options.getInput());
    p.put("vocab_file", options.getVocabFile());
    p.put("do_lower_case", Boolean.toString(options.getDoLowerCase()));
    p.put("max_input_chars_per_word", Integer.toString(options.getMaxInputCharsPerWord()));
    p.put("doc_stride", Integer.toString(options.getDocStride()));
    p.put("max_query_length", Integer.toString(options.getMaxQueryLength()));
    p.put("version_2_with_negative", options.getVersion2WithNegative() == null
        ? "as the file is" : options.getVersion2WithNegative().toString());
    p.put("training", Boolean.toString(options.getTraining()));
    return p;
  }
}
