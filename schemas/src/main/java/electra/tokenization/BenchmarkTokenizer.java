package electra.tokenization;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code BenchmarkTokenizer} job: single-threaded throughput of {@link BertTokenizer#ids} over the lines of
 * the {@code .txt} files of a folder, in MB/s of UTF-8 input (1 MB = 10^6 bytes) and tokens/s. Untimed warm-up
 * passes let the JIT compile first; the median of the timed passes resists noise from other processes.
 */
public final class BenchmarkTokenizer implements Job {

  private final PrintStream out;

  /** The job as the launcher starts it, reporting on stdout. */
  public BenchmarkTokenizer() {
    this(System.out);
  }

  public BenchmarkTokenizer(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "BenchmarkTokenizer";
  }

  @Override
  public String description() {
    return "measures tokenizer throughput (MB/s, tokens/s) on one thread";
  }

  /** The corpus, the passes and the tokenizer that {@code BenchmarkTokenizer} times. */
  record Settings(
      @Flag(value = "folder whose .txt files are tokenized, line by line", defaultValue = "../shared/data/books")
      Path inputDir,
      @Flag(value = "untimed passes first, so the JIT has compiled the tokenizer before measuring", defaultValue = "5")
      int warmup,
      @Flag(value = "timed passes; the median is reported", defaultValue = "5")
      int repeats,
      TokenizerSettings tokenizer) {

    Settings {
      if (inputDir == null || !Files.isDirectory(inputDir)) {
        throw new UsageException("--input_dir " + inputDir + " is not a folder");
      }
      if (warmup < 0) {
        throw new UsageException("--warmup must be >= 0, got " + warmup);
      }
      if (repeats < 1) {
        throw new UsageException("--repeats must be >= 1, got " + repeats);
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("BenchmarkTokenizer",
            "tokenizes every line of the .txt files in a folder, warm-up first, then timed passes")
        .example("./electra BenchmarkTokenizer --input_dir=../shared/data/books --repeats=5")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings settings = flags().parse(args).record(Settings.class);
    Path dir = settings.inputDir();
    List<Path> files = textFiles(dir);
    BertTokenizer tokenizer = settings.tokenizer().tokenizer();

    long bytes = 0;
    List<String> lines = new ArrayList<>();
    for (Path file : files) {
      byte[] content = Files.readAllBytes(file);
      bytes += content.length;
      try (BufferedReader reader = TokenizerJobs.utf8Lines(new ByteArrayInputStream(content))) {
        reader.lines().forEach(lines::add);
      }
    }
    out.printf(Locale.ROOT, "%d files, %.2f MB, %d lines in %s%n", files.size(), bytes / 1e6, lines.size(), dir);

    for (int i = 0; i < settings.warmup(); i++) {
      pass(tokenizer, lines);
    }
    double[] mbPerSecond = new double[settings.repeats()];
    double[] tokensPerSecond = new double[settings.repeats()];
    long tokens = 0;
    for (int i = 0; i < settings.repeats(); i++) {
      long start = System.nanoTime();
      tokens = pass(tokenizer, lines);
      double seconds = (System.nanoTime() - start) / 1e9;
      mbPerSecond[i] = bytes / 1e6 / seconds;
      tokensPerSecond[i] = tokens / seconds;
      out.printf(Locale.ROOT, "pass %d: %.3f s, %.2f MB/s, %.0f tokens/s%n",
          i + 1, seconds, mbPerSecond[i], tokensPerSecond[i]);
    }
    double medianMb = median(mbPerSecond);
    double medianTokens = median(tokensPerSecond);
    out.printf(Locale.ROOT, "median: %.2f MB/s, %.0f tokens/s (%d tokens per pass)%n", medianMb, medianTokens, tokens);
    out.println();
    out.println("| input | MB | tokens | median MB/s | median tokens/s | passes | JVM |");
    out.println("| --- | ---: | ---: | ---: | ---: | ---: | --- |");
    out.printf(Locale.ROOT, "| %s (%d files) | %.2f | %d | %.2f | %.0f | %d | Java %s |%n",
        dir.getFileName(), files.size(), bytes / 1e6, tokens, medianMb, medianTokens, settings.repeats(),
        System.getProperty("java.version"));
  }

  private static List<Path> textFiles(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      List<Path> files = entries.filter(p -> p.getFileName().toString().endsWith(".txt") && Files.isRegularFile(p))
          .sorted().toList();
      if (files.isEmpty()) {
        throw new UsageException("--input_dir " + dir + " has no .txt files");
      }
      return files;
    }
  }

  /** Tokenizes every line once; returns the number of tokens, which also keeps the JIT from skipping the work. */
  private static long pass(BertTokenizer tokenizer, List<String> lines) {
    long tokens = 0;
    for (String line : lines) {
      tokens += tokenizer.ids(line).length;
    }
    return tokens;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
