package electra.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ElectraConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      // size, layers, hidden, heads, FFN, embedding (spec section 1.1)
      "small, 12, 256, 4, 1024, 128",
      "base, 12, 768, 12, 3072, 768",
      "large, 24, 1024, 16, 4096, 1024",
  })
  void presetsHaveThePublishedSizes(String size, int layers, int hidden, int heads, int ffn, int embedding) {
    ElectraConfig c = ElectraConfig.preset(size);

    assertEquals(layers, c.numHiddenLayers());
    assertEquals(hidden, c.hiddenSize());
    assertEquals(heads, c.numAttentionHeads());
    assertEquals(ffn, c.intermediateSize());
    assertEquals(embedding, c.embeddingSize());
    assertEquals(64, c.headSize());
    assertEquals(size.equals("small"), c.projectsEmbeddings());
    assertEquals(
        new ElectraConfig(30522, embedding, hidden, layers, heads, ffn, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12), c);
  }

  @Test
  void presetNamesAreCaseInsensitiveAndCheckedByName() {
    assertEquals(ElectraConfig.preset("base"), ElectraConfig.preset("BASE"));
    assertMessage("unknown model size 'huge': choose small, base or large", () -> ElectraConfig.preset("huge"));
  }

  @Test
  void baseEncoderHasBertBasesParameterCount() {
    // BERT-base has 109,482,240 parameters; ELECTRA's encoder is the same without the 768x768+768 pooler.
    assertEquals(109_482_240L - (768L * 768 + 768), ElectraConfig.preset("base").encoderParameters());
  }

  @Test
  void googleGeneratorSizes() {
    // Spec 1.4: base x 1/3 (paper; configure_pretraining's 0.33333) -> 256 hidden, 4 heads, FFN 1024.
    for (double third : new double[] {1.0 / 3, 0.33333}) {
      assertGenerator(ElectraConfig.preset("base").generator(third, 1.0, false), 256, 4, 1024, 12, 768);
    }
    // Google's default 0.25.
    assertGenerator(ElectraConfig.preset("small").generator(0.25, 1.0, false), 64, 1, 256, 12, 128);
    assertGenerator(ElectraConfig.preset("base").generator(0.25, 1.0, false), 192, 3, 768, 12, 768);
    assertGenerator(ElectraConfig.preset("large").generator(0.25, 1.0, false), 256, 4, 1024, 24, 1024);
    // The released small generator is full size, sharing the 128-wide embeddings through a projection.
    ElectraConfig smallGenerator = ElectraConfig.preset("small").generator(1.0, 1.0, false);
    assertGenerator(smallGenerator, 256, 4, 1024, 12, 128);
    assertTrue(smallGenerator.projectsEmbeddings());
  }

  @Test
  void nvidiaRoundsGeneratorHiddenUpToAMultipleOf64() {
    // large x 0.3333333 = 341.33 -> 341 -> 384: 6 heads.
    assertGenerator(ElectraConfig.preset("large").generator(0.3333333, 1.0, true), 384, 6, 1536, 24, 1024);
    assertGenerator(ElectraConfig.preset("base").generator(0.3333333, 1.0, true), 256, 4, 1024, 12, 768);
    // Without NVIDIA's rounding, 341 hidden would get 5 heads, which do not divide it; Google's code fails too.
    assertMessage("hidden_size 341 is not divisible by num_attention_heads 5",
        () -> ElectraConfig.preset("large").generator(0.3333333, 1.0, false));
  }

  @Test
  void generatorRoundingFollowsPythonRoundHalfToEven() {
    // 256 x 65/512 = 32.5 and 12 x 0.375 = 4.5 exactly; Python's round() gives 32 and 4 (Math.round: 33 and 5).
    ElectraConfig g = ElectraConfig.preset("small").generator(65.0 / 512, 0.375, false);
    assertEquals(32, g.hiddenSize());
    assertEquals(4, g.numHiddenLayers());
    assertEquals(1, g.numAttentionHeads());
    assertMessage("generator size multipliers must be > 0, got hidden 0.0",
        () -> ElectraConfig.preset("small").generator(0, 1, false));
  }

  @Test
  void readsTheGoldenConfigs() throws IOException {
    Path golden = shared().resolve("golden");
    ElectraConfig discriminator = ElectraConfig.readJson(golden.resolve("tiny-discriminator-qa/config.json"));
    assertEquals(new ElectraConfig(30522, 16, 32, 2, 2, 64, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12), discriminator);
    assertEquals(16, discriminator.headSize());
    assertTrue(discriminator.projectsEmbeddings());

    ElectraConfig generator = ElectraConfig.readJson(golden.resolve("tiny-generator/config.json"));
    assertEquals(new ElectraConfig(30522, 16, 24, 2, 2, 48, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12), generator);
    assertEquals(12, generator.headSize());
  }

  @Test
  void writesTheGoldenConfigBackKeyForKey() throws IOException {
    Path file = shared().resolve("golden/tiny-discriminator-qa/config.json");
    ObjectNode written = ElectraConfig.readJson(file).toJson("ElectraForPreTraining");
    assertEquals(JSON.readTree(file.toFile()), written);
  }

  @Test
  void roundTripsThroughAFile() throws IOException {
    for (String size : new String[] {"small", "base", "large"}) {
      Path file = dir.resolve(size + ".json");
      ElectraConfig config = ElectraConfig.preset(size);
      config.writeJson(file, "ElectraForPreTraining");
      assertEquals(config, ElectraConfig.readJson(file));
    }
    ElectraConfig odd = new ElectraConfig(1000, 24, 48, 3, 3, 100, "gelu", 0.0, 0.25, 64, 3, 0.1, 1e-5);
    odd.writeJson(dir.resolve("odd.json"), "ElectraForMaskedLM");
    assertEquals(odd, ElectraConfig.readJson(dir.resolve("odd.json")));
  }

  @Test
  void refusesHiddenNotDivisibleByHeads() throws IOException {
    assertMessage("hidden_size 100 is not divisible by num_attention_heads 3",
        () -> new ElectraConfig(30522, 100, 100, 2, 3, 400, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12));
    Path file = writeBase(c -> c.put("num_attention_heads", 5));
    assertMessage(file + ": hidden_size 768 is not divisible by num_attention_heads 5",
        () -> ElectraConfig.readJson(file));
  }

  @Test
  void refusesAnUnknownKeyByName() throws IOException {
    Path file = writeBase(c -> c.put("hiden_size", 768));
    assertMessage(file + ": unknown config key 'hiden_size'", () -> ElectraConfig.readJson(file));
  }

  @Test
  void refusesAnotherModelType() throws IOException {
    Path file = writeBase(c -> c.put("model_type", "bert"));
    assertMessage("model_type is 'bert', expected 'electra'", () -> ElectraConfig.readJson(file));
  }

  @Test
  void refusesNonIntegerValues() throws IOException {
    assertMessage("config key 'hidden_size' must be an integer, got 768.5",
        readingBase(c -> c.put("hidden_size", 768.5)));
    assertMessage("config key 'num_hidden_layers' must be an integer, got \"12\"",
        readingBase(c -> c.put("num_hidden_layers", "12")));
    assertMessage("config key 'vocab_size' must be an integer, got true", readingBase(c -> c.put("vocab_size", true)));
    assertMessage("config key 'layer_norm_eps' must be a number, got \"1e-12\"",
        readingBase(c -> c.put("layer_norm_eps", "1e-12")));
  }

  @Test
  void refusesMissingSizes() throws IOException {
    assertMessage("missing config key 'hidden_size'", readingBase(c -> c.remove("hidden_size")));
    // Hugging Face would silently use 128 here and Google hidden_size, so neither is guessed.
    assertMessage("missing config key 'embedding_size'", readingBase(c -> c.remove("embedding_size")));
  }

  @Test
  void optionalKeysTakeTheCommonDefaults() {
    ObjectNode minimal = JSON.createObjectNode().put("embedding_size", 128).put("hidden_size", 256)
        .put("num_hidden_layers", 12).put("num_attention_heads", 4).put("intermediate_size", 1024);
    assertEquals(ElectraConfig.preset("small"), ElectraConfig.fromJson(minimal));
  }

  @Test
  void refusesMalformedJsonNamingTheFile() throws IOException {
    Path file = Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 768,,}");
    IOException e = assertThrows(IOException.class, () -> ElectraConfig.readJson(file));
    assertTrue(e.getMessage().startsWith(file + ": not valid JSON: "), e.getMessage());
    assertTrue(e.getMessage().endsWith("at line 1, column 22"), e.getMessage());
    assertFalse(e.getMessage().contains("REDACTED"), e.getMessage());
  }

  private interface Edit {
    void apply(ObjectNode config);
  }

  /** The base preset's config.json, edited, in a fresh file. */
  private Path writeBase(Edit edit) throws IOException {
    ObjectNode config = ElectraConfig.preset("base").toJson("ElectraForPreTraining");
    edit.apply(config);
    return Files.writeString(Files.createTempFile(dir, "config", ".json"), JSON.writeValueAsString(config));
  }

  private Executable readingBase(Edit edit) throws IOException {
    Path file = writeBase(edit);
    return () -> ElectraConfig.readJson(file);
  }

  private static void assertGenerator(ElectraConfig g, int hidden, int heads, int ffn, int layers, int embedding) {
    assertEquals(hidden, g.hiddenSize(), "hidden");
    assertEquals(heads, g.numAttentionHeads(), "heads");
    assertEquals(ffn, g.intermediateSize(), "FFN");
    assertEquals(layers, g.numHiddenLayers(), "layers");
    assertEquals(embedding, g.embeddingSize(), "embedding width is the discriminator's");
  }

  private static void assertMessage(String expectedPart, Executable action) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
    assertTrue(e.getMessage().contains(expectedPart), e.getMessage());
  }

  private static Path shared() {
    String dir = System.getProperty("electra.shared.dir");
    assumeTrue(dir != null && Files.isDirectory(Path.of(dir, "golden")),
        "skipped: reference data not found; set -Delectra.shared.dir to the folder holding golden/ (got " + dir + ")");
    return Path.of(dir);
  }
}
