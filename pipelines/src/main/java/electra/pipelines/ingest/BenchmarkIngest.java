package electra.pipelines.ingest;

import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.pipelines.text.TextFormat;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
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
 * The corpus is copied {@code --copies} times under distinct names (distinct documents), so start-up costs weigh
 * as they would on a real corpus of that size.
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

  static Flags flags() {
    return Flags.forJob("BenchmarkIngest", "times IngestBooks end to end per runner and the bare tokenizer")
        .example("./electra BenchmarkIngest --input_dir=../shared/data/books --copies=4 --repeats=3")
        .text("input_dir", "../shared/data/books", "folder whose .txt files form the corpus")
        .integer("copies", 4, "how many times the corpus is repeated (as distinct documents)")
        .text("runners", "FlinkRunner,DirectRunner", "runners to time, comma-separated")
        .integer("parallelism", 2, "Flink parallelism")
        .integer("repeats", 3, "timed runs per runner; the median is reported")
        .text("vocab_file", "bert-base-uncased", "WordPiece vocabulary");
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values flags = flags().parse(args);
    int copies = flags.intValue("copies");
    int repeats = flags.intValue("repeats");
    if (copies < 1 || repeats < 1) {
      throw new UsageException("--copies and --repeats must be at least 1");
    }
    Path work = Files.createTempDirectory("benchmark-ingest");
    Path corpus = Files.createDirectories(work.resolve("corpus"));
    long bytes = 0;
    List<Path> books;
    try (Stream<Path> files = Files.list(Path.of(flags.text("input_dir")))) {
      books = files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
    }
    if (books.isEmpty()) {
      throw new UsageException("no .txt files in --input_dir " + flags.text("input_dir"));
    }
    for (int c = 0; c < copies; c++) {
      for (Path book : books) {
        bytes += Files.size(Files.copy(book, corpus.resolve("copy" + c + "-" + book.getFileName())));
      }
    }
    double mb = bytes / 1e6;
    out.printf(Locale.ROOT, "corpus: %d files, %.2f MB%n", copies * books.size(), mb);

    BertTokenizer bare = BertTokenizer.uncased(Vocabulary.resolve(flags.text("vocab_file")));
    tokenizeAll(corpus, bare); // warm-up, so the JIT has compiled the tokenizer
    double tokenizer = mb / median(repeats, () -> tokenizeAll(corpus, bare));
    out.printf(Locale.ROOT, "bare tokenizer (1 thread: read, paragraphs, WordPiece): %.2f MB/s%n", tokenizer);
    List<String> rows = new ArrayList<>();
    for (String runner : flags.text("runners").split(",")) {
      double seconds = median(repeats, () -> ingest(corpus, work.resolve("out-" + runner), runner.strip(), flags));
      double rate = mb / seconds;
      out.printf(Locale.ROOT, "%s: median %.1f s, %.2f MB/s (%.2fx the bare tokenizer)%n", runner.strip(), seconds,
          rate, rate / tokenizer);
      rows.add(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.2f | %.2f |", runner.strip(), mb, seconds, rate,
          rate / tokenizer));
    }
    out.println("\n| runner | corpus MB | median s | MB/s | x bare tokenizer |\n|---|---|---|---|---|");
    rows.forEach(out::println);
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

  private static void ingest(Path corpus, Path output, String runner, Flags.Values flags) throws Exception {
    new IngestJobs.IngestBooks(new PrintStream(PrintStream.nullOutputStream())).run(new String[] {
        "--input=" + corpus, "--output=" + output, "--runner=" + runner, "--vocab_file=" + flags.text("vocab_file"),
        "--parallelism=" + flags.intValue("parallelism")});
  }
}
