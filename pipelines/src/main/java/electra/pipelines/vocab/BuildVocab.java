package electra.pipelines.vocab;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.beam.BeamJob;
import electra.beam.BeamStorage;
import electra.beam.PipelineCounters;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.pipelines.ingest.AtomicFiles;
import electra.pipelines.ingest.ExtractDocuments;
import electra.pipelines.ingest.MatchCorpusFiles;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * {@code BuildVocab}: learns a WordPiece vocabulary from a corpus, read as the ingest jobs read it. The words are
 * counted by a Beam pipeline, distributed like ingestion:
 * <pre>
 *   MatchCorpusFiles -> ExtractDocuments -> CountWords -> DropRareWords -> WriteWordCounts
 *                                                      -> CountCharacters -> WriteCharacterCounts
 * </pre>
 * and the merge loop ({@link WordpieceTrainer}) runs after it, in this process, over the counts it wrote. The output
 * folder gets {@code vocab.txt} (one token per line, the id is the line number), {@code vocab_info.json} (the
 * settings, what the corpus held, the vocabulary's SHA-256 fingerprint that shards and checkpoints will record) and
 * the counts under {@code word_counts/}.
 */
public final class BuildVocab extends BeamJob<BuildVocabOptions> {

  public static final String VOCAB_FILE = "vocab.txt";
  public static final String INFO_FILE = VocabularyInfo.FILE_NAME;
  static final String COUNTS_FOLDER = "word_counts";

  /** Wikipedia dumps are read in byte ranges of this size, on different workers, as IngestWiki reads them. */
  private static final long WIKI_RANGE_BYTES = 64L << 20;

  private final PrintStream out;

  public BuildVocab() {
    this(System.out);
  }

  BuildVocab(PrintStream out) {
    super(BuildVocabOptions.class);
    this.out = out;
  }

  @Override
  public String name() {
    return "BuildVocab";
  }

  @Override
  public String description() {
    return "learn a WordPiece vocabulary (vocab.txt) from a corpus, for ingesting and pre-training in any language";
  }

  @Override
  protected String examples() {
    return "  ./electra BuildVocab --input=../shared/data/books/ --input_format=books --output=runs/vocab-books "
        + "--vocab_size=8000\n"
        + "  ./electra BuildVocab --input=corpus_de/ --output=runs/vocab-de --do_lower_case=false\n"
        + "  ./electra BuildVocab --input=dewiki-latest-pages-articles-multistream.xml.bz2 --input_format=wikipedia "
        + "--output=gs://my-bucket/vocab-de --flink_master=flink:8081\n";
  }

  @Override
  protected void run(BuildVocabOptions options) throws IOException {
    Instant start = Instant.now();
    WordpieceTrainer trainer = new WordpieceTrainer(options.getVocabSize(), options.getMinFrequency());
    ExtractDocuments.Source source = source(options.getInputFormat());
    FileSystems.setDefaultPipelineOptions(options);
    String output = options.getOutput().replaceAll("/+$", "");
    MatchCorpusFiles files = MatchCorpusFiles.input(options.getInput(), source.compression()).requireMatches();
    OutputFolder.claim(BeamStorage.INSTANCE, output, OutputFolder.Claim.newOutput(name()),
        new Overwrite(options.getOverwrite()));
    out.printf("%s: %s -> %s (runner %s)%n", name(), options.getInput(), output, options.getRunner().getSimpleName());

    Pipeline pipeline = Pipeline.create(options);
    long minFrequency = options.getMinFrequency();
    PCollection<KV<String, Long>> words = pipeline
        .apply("MatchCorpusFiles", files)
        .apply("ExtractDocuments", new ExtractDocuments(source, WIKI_RANGE_BYTES))
        .apply("CountWords", new CountWords(options.getDoLowerCase()));
    words
        .apply("DropRareWords", Filter.by(wordCount -> wordCount.getValue() >= minFrequency))
        .apply("WriteWordCounts", new WriteCounts(output + "/" + COUNTS_FOLDER + "/words"));
    words
        .apply("CountCharacters", new CountCharacters())
        .apply("WriteCharacterCounts", new WriteCounts(output + "/" + COUNTS_FOLDER + "/characters"));
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the pipeline ended in state " + state);
    }
    PipelineCounters counters = PipelineCounters.of(result);

    SortedMap<String, Long> wordCounts = new TreeMap<>();
    readCounts(output + "/" + COUNTS_FOLDER + "/words-*", wordCounts::put);
    SortedSet<Integer> alphabet = new TreeSet<>();
    readCounts(output + "/" + COUNTS_FOLDER + "/characters-*", (c, count) -> alphabet.add(c.codePointAt(0)));
    if (wordCounts.isEmpty()) {
      throw new UsageException("no word of --input " + options.getInput() + " occurs --min_frequency="
          + minFrequency + " times or more: nothing to learn from (is --input_format right?)");
    }
    Instant merging = Instant.now();
    List<String> tokens = trainer.train(wordCounts, alphabet);
    StringBuilder text = new StringBuilder();
    tokens.forEach(token -> text.append(token).append('\n'));
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    Vocabulary vocabulary = Vocabulary.fromBytes(bytes, output + "/" + VOCAB_FILE);
    AtomicFiles.write(output, VOCAB_FILE, stream -> stream.write(bytes));
    AtomicFiles.writeText(output, INFO_FILE, info(options, vocabulary, counters, wordCounts.size(), alphabet.size()));

    out.printf(Locale.ROOT, "  corpus     documents %,d, words %,d, distinct words %,d, kept (>= %d times) %,d, "
            + "characters %,d%n", counters.get(CountWords.class, CountWords.DOCUMENTS),
        counters.get(CountWords.class, CountWords.WORDS), counters.get(CountCharacters.class,
            CountCharacters.DISTINCT_WORDS), minFrequency, wordCounts.size(), alphabet.size());
    out.printf(Locale.ROOT, "  vocab      %,d tokens (--vocab_size %d), merged in %.1f s, sha256 %s%n",
        vocabulary.size(), options.getVocabSize(), Duration.between(merging, Instant.now()).toMillis() / 1e3,
        vocabulary.fingerprint());
    out.printf(Locale.ROOT, "%s: wrote %s/%s in %.1f s; ingest with --vocab_file=%s/%s --do_lower_case=%s%n", name(),
        output, VOCAB_FILE, Duration.between(start, Instant.now()).toMillis() / 1e3, output, VOCAB_FILE,
        options.getDoLowerCase());
  }

  /** The ingest source that reads this {@code --input_format}. */
  static ExtractDocuments.Source source(String inputFormat) {
    for (ExtractDocuments.Source source : ExtractDocuments.Source.values()) {
      if (source.name().equalsIgnoreCase(inputFormat)) {
        return source;
      }
    }
    throw new UsageException("--input_format must be text, books or wikipedia, got '" + inputFormat + "'");
  }

  /** What {@code vocab_info.json} says: how the vocabulary was built, from what, and its fingerprint. */
  private static String info(BuildVocabOptions options, Vocabulary vocabulary, PipelineCounters counters,
      int keptWords, int characters) {
    ObjectNode info = new ObjectMapper().createObjectNode();
    info.put("vocab_file", VOCAB_FILE);
    info.put("vocab_fingerprint", vocabulary.fingerprint());
    info.put("size", vocabulary.size());
    info.put("vocab_size", options.getVocabSize());
    info.put("min_frequency", options.getMinFrequency());
    info.put("do_lower_case", options.getDoLowerCase());
    info.putArray("special_tokens").addAll(WordpieceTrainer.SPECIAL_TOKENS.stream()
        .map(token -> info.textNode(token)).toList());
    ObjectNode corpus = info.putObject("corpus");
    corpus.put("input", options.getInput());
    corpus.put("input_format", source(options.getInputFormat()).name().toLowerCase(Locale.ROOT));
    corpus.put("documents", counters.get(CountWords.class, CountWords.DOCUMENTS));
    corpus.put("words", counters.get(CountWords.class, CountWords.WORDS));
    corpus.put("distinct_words", counters.get(CountCharacters.class, CountCharacters.DISTINCT_WORDS));
    corpus.put("kept_words", keptWords);
    corpus.put("characters", characters);
    return info.toPrettyString() + "\n";
  }

  /** Reads {@code key<TAB>count} lines of every file the pattern matches. */
  private static void readCounts(String filepattern, BiConsumer<String, Long> sink) throws IOException {
    MatchResult match = FileSystems.match(filepattern, EmptyMatchTreatment.ALLOW);
    for (MatchResult.Metadata file : match.metadata()) {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(
          Channels.newInputStream(FileSystems.open(file.resourceId())), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          int tab = line.lastIndexOf('\t');
          sink.accept(line.substring(0, tab), Long.parseLong(line.substring(tab + 1)));
        }
      }
    }
  }

  /**
   * Writes counts as {@code key<TAB>count} lines to the text file {@code <prefix>-00000-of-00001.tsv}. Keys hold no tab
   * and no line break: they are basic tokens, which whitespace separates, or their characters.
   */
  static final class WriteCounts extends PTransform<PCollection<KV<String, Long>>, PDone> {
    private final String prefix;

    WriteCounts(String prefix) {
      this.prefix = prefix;
    }

    @Override
    public PDone expand(PCollection<KV<String, Long>> counts) {
      return counts
          .apply("Lines", MapElements.into(TypeDescriptors.strings())
              .via(count -> count.getKey() + "\t" + count.getValue()))
          // one file: the merge loop reads every count into one process anyway, and a runner that writes a file per
          // bundle (the DirectRunner, a bundle per word) would otherwise write thousands of tiny ones
          .apply("Write", TextIO.write().to(prefix).withSuffix(".tsv").withNumShards(1));
    }
  }
}
