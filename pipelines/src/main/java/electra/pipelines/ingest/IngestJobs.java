package electra.pipelines.ingest;

import electra.beam.BeamJob;
import electra.beam.BeamStorage;
import electra.beam.ShardFiles;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.StopRequest;
import electra.cli.StopSignals;
import electra.cli.UsageException;
import electra.data.SampleData;
import electra.records.ShardManifest;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;

/** The three ingest jobs: the same pipeline with a different first step. */
public final class IngestJobs {

  private IngestJobs() {}

  /**
   * Runs the pipeline to completion and prints what it counted, then where each shard set went and how many examples
   * it holds.
   */
  abstract static class IngestJob<O extends IngestOptions> extends BeamJob<O> {
    private final Function<O, List<IngestPipeline.Corpus>> corpora;
    final PrintStream out;
    private final StopRequest stop = new StopRequest();

    /** A job over the one corpus of {@code --input}, of kind {@code source}. */
    IngestJob(Class<O> optionsType, ExtractDocuments.Source source, PrintStream out) {
      this(optionsType, options -> List.of(new IngestPipeline.Corpus(source, options.getInput())), out);
    }

    IngestJob(Class<O> optionsType, Function<O, List<IngestPipeline.Corpus>> corpora, PrintStream out) {
      super(optionsType);
      this.corpora = corpora;
      this.out = out;
    }

    /**
     * Asks a {@code --watch} run in progress on another thread to end after its batch in progress, as Ctrl-C does;
     * the caller waits for {@link #run} to return. A batch run does not stop.
     */
    public void stop() {
      stop.request();
    }

    /** Fills in what the job may leave out; the options interface has already refused what it may not. */
    void completeOptions(O options) throws IOException {}

    @Override
    protected void run(O options) throws IOException, InterruptedException {
      completeOptions(options);
      IngestPipeline ingest = new IngestPipeline(options, corpora.apply(options), name());
      out.printf("%s: %s -> %s (runner %s)%n", name(), options.getInput(), options.getOutput(),
          options.getRunner().getSimpleName());
      if (options instanceof WatchOptions following && following.getWatch()) {
        claimOutput(options);
        watch(new ContinuousIngest(ingest, following, out));
        return;
      }
      Instant start = Instant.now();
      Pipeline pipeline = ingest.build(); // finds the input files and the vocabulary first
      claimOutput(options);
      PipelineResult result = pipeline.run();
      PipelineResult.State state = result.waitUntilFinish();
      if (state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the pipeline ended in state " + state);
      }
      ingest.counterLines(result).forEach(out::println);
      for (IngestPipeline.ShardSet set : ingest.shardSets()) {
        ShardManifest manifest = ShardFiles.readManifest(set.directory());
        out.printf(Locale.ROOT, "  %-40s %8d examples of %3d tokens in %d shards%n", set.directory(),
            manifest.records(), manifest.maxSeqLength(), manifest.shards().size());
      }
      out.printf(Locale.ROOT, "%s: done in %.1f s%n", name(), Duration.between(start, Instant.now()).toMillis() / 1e3);
    }

    /**
     * Runs continuous ingestion until it stops by itself or a stop is asked for: {@link #stop()}, or Ctrl-C, SIGTERM
     * or SIGHUP ({@link StopSignals}, in place of the JVM's shutdown, whose hooks, embedded Flink's among them, would
     * run beside the batch in progress). That batch then finishes (its shards are listed) or fails (its partial
     * shards are not), never half-listed, and the job returns (status 0); a second Ctrl-C exits at once.
     */
    private void watch(ContinuousIngest watcher) throws IOException, InterruptedException {
      try (StopSignals signals = new StopSignals(stop::request, out)) {
        stop.onRequest(() -> {
          out.println(name() + ": stop requested: ending after the batch in progress (a second Ctrl-C exits at once)");
          watcher.stop();
        });
        watcher.run();
      }
    }

    private void claimOutput(O options) throws IOException {
      FileSystems.setDefaultPipelineOptions(options);
      OutputFolder.claim(BeamStorage.INSTANCE, options.getOutput(),
          new OutputFolder.Claim(name(), work(options), watching(options), ""), new Overwrite(options.getOverwrite()));
    }
  }

  /** Whether this run follows its input ({@code --watch}): only the jobs of one corpus take the flag. */
  private static boolean watching(IngestOptions options) {
    return options instanceof WatchOptions watch && watch.getWatch();
  }

  /**
   * What a run continuing an output folder must share with the run that started it, as flags: only a {@code --watch}
   * run continues, and only a {@code --watch} run's folder (its ledger says which files it took; a batch run's folder
   * has none, so watching it would ingest every file again), over the same input into the same shard lengths with the
   * same tokenization.
   */
  private static String work(IngestOptions options) {
    return (watching(options) ? "--watch " : "") + "--input=" + options.getInput() + " --vocab_file="
        + options.getVocabFile() + " --do_lower_case=" + options.getDoLowerCase() + " --max_seq_length_p1="
        + options.getMaxSeqLengthP1() + " --max_seq_length_p2=" + options.getMaxSeqLengthP2();
  }

