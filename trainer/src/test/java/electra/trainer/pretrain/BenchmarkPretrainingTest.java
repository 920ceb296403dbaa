package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkPretrainingTest {

  @TempDir
  Path tmp;

  @Test
  void timesStepsAndPrintsTheMedianAndATableRow() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path json = tmp.resolve("bench.json");
    new BenchmarkPretraining(new PrintStream(console, true, StandardCharsets.UTF_8)).run(new String[] {
        "--model_config=" + BookShards.tinyConfig(tmp), "--generator_hidden_size=0.5", "--max_seq_length=32",
        "--train_batch_size=2", "--warmup_steps=1", "--steps=3", "--intra_op_threads=1", "--profile_steps=2", "--json_out=" + json});
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("warm-up step 1:") && text.contains("timed step 3:"), text);
    assertTrue(text.contains("| model | seq | batch |"), text);
    assertTrue(text.contains("| tiny_config.json | 32 | 2 | fp32 | no | lamb | 1/default |"), text);
    // the profile of the 2 traced steps: the lean CPU rewrites still fuse the dense layers into oneDNN calls
    assertTrue(text.contains("| op type (2 traced runs) | ms per run | ops per run | share |"), text);
    assertTrue(text.contains("| _MklNativeFusedMatMul |"), text);
    assertTrue(text.contains("| sum of op times |"), text);
    JsonNode r = new ObjectMapper().readTree(json.toFile());
    assertEquals(3, r.get("stepSeconds").size());
    double median = r.get("medianSeconds").asDouble();
    assertEquals(2 / median, r.get("sequencesPerSecond").asDouble(), 1e-9);
  }

  @Test
  void medianAndSyntheticBatch() {
    assertEquals(2.0, BenchmarkPretraining.median(List.of(3.0, 1.0, 2.0)));
    assertEquals(2.5, BenchmarkPretraining.median(List.of(4.0, 1.0, 2.0, 3.0)));
    MaskedBatch b = BenchmarkPretraining.syntheticBatch(2, 16, 2, 0.15, new Masking.SpecialIds(101, 102, 103, 0), 1);
    assertEquals(2 * 16, b.inputMask().length);
    assertEquals(2 * 2, b.maskedLmPositions().length);
  }

  @Test
  void badFlags() {
    assertEquals("--steps must be >= 1, got 0", assertThrows(UsageException.class,
        () -> new BenchmarkPretraining().run(new String[] {"--steps=0"})).getMessage());
    assertEquals("--profile_steps must be >= 0, got -1", assertThrows(UsageException.class,
        () -> new BenchmarkPretraining().run(new String[] {"--profile_steps=-1"})).getMessage());
    assertEquals("--max_seq_length must be at least 8, got 4", assertThrows(UsageException.class,
        () -> new BenchmarkPretraining().run(new String[] {"--max_seq_length=4"})).getMessage());
    assertThrows(UsageException.class, () -> new BenchmarkPretraining().run(new String[] {"--model_size=huge"}));
  }
}
