package electra.pipelines.ingest;

import electra.beam.PipelineCounters;
import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.pack.ExamplePacker;
import electra.pipelines.text.TextDocument;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

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

  /** One corpus of a run: its kind and its files (a file, a glob or a folder). */
  public record Corpus(ExtractDocuments.Source source, String input) {

    public Corpus {
      if (source == null || input == null || input.isBlank()) {
        throw new IllegalArgumentException("a corpus needs a kind and its files, got " + source + " " + input);
      }
    }

    /** {@code KIND=FILES}, e.g. {@code wikipedia=runs/download/wiki/} or {@code books=data/books/}. */
    public static Corpus parse(String spec) {
      int eq = spec.indexOf('=');
      String kind = eq < 0 ? "" : spec.substring(0, eq).trim().toUpperCase(Locale.ROOT);
      for (ExtractDocuments.Source s : ExtractDocuments.Source.values()) {
        if (s.name().equals(kind) && !spec.substring(eq + 1).isBlank()) {
          return new Corpus(s, spec.substring(eq + 1).trim());
        }
      }
      throw new IllegalArgumentException("'" + spec + "' is not KIND=FILES with KIND wikipedia, books or text "
          + "(e.g. wikipedia=runs/download/wiki/ or books=data/books/)");
    }

    String stepSuffix(int index) {
      return " (" + index + ": " + source.name().toLowerCase(Locale.ROOT) + ")";
    }
  }

  private final IngestOptions options;
  private final List<Corpus> corpora;
  private final String job;

  /** A run over one corpus, {@code --input}: the shards of IngestWiki, IngestBooks and IngestText. */
  public IngestPipeline(IngestOptions options, ExtractDocuments.Source source, String job) {
    this(options, List.of(new Corpus(source, options.getInput())), job);
  }

  /**
   * A run over several corpora into one shard set, as NVIDIA's {@code create_datasets_from_start.sh wiki_books}
   * makes: each read by its own reader, the train/test split and the packing over their union.
   */
  public IngestPipeline(IngestOptions options, List<Corpus> corpora, String job) {
    if (corpora.isEmpty()) {
      throw new IllegalArgumentException("no corpus to ingest");
    }
    this.options = options;
    this.corpora = List.copyOf(corpora);
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
    return IngestCounters.lines(PipelineCounters.of(result),
        corpora.stream().map(Corpus::source).collect(Collectors.toSet()), phaseLengths().length);
  }

  /** The example length of each phase: phase 1, and phase 2 when enabled. */
  private int[] phaseLengths() {
    return options.getMaxSeqLengthP2() > 0
        ? new int[] {options.getMaxSeqLengthP1(), options.getMaxSeqLengthP2()}
        : new int[] {options.getMaxSeqLengthP1()};
  }

  /** The pipeline over every file of each corpus, writing fresh shard sets and manifests. */
  public Pipeline build() throws IOException {
    FileSystems.setDefaultPipelineOptions(options);
    List<MatchCorpusFiles> files = new ArrayList<>();
    for (Corpus corpus : corpora) {
      files.add(MatchCorpusFiles.input(corpus.input(), corpus.source().compression()).requireMatches());
    }
    return build(files, ShardNames::batch, false);
  }

  /**
   * The pipeline over one batch of newly landed files of the one corpus ({@code --watch}), appending its shards to
   * the existing manifests.
   */
  public Pipeline buildBatch(int batch, List<String> files) throws IOException {
    if (corpora.size() != 1) {
      throw new IllegalStateException("continuous ingestion follows one corpus, not " + corpora.size());
    }
    FileSystems.setDefaultPipelineOptions(options);
    return build(List.of(MatchCorpusFiles.files(files, corpora.get(0).source().compression())),
        count -> ShardNames.watchBatch(batch, count), true);
  }

  /**
   * Builds the steps, one reader per corpus; the vocabulary is loaded here once and shipped to the workers with the
   * tokenizer step.
   */
  private Pipeline build(List<MatchCorpusFiles> files, IntFunction<ShardNames> names, boolean append)
      throws IOException {
    Vocabulary vocabulary = Vocabulary.resolve(options.getVocabFile());
    VocabularyInfo.requireCase(vocabulary, options.getDoLowerCase());
    Pipeline pipeline = Pipeline.create(options);
    long wikiRangeBytes = Math.round(options.getSplitMb() * (1 << 20));
    List<PCollection<TextDocument>> texts = new ArrayList<>();
    for (int i = 0; i < corpora.size(); i++) {
      String suffix = corpora.size() == 1 ? "" : corpora.get(i).stepSuffix(i + 1);
      texts.add(pipeline
          .apply("MatchCorpusFiles" + suffix, files.get(i))
          .apply("ExtractDocuments" + suffix, new ExtractDocuments(corpora.get(i).source(), wikiRangeBytes)));
    }
    PCollection<TextDocument> text = texts.size() == 1 ? texts.get(0)
        : PCollectionList.of(texts).apply("AllCorpora", Flatten.pCollections());
    PCollection<TokenizedDocument> documents = text
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