  /** {@code IngestWiki}: Wikipedia dumps to pre-training shards. */
  public static final class IngestWiki extends IngestJob<IngestWikiOptions> {
    public IngestWiki() {
      this(System.out);
    }

    IngestWiki(PrintStream out) {
      super(IngestWikiOptions.class, ExtractDocuments.Source.WIKIPEDIA, out);
    }

    /** No {@code --input}: the dump DownloadWiki fetched, else the sample, said in one line; no --output: runs/wiki. */
    @Override
    void completeOptions(IngestWikiOptions options) throws IOException {
      if (options.getInput() == null) {
        DefaultWikiInput chosen = DefaultWikiInput.choose(Path.of(""), SampleData.fromEnvironment());
        out.println(name() + ": " + chosen.reason());
        options.setInput(chosen.input().toString());
      }
      if (options.getOutput() == null) {
        options.setOutput(IngestWikiOptions.DEFAULT_OUTPUT);
      }
    }

    @Override
    public String name() {
      return "IngestWiki";
    }

    @Override
    public String description() {
      return "Wikipedia XML dumps (.xml, .bz2, multistream) -> phase-1/phase-2 pre-training shards";
    }

    @Override
    protected String examples() {
      return "  ./electra IngestWiki\n"
          + "  ./electra IngestWiki --input=data/download/wikicorpus_de/dewiki-latest-pages-articles-multistream.xml.bz2"
          + " --output=runs/wiki_de\n"
          + "  ./electra IngestWiki --input=gs://my-bucket/dumps/ --output=gs://my-bucket/shards --flink_master=flink:8081\n";
    }
  }

  /** {@code IngestBooks}: one book per text file. */
  public static final class IngestBooks extends IngestJob<CorpusOptions> {
    public IngestBooks() {
      this(System.out);
    }

    public IngestBooks(PrintStream out) {
      super(CorpusOptions.class, ExtractDocuments.Source.BOOKS, out);
    }

    @Override
    public String name() {
      return "IngestBooks";
    }

    @Override
    public String description() {
      return "book .txt files (one book per file, e.g. BookCorpus, Gutenberg) -> pre-training shards";
    }

    @Override
    protected String examples() {
      return "  ./electra IngestBooks --input=../shared/data/books/ --output=runs/books --num_train_shards=4\n";
    }
  }

  /** {@code IngestCorpora}: several corpora, each read by its own reader, into one shard set. */
  public static final class IngestCorpora extends IngestJob<CorporaOptions> {
    public IngestCorpora() {
      this(System.out);
    }

    IngestCorpora(PrintStream out) {
      super(CorporaOptions.class, IngestCorpora::corpora, out);
    }

    /**
     * Refuses {@code --watch} with where to go instead: the flag is not this job's (its {@code --help} does not list
     * it), yet Beam would accept it, unused, once another ingest job has registered its options in the same JVM.
     */
    @Override
    public CorporaOptions parse(String... args) {
      if (Arrays.stream(args).anyMatch(a -> a.equals("--watch") || a.startsWith("--watch="))) {
        throw new UsageException("--watch follows one corpus: IngestCorpora takes no --watch; watch each corpus with "
            + "IngestWiki, IngestBooks or IngestText");
      }
      return super.parse(args);
    }

    private static List<IngestPipeline.Corpus> corpora(CorporaOptions options) {
      try {
        return Arrays.stream(options.getInput().split(",")).map(IngestPipeline.Corpus::parse).toList();
      } catch (IllegalArgumentException e) {
        throw new UsageException("--input: " + e.getMessage());
      }
    }

    @Override
    public String name() {
      return "IngestCorpora";
    }

    @Override
    public String description() {
      return "several corpora (Wikipedia dumps, books, text) -> one set of pre-training shards, split over their union";
    }

    @Override
    protected String examples() {
      return "  ./electra IngestCorpora --input=wikipedia=runs/download/wiki/,books=../shared/data/books/ "
          + "--output=runs/wiki_books\n";
    }
  }

  /** {@code IngestText}: any text, documents separated by blank lines, or JSON lines. */
  public static final class IngestText extends IngestJob<CorpusOptions> {
    public IngestText() {
      this(System.out);
    }

    IngestText(PrintStream out) {
      super(CorpusOptions.class, ExtractDocuments.Source.TEXT, out);
    }

    @Override
    public String name() {
      return "IngestText";
    }

    @Override
    public String description() {
      return "any text (documents separated by blank lines; .jsonl files with a \"text\" field) -> pre-training shards";
    }

    @Override
    protected String examples() {
      return "  ./electra IngestText --input='corpus/*.txt' --output=runs/text --max_seq_length_p2=0\n"
          + "  ./electra IngestText --input=s3://my-bucket/corpus/ --output=s3://my-bucket/shards\n";
    }
  }
}
