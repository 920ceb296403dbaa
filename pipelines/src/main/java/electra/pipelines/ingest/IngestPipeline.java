package electra.pipelines.ingest;

import electra.beam.PipelineCounters;
import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.pack.ExamplePacker;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.values.PCollection;

/**
 * The ingest pipeline, step by step as in the architecture picture:
 * <pre>
 *   MatchCorpusFiles -> ExtractDocuments -> SplitSentences -> TokenizeSentences
 *     -> PackExamples (phase 1, 128, and phase 2, 512) -> SplitTrainTest -> WriteShards (+ a manifest per set)
 * </pre>
 * Both phases are packed from the same tokenized documents, so phase 2 sees exactly phase 1's text. The steps form
 * one chain up to the single shuffle in WriteShards: no document is serialized between steps. (IngestWiki also
 * shuffles the byte ranges its dumps are read in, before reading: a few tiny elements per file.)
 */
public final class IngestPipeline {

  /** One shard set the pipeline writes, e.g. {@code phase1/train}. */
  public record ShardSet(String directory, int maxSeqLength, int shards) {}

  private final IngestOptions options;
  private final ExtractDocuments.Source source;
  private final String job;

  public IngestPipeline(IngestOptions options, ExtractDocuments.Source source, String job) {
    this.options = options;
    this.source = source;
    this.job = job;
  }

  /**
   * The folders this run writes, in order: phase1/train, phase1/test, then phase 2 when enabled (the order of
   * {@link SplitTrainTest#shardSet(int, boolean)}).
   */
  public List<ShardSet> shardSets() {
    String out = options.getOutput().replaceAll("/+$", "");
    List<ShardSet> sets = new ArrayList<>();
    int[] lengths = phaseLengths();
    for (int phase = 1; phase <= lengths.length; phase++) {
      sets.add(new ShardSet(out + "/phase" + phase + "/train", lengths[phase - 1], options.getNumTrainShards()));
      sets.add(new ShardSet(out + "/phase" + phase + "/test", lengths[phase - 1], options.getNumTestShards()));
    }
    return sets;
  }

  /** The highest continuous-ingestion batch whose shards any of this run's manifests lists; 0 when none does. */
  public int highestListedBatch() throws IOException {
    int highest = 0;
    for (ShardSet set : shardSets()) {
      Optional<String> manifest = AtomicFiles.readText(set.directory(), ShardManifest.FILE_NAME);
      if (manifest.isPresent()) {
        for (ShardManifest.Shard shard : ShardManifest.fromJson(manifest.get()).shards()) {
          highest = Math.max(highest, ShardNames.watchBatchOf(shard.file()));
        }
      }
    }
    return highest;
  }

  /** What a finished run of this pipeline counted, as the lines the job prints ({@link IngestCounters}). */
  public List<String> counterLines(PipelineResult result) {
    return IngestCounters.lines(PipelineCounters.of(result), source, phaseLengths().length);
  }

  /** The example length of each phase: phase 1, and phase 2 when enabled. */
  private int[] phaseLengths() {
    return options.getMaxSeqLengthP2() > 0
        ? new int[] {options.getMaxSeqLengthP1(), options.getMaxSeqLengthP2()}
        : new int[] {options.getMaxSeqLengthP1()};
  }

  /** The pipeline over every file of {@code --input}, writing fresh shard sets and manifests. */
  public Pipeline build() throws IOException {
    FileSystems.setDefaultPipelineOptions(options);
    return build(MatchCorpusFiles.input(options.getInput(), source.compression()).requireMatches(),
        ShardNames::batch, false);
  }

  /** The pipeline over one batch of newly landed files, appending its shards to the existing manifests. */
  public Pipeline buildBatch(int batch, List<String> files) throws IOException {
    FileSystems.setDefaultPipelineOptions(options);
    return build(MatchCorpusFiles.files(files, source.compression()), count -> ShardNames.watchBatch(batch, count),
        true);
  }

  /** Builds the steps; the vocabulary is loaded here once and shipped to the workers with the tokenizer step. */
  private Pipeline build(MatchCorpusFiles files, IntFunction<ShardNames> names, boolean append) throws IOException {
    Vocabulary vocabulary = Vocabulary.resolve(options.getVocabFile());
    VocabularyInfo.requireCase(vocabulary, options.getDoLowerCase());
    Pipeline pipeline = Pipeline.create(options);
    PCollection<TokenizedDocument> documents = pipeline
        .apply("MatchCorpusFiles", files)
        .apply("ExtractDocuments", new ExtractDocuments(source, Math.round(options.getSplitMb() * (1 << 20))))
        .apply("SplitSentences", new SplitSentences())
        .apply("Tokenize", new TokenizeSentences(vocabulary, options.getDoLowerCase(),
            options.getMaxInputCharsPerWord()));
    List<ExamplePacker> packers = new ArrayList<>();
    for (int length : phaseLengths()) {
      packers.add(new ExamplePacker(length, vocabulary.clsId(), vocabulary.sepId()));
    }
    List<WriteShards.Target> targets = new ArrayList<>();
    for (ShardSet set : shardSets()) {
      ShardManifest template = new ShardManifest(set.maxSeqLength(), vocabulary.fingerprint(), parameters(), List.of());
      targets.add(new WriteShards.Target(set.directory(), names.apply(set.shards()), template,
          PackExamples.TO_TF_EXAMPLE));
    }
    documents
        .apply("PackExamples", new PackExamples(packers, options.getSeed()))
        .apply("SplitTrainTest", new SplitTrainTest(options.getTestFraction()))
        .apply("WriteShards", new WriteShards(targets, append));
    return pipeline;
  }

  /** What every manifest records about the run that made it. */
  private Map<String, String> parameters() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("job", job);
    p.put("input", options.getInput());
    p.put("vocab_file", options.getVocabFile());
    p.put("do_lower_case", Boolean.toString(options.getDoLowerCase()));
    p.put("max_input_chars_per_word", Integer.toString(options.getMaxInputCharsPerWord()));
    p.put("test_fraction", Double.toString(options.getTestFraction()));
    p.put("seed", Long.toString(options.getSeed()));
    return p;
  }
}
