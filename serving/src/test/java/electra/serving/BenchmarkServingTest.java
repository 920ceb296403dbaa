package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** BenchmarkServing on the golden tiny model: 30 requests through the embedded broker and Flink, then bare. */
class BenchmarkServingTest {

  @Test
  void measuresEveryRequestAndPrintsSaneNumbers() throws Exception {
    Path model = TestModels.export();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    BenchmarkServing.Report r = BenchmarkServing.benchmark(model, 30, 30, 16, 10,
        new BenchmarkServing.Warmup(5, 20, BenchmarkServing.Warmup.QUIET_JIT_SHARE),
        Arrays.asList(BenchmarkServing.BUILT_IN), "built-in pairs", Duration.ofSeconds(90), out);
    BenchmarkServing.print(r, out);
    String text = buf.toString(StandardCharsets.UTF_8);
    System.out.print(text);
    assertEquals(30, r.answered(), text);
    assertTrue(r.kafka().p50() > 0 && r.kafka().p50() <= r.kafka().p99(), text);
    assertTrue(r.bareSingle().p50() > 0 && r.bareSingle().p50() <= r.bareSingle().p99(), text);
    assertTrue(r.kafkaThroughput() > 0 && r.bareBatchThroughput() > 0, text);
    assertTrue(r.p50Ratio() > 0 && r.throughputRatio() > 0, text);
    assertTrue(text.contains("30/30 answered") && text.contains("ratios: p50"), text);
    assertTrue(r.markdownRow().startsWith("| ") && r.markdownRow().split("\\|").length == 11, r.markdownRow());
  }

  /** The README's run: {@code -Delectra.benchmark.args="--requests=200 --rate=20"} (SQuAD dev pairs if present). */
  @Test
  void fullRunWhenAsked() throws Exception {
    String args = System.getProperty("electra.benchmark.args");
    org.junit.jupiter.api.Assumptions.assumeTrue(args != null, "skipped: set -Delectra.benchmark.args to run it");
    Path model = TestModels.export();
    String[] given = args.isBlank() ? new String[0] : args.trim().split("\\s+");
    String[] all = new String[given.length + 1];
    all[0] = "--model=" + model;
    System.arraycopy(given, 0, all, 1, given.length);
    new BenchmarkServing(System.out).run(all);
  }
}
