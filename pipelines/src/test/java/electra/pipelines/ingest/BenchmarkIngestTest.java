package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkIngestTest {

  @Test
  void throughputSeparatesTheStartUpFromTheRate() {
    // 2 s of start-up, then 4 MB/s: 1 MB takes 2.25 s, 9 MB take 4.25 s
    BenchmarkIngest.Throughput t = BenchmarkIngest.Throughput.of(1, 2.25, 9, 4.25);
    assertEquals(4.0, t.marginal(), 1e-12);
    assertEquals(2.0, t.startupSeconds(), 1e-12);
    assertEquals(9 / 4.25, t.endToEnd(), 1e-12);
    // a larger corpus that ran faster says the machine was too noisy, not that the rate is negative
    BenchmarkIngest.Throughput noisy = BenchmarkIngest.Throughput.of(1, 3, 9, 2.5);
    assertTrue(Double.isNaN(noisy.marginal()) && Double.isNaN(noisy.startupSeconds()), noisy.toString());
    assertEquals(9 / 2.5, noisy.endToEnd(), 1e-12);
  }

  @Test
  void flagsAreChecked() {
    assertEquals("--copies must be more than --base_copies (2), got 2", assertThrows(UsageException.class,
        () -> new BenchmarkIngest().run(new String[] {"--copies=2", "--base_copies=2"})).getMessage());
  }

  @Test
  void timesTheDirectRunnerOnASmallCorpus(@TempDir Path tmp) throws Exception {
    Path poems = Path.of(System.getProperty("electra.shared.dir", "../shared"), "data/books/blake-poems.txt");
    assumeTrue(Files.isRegularFile(poems), "the shared sample books are not there: " + poems);
    Path input = Files.createDirectories(tmp.resolve("books"));
    Files.copy(poems, input.resolve("blake-poems.txt"));
    Set<Path> workDirsBefore = benchmarkWorkDirs();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new BenchmarkIngest(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(new String[] {
        "--input_dir=" + input, "--copies=6", "--base_copies=1", "--repeats=2", "--runners=DirectRunner",
        "--vocab_file=" + Path.of(System.getProperty("electra.shared.dir", "../shared"),
            "data/vocab/bert-base-uncased-vocab.txt")});
    String out = bytes.toString(StandardCharsets.UTF_8);
    double mb = Files.size(poems) / 1e6;
    Matcher row = Pattern.compile("\\| DirectRunner \\| ([\\d.]+) \\| ([\\d.]+) \\| ([\\d.]+) \\|").matcher(out);
    assertTrue(row.find(), out);
    assertEquals(6 * mb, Double.parseDouble(row.group(1)), 0.006, out);
    double seconds = Double.parseDouble(row.group(2)); // printed to 0.1 s: the true time is within 0.05 s of it
    double rate = Double.parseDouble(row.group(3)); // printed to 0.01 MB/s
    boolean notBelow = rate >= 6 * mb / (seconds + 0.05) - 0.005;
    boolean notAbove = seconds <= 0.05 || rate <= 6 * mb / (seconds - 0.05) + 0.005;
    assertTrue(notBelow && notAbove, "the rate is the corpus over the time: " + out);
    Set<Path> left = benchmarkWorkDirs();
    left.removeAll(workDirsBefore);
    assertEquals(Set.of(), left, "the benchmark deletes its corpus copies and shards");
  }

  private static Set<Path> benchmarkWorkDirs() throws IOException {
    try (Stream<Path> all = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      return all.filter(p -> p.getFileName().toString().startsWith("benchmark-ingest"))
          .collect(Collectors.toCollection(HashSet::new));
    }
  }
}
