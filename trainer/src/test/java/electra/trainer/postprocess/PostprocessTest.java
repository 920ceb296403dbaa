package electra.trainer.postprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.HelpRequested;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Safetensors;
import electra.trainer.model.Tower;
import electra.trainer.pretrain.BookShards;
import electra.trainer.pretrain.PretrainConfig;
import electra.trainer.pretrain.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Postprocess end to end: a tiny model pre-trained two steps on book text is exported, and the exported folders
 * compute exactly what the checkpoint computes; released-model imports round-trip.
 */
class PostprocessTest {

  @TempDir
  static Path tmp;
  static Path vocab;
  static Path run;
  static Path ckpt;
  static Path export;
  static ElectraConfig disc;
  static ElectraConfig gen;

  /** Two rows of 8 tokens, the second padded. */
  static final int[] IDS = {101, 2023, 2003, 1037, 103, 6251, 1012, 102, 101, 7592, 103, 2088, 102, 0, 0, 0};
  static final int[] MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
  static final int[] SEG = {0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0};

  @BeforeAll
  static void pretrainAndExport() throws Exception {
    Path shards = BookShards.write(tmp.resolve("phase1"), 64, 1, 16, null);
    vocab = BookShards.vocabFile(BookShards.shared());
    Path config = BookShards.tinyConfig(tmp);
    new Trainer(PretrainConfig.parse("--model_name=tiny", "--model_config=" + config,
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + shards, "--output_dir=" + tmp.resolve("runs"),
        "--vocab_file=" + vocab, "--train_batch_size=8", "--num_train_steps=2", "--num_warmup_steps=0",
        "--learning_rate=1e-2", "--seed=5"), quiet()).run();
    run = tmp.resolve("runs/tiny");
    ckpt = run.resolve("ckpt-000002");
    export = tmp.resolve("export");
    new Postprocess(quiet()).run(new String[] {"--pretrain_dir=" + run, "--output_dir=" + export,
        "--vocab_file=" + vocab});
    disc = ElectraConfig.readJson(run.resolve("discriminator_config.json"));
    gen = ElectraConfig.readJson(run.resolve("generator_config.json"));
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  @Test
  void exportedHuggingFaceFoldersComputeExactlyWhatTheCheckpointComputes() throws Exception {
    float[] discExpected;
    float[] genExpected;
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(ckpt.resolve("model"));
      discExpected = g.discriminatorLogits(2, IDS, MASK, SEG);
      genExpected = g.generatorLogits(2, IDS, MASK, SEG);
    }
    Path d = export.resolve("discriminator");
    assertEquals(disc, HuggingFaceWeights.readConfig(d));
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.DISCRIMINATOR, false)) {
      HuggingFaceWeights.load(d, Tower.DISCRIMINATOR, disc, g.model(), g.session(), HuggingFaceWeights.Match.EXACT);
      assertArrayEquals(discExpected, g.discriminatorLogits(2, IDS, MASK, SEG), "discriminator logits, bit for bit");
    }
    Path gd = export.resolve("generator");
    ElectraConfig genFile = HuggingFaceWeights.readConfig(gd);
    assertEquals(gen, genFile);
    try (TowerGraph g = new TowerGraph(genFile, genFile, TowerGraph.Parts.GENERATOR, false)) {
      HuggingFaceWeights.load(gd, Tower.GENERATOR, genFile, g.model(), g.session(), HuggingFaceWeights.Match.EXACT);
      float[] logits = g.generatorLogits(2, IDS, MASK, SEG);
      assertEquals(2 * 8 * 30522, logits.length);
      assertArrayEquals(genExpected, logits, "generator MLM logits, bit for bit");
    }
    ObjectMapper json = new ObjectMapper();
    assertEquals("ElectraForPreTraining", json.readTree(d.resolve("config.json").toFile()).get("architectures")
        .get(0).asText());
    assertEquals("ElectraForMaskedLM", json.readTree(gd.resolve("config.json").toFile()).get("architectures")
        .get(0).asText());
    for (Path dir : List.of(d, gd)) {
      assertArrayEquals(Files.readAllBytes(vocab), Files.readAllBytes(dir.resolve("vocab.txt")), dir + "/vocab.txt");
      JsonNode tokenizer = json.readTree(dir.resolve("tokenizer_config.json").toFile());
      assertTrue(tokenizer.get("do_lower_case").asBoolean(), dir + ": the English vocabulary is uncased");
      assertEquals("ElectraTokenizer", tokenizer.get("tokenizer_class").asText());
      assertTrue(Files.readString(dir.resolve("checkpoint")).contains("model_checkpoint_path: \"model.ckpt\""));
    }
  }

  @Test
  void exportedBundlesHoldGooglesNamesAndRestoreIdentically() {
    Map<String, float[]> expected;
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(ckpt.resolve("model"));
      expected = g.weights();
    }
    for (TowerGraph.Parts parts : List.of(TowerGraph.Parts.DISCRIMINATOR, TowerGraph.Parts.GENERATOR)) {
      Path prefix = export.resolve(parts.discriminator() ? "discriminator" : "generator").resolve("model.ckpt");
      try (TowerGraph g = new TowerGraph(disc, gen, parts, false)) {
        g.restoreWeights(prefix);
        Map<String, float[]> restored = g.weights();
        restored.forEach((name, value) -> assertArrayEquals(expected.get(name), value, name));
      }
    }
    Path discBundle = export.resolve("discriminator/model.ckpt");
    Path genBundle = export.resolve("generator/model.ckpt");
    assertTrue(TowerGraph.bundleHas(discBundle, "electra/encoder/layer_1/output/LayerNorm/gamma"));
    assertTrue(TowerGraph.bundleHas(discBundle, "discriminator_predictions/dense_1/kernel"));
    assertFalse(TowerGraph.bundleHas(discBundle, "generator/encoder/layer_0/output/dense/kernel"),
        "the discriminator bundle is the discriminator subset");
    assertFalse(TowerGraph.bundleHas(discBundle, "electra/embeddings/word_embeddings/adam_m"), "no optimizer slots");
    assertTrue(TowerGraph.bundleHas(genBundle, "generator/encoder/layer_0/output/dense/kernel"));
    assertTrue(TowerGraph.bundleHas(genBundle, "generator_predictions/output_bias"));
    assertTrue(TowerGraph.bundleHas(genBundle, "electra/embeddings/word_embeddings"), "shared embeddings");
    assertFalse(TowerGraph.bundleHas(genBundle, "electra/encoder/layer_0/output/dense/kernel"));
  }

  @Test
  void anotherVocabularyIsRefusedNamingBoth() throws Exception {
    Path other = tmp.resolve("other-vocab.txt");
    Files.writeString(other, Files.readString(vocab) + "zzzextra\n");
    UsageException e = assertThrows(UsageException.class, () -> new Postprocess(quiet()).run(new String[] {
        "--checkpoint=" + ckpt, "--output_dir=" + tmp.resolve("refused"), "--vocab_file=" + other}));
    assertTrue(e.getMessage().contains("trained with vocab") && e.getMessage().contains(other.toString()),
        e.getMessage());
    assertFalse(Files.exists(tmp.resolve("refused")), "nothing written");
  }

  @Test
  void huggingFaceImportThenExportGivesTheSameTensorsAndStartsPretraining() throws Exception {
    Path golden = golden("tiny-discriminator-qa");
    Path imported = tmp.resolve("hf-run");
    new ImportModel(quiet()).run(new String[] {"--from_hf=" + golden, "--output_dir=" + imported,
        "--vocab_file=" + vocab});
    Path out = tmp.resolve("hf-export");
    new Postprocess(quiet()).run(new String[] {"--checkpoint=" + imported.resolve("ckpt-000000"),
        "--output_dir=" + out, "--vocab_file=" + vocab, "--what=discriminator"});
    assertFalse(Files.exists(out.resolve("generator")), "--what=discriminator");
    assertSameTensors(golden.resolve("model.safetensors"), out.resolve("discriminator/model.safetensors"));
    assertEquals(HuggingFaceWeights.readConfig(golden), HuggingFaceWeights.readConfig(out.resolve("discriminator")));
    assertTrue(Files.readString(imported.resolve("import.json")).contains("freshly initialised"));

    // The imported checkpoint starts a pre-training run (weights and zero Adam slots found by name).
    Path shards = BookShards.write(tmp.resolve("hf-shards"), 32, 1, 8, null);
    Trainer.Summary s = new Trainer(PretrainConfig.parse("--model_name=cont",
        "--model_config=" + imported.resolve("discriminator_config.json"), "--generator_hidden_size=0.25",
        "--pretrain_tfrecords=" + shards, "--output_dir=" + tmp.resolve("hf-cont"), "--vocab_file=" + vocab,
        "--train_batch_size=4", "--num_train_steps=1", "--num_warmup_steps=0",
        "--init_checkpoint=" + imported.resolve("ckpt-000000")), quiet()).run();
    assertTrue(Double.isFinite(s.losses().get(0)));
  }

  @Test
  void huggingFaceGeneratorWithOtherEmbeddingsIsRefused() {
    Path disc = golden("tiny-discriminator-qa");
    Path gen = golden("tiny-generator");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImportModel(quiet()).run(
        new String[] {"--from_hf=" + disc, "--from_hf_generator=" + gen, "--output_dir=" + tmp.resolve("x"),
            "--vocab_file=" + vocab}));
    assertTrue(e.getMessage().contains("shares the discriminator's embeddings"), e.getMessage());
  }

  @Test
  void googleCheckpointImportRestoresByName() throws Exception {
    // A discriminator-only bundle with Google's names, as Postprocess writes one (the releases hold both towers).
    Path google = tmp.resolve("electra_tiny/electra_tiny");
    Map<String, float[]> source;
    ElectraConfig tinyGen = disc.generator(0.5, 1.0, false);
    try (TowerGraph g = new TowerGraph(disc, tinyGen, TowerGraph.Parts.DISCRIMINATOR, false)) {
      g.initialize();
      g.save(google);
      source = g.weights();
    }
    Path imported = tmp.resolve("google-run");
    new ImportModel(quiet()).run(new String[] {"--from_google_checkpoint=" + google,
        "--model_config=" + run.resolve("discriminator_config.json"), "--generator_hidden_size=0.5",
        "--output_dir=" + imported, "--vocab_file=" + vocab});
    Path out = tmp.resolve("google-export");
    new Postprocess(quiet()).run(new String[] {"--pretrain_dir=" + imported, "--output_dir=" + out,
        "--vocab_file=" + vocab});
    try (TowerGraph g = new TowerGraph(disc, tinyGen, TowerGraph.Parts.DISCRIMINATOR, false)) {
      g.restoreWeights(out.resolve("discriminator/model.ckpt"));
      Map<String, float[]> back = g.weights();
      assertEquals(source.keySet(), back.keySet());
      source.forEach((name, value) -> assertArrayEquals(value, back.get(name), name));
    }
    assertTrue(Files.isRegularFile(out.resolve("generator/model.safetensors")));
    assertTrue(Files.readString(imported.resolve("import.json")).contains("freshly initialised"));

    IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> new ImportModel(quiet())
        .run(new String[] {"--from_google_checkpoint=" + google, "--model_size=small",
            "--output_dir=" + tmp.resolve("wrong"), "--vocab_file=" + vocab}));
    assertTrue(wrong.getMessage().contains("does not hold exactly the weights of discriminator"),
        wrong.getMessage());
  }

  @Test
  void helpAndBadFlags() {
    HelpRequested help = assertThrows(HelpRequested.class, () -> new Postprocess().run(new String[] {"--help"}));
    for (String flag : List.of("--pretrain_dir", "--checkpoint", "--what", "--format", "--vocab_file")) {
      assertTrue(help.getMessage().contains(flag), "help lists " + flag);
    }
    HelpRequested importHelp = assertThrows(HelpRequested.class, () -> new ImportModel().run(new String[] {"--help"}));
    for (String flag : List.of("--from_hf", "--from_hf_generator", "--from_google_checkpoint",
        "--from_nvidia_checkpoint", "--import_optimizer_slots", "--model_size", "--vocab_file")) {
      assertTrue(importHelp.getMessage().contains(flag), "ImportModel's help lists " + flag);
    }
    UsageException neither = assertThrows(UsageException.class, () -> new ImportModel().run(new String[] {
        "--output_dir=x"}));
    assertTrue(neither.getMessage().contains("give one of --from_hf, --from_google_checkpoint and "
        + "--from_nvidia_checkpoint"), neither.getMessage());
    assertThrows(UsageException.class, () -> new ImportModel().run(new String[] {"--output_dir=x", "--from_hf=a",
        "--from_google_checkpoint=b"}));
    assertEquals("--from_hf_generator goes with --from_hf", assertThrows(UsageException.class,
        () -> new ImportModel().run(new String[] {"--output_dir=x", "--from_google_checkpoint=b",
            "--from_hf_generator=g"})).getMessage());
    assertThrows(UsageException.class, () -> new Postprocess().run(new String[] {"--output_dir=x"}));
    UsageException slotsAlone = assertThrows(UsageException.class, () -> new ImportModel().run(new String[] {
        "--output_dir=x", "--from_hf=a", "--import_optimizer_slots"}));
    assertTrue(slotsAlone.getMessage().contains("goes with --from_google_checkpoint"), slotsAlone.getMessage());
    UsageException nvidiaTowers = assertThrows(UsageException.class, () -> new Postprocess().run(new String[] {
        "--output_dir=x", "--checkpoint=y", "--format=nvidia", "--what=discriminator"}));
    assertTrue(nvidiaTowers.getMessage().contains("both towers"), nvidiaTowers.getMessage());
    UsageException what = assertThrows(UsageException.class, () -> new Postprocess().run(new String[] {
        "--output_dir=x", "--checkpoint=y", "--what=encoder"}));
    assertTrue(what.getMessage().contains("--what"), what.getMessage());
  }

  private static Path golden(String name) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (golden models live there)");
    Path dir = Path.of(shared, "golden", name);
    assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")), "skipped: " + dir + " not found");
    return dir;
  }

  private static void assertSameTensors(Path expected, Path actual) throws IOException {
    try (Safetensors a = Safetensors.open(expected); Safetensors b = Safetensors.open(actual)) {
      assertEquals(a.names(), b.names());
      for (String t : a.names()) {
        HostTensor x = a.read(t);
        HostTensor y = b.read(t);
        assertArrayEquals(x.shape(), y.shape(), t);
        for (int i = 0; i < x.values().length; i++) {
          assertEquals(Float.floatToRawIntBits(x.values()[i]), Float.floatToRawIntBits(y.values()[i]), t);
        }
      }
    }
  }
}
