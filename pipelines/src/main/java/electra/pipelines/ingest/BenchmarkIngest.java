package electra.pipelines.ingest;

import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.pipelines.text.TextFormat;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code BenchmarkIngest} job: MB/s of raw book text to finished phase-1 and phase-2 shards, through the whole
 * {@code IngestBooks} pipeline on each runner, next to the bare tokenizer's MB/s over the same text on one thread.
 * The corpus is copied {@code --copies} times under distinct names (distinct documents). A job pays a fixed
 * start-up (JVM warm-up, pipeline translation, the embedded Flink cluster: seconds) before its first byte, so a
 * smaller corpus of {@code --base_copies} is timed too: the slope between the two is the throughput beyond start-up,
 * which is what a real corpus (gigabytes) sees, and the intercept is the start-up cost.
 */
public final class BenchmarkIngest implements Job {

  private final PrintStream out;

  public BenchmarkIngest() {
    this(System.out);
  }

  BenchmarkIngest(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "BenchmarkIngest";
  }

  @Override
  public String description() {
    return "measures ingest throughput (MB/s of raw text to shards) per runner, next to the bare tokenizer's";
  }

  /** The corpus, runners and repeats that {@code BenchmarkIngest} times. */
  record Settings(
      @Flag(value = "folder whose .txt files form the corpus", defaultValue = "../shared/data/books")
      Path inputDir,
      @Flag(value = "how many times the corpus is repeated (as distinct documents)", defaultValue = "16")
      int copies,
      @Flag(value = "copies in the smaller corpus that is timed too, to separate the start-up cost", defaultValue = "2")
      int baseCopies,
      @Flag(value = "runners to time, comma-separated", defaultValue = "FlinkRunner,DirectRunner")
      List<String> runners,
      @Flag(value = "Flink parallelism", defaultValue = "2")
      int parallelism,
      @Flag(value = "timed runs per runner; the median is reported", defaultValue = "3")
      int repeats,
      @Flag(value = "WordPiece vocabulary", defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile) {

    Settings {
      if (baseCopies < 1) {
        throw new UsageException("--base_copies must be >= 1, got " + baseCopies);
      }
      if (copies <= baseCopies) {
        throw new UsageException("--copies must be more than --base_copies (" + baseCopies + "), got " + copies);
      }
      if (runners.isEmpty()) {
        throw new UsageException("--runners needs at least one runner, e.g. --runners=DirectRunner");
      }
      if (parallelism < 1) {
        throw new UsageException("--parallelism must be >= 1, got " + parallelism);
      }
      if (repeats < 1) {
        throw new UsageException("--repeats must be >= 1, got " + repeats);
      }
      if (inputDir == null || !Files.isDirectory(inputDir)) {
        throw new UsageException("--input_dir " + inputDir + " is not a folder");
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("BenchmarkIngest", "times IngestBooks end to end per runner and the bare tokenizer")
        .example("./electra BenchmarkIngest --input_dir=../shared/data/books --copies=16 --base_copies=2 --repeats=3")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    List<Path> books;
    try (Stream<Path> files = Files.list(settings.inputDir())) {
      books = files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    if (books.isEmpty()) {
      throw new UsageException("no .txt files in --input_dir " + settings.inputDir());
    }
    Path work = Files.createTempDirectory("benchmark-ingest");
    try {
      Path corpus = work.resolve("corpus");
      Path base = work.resolve("base-corpus");
      double mb = copyCorpus(books, settings.copies(), corpus) / 1e6;
      double baseMb = copyCorpus(books, settings.baseCopies(), base) / 1e6;
      out.printf(Locale.ROOT, "corpus: %d files, %.2f MB; base corpus (for the start-up cost): %d files, %.2f MB%n",
          settings.copies() * books.size(), mb, settings.baseCopies() * books.size(), baseMb);

      BertTokenizer bare = BertTokenizer.uncased(Vocabulary.resolve(settings.vocabFile()));
      tokenizeAll(corpus, bare); // warm-up, so the JIT has compiled the tokenizer
      double tokenizer = mb / median(settings.repeats(), () -> tokenizeAll(corpus, bare));
      out.printf(Locale.ROOT, "bare tokenizer (1 thread: read, paragraphs, WordPiece): %.2f MB/s%n", tokenizer);
      List<String> rows = new ArrayList<>();
      for (String name : settings.runners()) {
        double seconds = median(settings.repeats(), () -> ingest(corpus, work.resolve("out-" + name), name, settings));
        double baseSeconds = median(settings.repeats(),
            () -> ingest(base, work.resolve("base-out-" + name), name, settings));
        Throughput t = Throughput.of(baseMb, baseSeconds, mb, seconds);
        if (Double.isNaN(t.marginal())) {
          out.println("  (the larger corpus was not slower: too noisy to separate the start-up; use more --copies)");
        }
        out.printf(Locale.ROOT, "%s: median %.1f s for %.2f MB, %.1f s for %.2f MB: %.2f MB/s end to end (%.2fx the "
            + "bare tokenizer); %.2f MB/s beyond a start-up of %.1f s (%.2fx)%n", name, seconds, mb, baseSeconds,
            baseMb, t.endToEnd(), t.endToEnd() / tokenizer, t.marginal(), t.startupSeconds(),
            t.marginal() / tokenizer);
        rows.add(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.2f | %.2f | %.1f | %.2f | %.2f |", name, mb,
            seconds, t.endToEnd(), t.endToEnd() / tokenizer, t.startupSeconds(), t.marginal(),
            t.marginal() / tokenizer));
      }
      out.printf(Locale.ROOT, "%n| runner | corpus MB | median s | MB/s end to end | x bare tokenizer | start-up s "
          + "| MB/s beyond start-up | x bare tokenizer |%n|---|---|---|---|---|---|---|---|%n");
      rows.forEach(out::println);
    } finally {
      Directories.deleteRecursively(work); // two corpora and their shards: hundreds of MB
    }
  }

  /**
   * Throughput from two corpus sizes: end to end on the larger, and the rate beyond the fixed start-up cost (the
   * slope between the two), which is what a corpus much larger than the benchmark's sees.
   */
  record Throughput(double endToEnd, double marginal, double startupSeconds) {
    /** The marginal rate and start-up are NaN when the larger corpus was not slower: too noisy to tell. */
    static Throughput of(double smallMb, double smallSeconds, double largeMb, double largeSeconds) {
      double marginal = (largeMb - smallMb) / (largeSeconds - smallSeconds);
      if (!(marginal > 0 && Double.isFinite(marginal))) {
        return new Throughput(largeMb / largeSeconds, Double.NaN, Double.NaN);
      }
      return new Throughput(largeMb / largeSeconds, marginal, smallSeconds - smallMb / marginal);
    }
  }

  /** Copies the books {@code copies} times under distinct names (distinct documents); returns the bytes copied. */
  private static long copyCorpus(List<Path> books, int copies, Path folder) throws IOException {
    Files.createDirectories(folder);
    long bytes = 0;
    for (int c = 0; c < copies; c++) {
      for (Path book : books) {
        bytes += Files.size(Files.copy(book, folder.resolve("copy" + c + "-" + book.getFileName())));
      }
    }
    return bytes;
  }

  /** One timed run. */
  private interface Timed {
    void run() throws Exception;
  }

  private static double median(int repeats, Timed work) throws Exception {
    double[] seconds = new double[repeats];
    for (int i = 0; i < repeats; i++) {
      long start = System.nanoTime();
      work.run();
      seconds[i] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(seconds);
    return seconds[repeats / 2];
  }

  private static void tokenizeAll(Path corpus, BertTokenizer tokenizer) throws IOException {
    long[] tokens = {0};
    try (Stream<Path> files = Files.list(corpus)) {
      for (Path file : files.sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          TextFormat.BOOK.read(file.getFileName().toString(), in,
              d -> d.paragraphs().forEach(p -> tokens[0] += tokenizer.ids(p).length));
        }
      }
    }
  }

  /** One timed run; each repeat replaces the previous one's output in the benchmark's own temporary folder. */
  private static void ingest(Path corpus, Path output, String runner, Settings settings) throws Exception {
    new IngestJobs.IngestBooks(new PrintStream(PrintStream.nullOutputStream())).run(new String[] {
        "--input=" + corpus, "--output=" + output, "--runner=" + runner, "--vocab_file=" + settings.vocabFile(),
        "--parallelism=" + settings.parallelism(), "--overwrite"});
  }
}
