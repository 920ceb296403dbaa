package electra.trainer.finetune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.HelpRequested;
import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

class BenchmarkSquadTest {

  @TempDir
  Path tmp;

  private Path tinyConfig() throws Exception {
    Path file = tmp.resolve("tiny_config.json");
    Files.writeString(file, """
        {"vocab_size": 30522, "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128}
        """);
    return file;
  }

  @ParameterizedTest
  @ValueSource(strings = {"tensorflow", "onnxruntime"})
  void evalReportsThroughputAndOrderedLatencies(String engine) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path json = tmp.resolve("eval.json");
    new BenchmarkSquad(new PrintStream(console, true, StandardCharsets.UTF_8)).run(new String[] {"--mode=eval",
        "--model_config=" + tinyConfig(), "--max_seq_length=64", "--batch_sizes=1,4", "--warmup_steps=1",
        "--steps=5", "--intra_op_threads=1", "--engine=" + engine, "--json_out=" + json});
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("| model | engine | seq | batch | precision |"), text);
    assertTrue(text.contains("| tiny_config.json | " + engine + " | 64 | 1 | fp32 | 1/default |"), text);
    assertTrue(text.contains("| tiny_config.json | " + engine + " | 64 | 4 | fp32 | 1/default |"), text);
    JsonNode rs = new ObjectMapper().readTree(json.toFile());
    assertEquals(2, rs.size());
    for (JsonNode r : rs) {
      assertEquals(engine, r.get("engine").asText());
      assertEquals(5, r.get("latencySeconds").size());
      double p50 = r.get("p50Ms").asDouble();
      assertTrue(p50 > 0 && p50 <= r.get("p90Ms").asDouble() && r.get("p90Ms").asDouble() <= r.get("p95Ms")
          .asDouble() && r.get("p95Ms").asDouble() <= r.get("p99Ms").asDouble(), r.toString());
      assertTrue(r.get("averageMs").asDouble() > 0, r.toString());
      assertEquals(r.get("batch").asInt() * 1000 / p50, r.get("sequencesPerSecond").asDouble(), 1e-6);
    }
  }

  @Test
  void trainReportsMedianSequencesPerSecond() throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Path json = tmp.resolve("train.json");
    new BenchmarkSquad(new PrintStream(console, true, StandardCharsets.UTF_8)).run(new String[] {"--mode=train",
        "--model_config=" + tinyConfig(), "--max_seq_length=64", "--train_batch_size=2", "--warmup_steps=1",
        "--steps=3", "--intra_op_threads=1", "--json_out=" + json});
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("timed step 3:"), text);
    assertTrue(text.contains("| tiny_config.json | simple | 64 | 2 | fp32 | 1/default |"), text);
    JsonNode r = new ObjectMapper().readTree(json.toFile());
    assertEquals(3, r.get("stepSeconds").size());
    assertEquals(2 / r.get("medianSeconds").asDouble(), r.get("sequencesPerSecond").asDouble(), 1e-9);
  }

  @Test
  void badFlags() {
    assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {"--mode=serve"}));
    assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {"--batch_sizes=0"}));
    assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {"--model_size=huge"}));
    assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {"--engine=tflite"}));
    UsageException train = assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {
        "--mode=train", "--engine=onnxruntime"}));
    assertTrue(train.getMessage().contains("needs --mode=eval and no --amp"), train.getMessage());
    assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {"--engine=onnxruntime", "--amp"}));
    UsageException auto = assertThrows(UsageException.class, () -> new BenchmarkSquad().run(new String[] {
        "--engine=auto"}));
    assertEquals("--engine must be one of tensorflow, onnxruntime, got 'auto'", auto.getMessage());
    String help = assertThrows(HelpRequested.class, () -> new BenchmarkSquad().run(new String[] {"--help"}))
        .getMessage();
    assertTrue(help.contains("(tensorflow or onnxruntime) (default: tensorflow)"), "--help lists what it takes: "
        + help);
  }
}
