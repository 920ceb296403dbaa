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
import java.util.Locale;
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

  /**
   * The products captured from the training graph are exactly the model's: forward, and two products of the same
   * size for each in the backward pass (input and weight gradients), counted here from the tiny config's sizes.
   */
  @Test
  void matmulFloorTimesEveryMatrixProductOfAStep() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path json = tmp.resolve("floor.json");
    new BenchmarkPretraining(new PrintStream(console, true, StandardCharsets.UTF_8)).run(new String[] {
        "--model_config=" + BookShards.tinyConfig(tmp), "--generator_hidden_size=0.5", "--max_seq_length=32",
        "--train_batch_size=2", "--optimizer=adam", "--gradient_accumulation_steps=2", "--warmup_steps=1",
        "--steps=2", "--intra_op_threads=1", "--matmul_floor", "--json_out=" + json});
    String text = console.toString(StandardCharsets.UTF_8);

    // tiny_config.json: V 30522, E 16; discriminator H 32, FFN 64, 2 layers; generator (0.5) H 16 = E (so no
    // embeddings_project), FFN 64, 2 layers; batch 2 x 32 tokens = 64 rows; int(0.155 x 32) = 4 slots a sequence.
    long rows = 2 * 32;
    long slots = 2 * 4;
    long vocab = 30522;
    long e = 16;
    long forwardMacs = tower(rows, 2, 32, e, 32, 64, 2) + tower(rows, 2, 32, e, 16, 64, 2)
        + rows * 32 * 32 + rows * 32 // discriminator head: dense H->H, dense_1 H->1
        + slots * 16 * e + slots * e * vocab; // generator head: dense Hg->E, logits against the word embeddings
    int forwardProducts = (1 + 2 * 8) + 2 * 8 + 2 + 2;
    JsonNode floor = new ObjectMapper().readTree(json.toFile()).get("matmulFloor");
    assertEquals(1, floor.size(), "fp32 only without --amp");
    JsonNode all = floor.get(0).get("all");
    assertEquals("fp32", floor.get(0).get("precision").asText());
    assertEquals(3 * forwardProducts, all.get("count").asInt());
    assertEquals(3 * 2 * forwardMacs, all.get("flops").asLong());
    assertTrue(all.get("medianSeconds").asDouble() > 0);
    long bySignature = 0;
    int counted = 0;
    for (JsonNode g : floor.get(0).get("bySignature")) {
      bySignature += g.get("flops").asLong();
      counted += g.get("count").asInt();
    }
    assertEquals(all.get("flops").asLong(), bySignature);
    assertEquals(3 * forwardProducts, counted);
    assertEquals(2L * 2048 * 2048 * 2048, floor.get(0).get("reference").get("flops").asLong());
    // the 8 attention products forward are BatchMatMulV2 (oneDNN); TensorFlow's gradient makes the 16 backward V3
    assertTrue(text.contains(String.format(Locale.ROOT, "matrix products of a step (from the training graph): %d "
        + "{BatchMatMulV2=8, BatchMatMulV3=16, MatMul=%d}, %.3f GFLOP", 3 * forwardProducts, 3 * (forwardProducts - 8),
        3 * 2 * forwardMacs / 1e9)), text);
    assertTrue(text.contains("| **all products of a step** | " + 3 * forwardProducts + " |"), text);
    assertTrue(text.contains("fp32 products alone: "), text);
  }

  /**
   * Multiply-adds of one tower's forward pass: embeddings_project where E != H, then per layer Q, K, V, output, the
   * two FFN products and the two attention products (scores and context, T x T x H a sequence).
   */
  private static long tower(long rows, long batch, long length, long e, long h, long ffn, int layers) {
    long perLayer = 4 * rows * h * h + 2 * rows * h * ffn + 2 * batch * length * length * h;
    return (e != h ? rows * e * h : 0) + layers * perLayer;
  }

  @Test
  void productSizes() {
    MatrixProducts.Product weightGradient = new MatrixProducts.Product("MatMul", "x:0", "dy:0", new long[] {4, 3},
        new long[] {4, 5}, true, false);
    assertEquals(3, weightGradient.rows());
    assertEquals(4, weightGradient.inner());
    assertEquals(5, weightGradient.columns());
    assertEquals(2 * 3 * 4 * 5, weightGradient.flops());
    assertEquals("MatMul [4x3]ᵀ·[4x5]", weightGradient.signature());
    MatrixProducts.Product scores = new MatrixProducts.Product("BatchMatMulV3", "q:0", "k:0",
        new long[] {2, 4, 8, 16}, new long[] {2, 4, 8, 16}, false, true);
    assertEquals(2L * 2 * 4 * 8 * 16 * 8, scores.flops());
    MatrixProducts.Product broadcast = new MatrixProducts.Product("BatchMatMulV2", "a:0", "b:1",
        new long[] {3, 1, 5, 6}, new long[] {4, 6, 7}, false, false);
    assertEquals(12, broadcast.batch());
    assertThrows(IllegalArgumentException.class, () -> new MatrixProducts.Product("MatMul", "a:0", "b:0",
        new long[] {4, 3}, new long[] {4, 5}, false, false));
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
    assertEquals("--matmul_floor times TensorFlow's own kernels; run it without --xla",
        assertThrows(UsageException.class,
            () -> new BenchmarkPretraining().run(new String[] {"--matmul_floor", "--xla"})).getMessage());
    assertEquals("--max_seq_length must be at least 8, got 4", assertThrows(UsageException.class,
        () -> new BenchmarkPretraining().run(new String[] {"--max_seq_length=4"})).getMessage());
    assertThrows(UsageException.class, () -> new BenchmarkPretraining().run(new String[] {"--model_size=huge"}));
  }
}
