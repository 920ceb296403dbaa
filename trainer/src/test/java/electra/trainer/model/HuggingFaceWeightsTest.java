package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.model.ElectraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;

class HuggingFaceWeightsTest {

  @TempDir
  Path tmp;

  /** Which heads a test graph gets on top of its tower. */
  private enum Heads { PRETRAINING, SPAN_ONLY, BOTH }

  private static void build(ModelGraph g, Tower tower, ElectraConfig config, Heads heads) {
    Inputs in = Inputs.placeholders(g.tf());
    Embeddings embeddings = new Embeddings(g, config);
    var hidden = new Encoder(g, tower, config, embeddings).apply(in);
    if (tower == Tower.GENERATOR) {
      new GeneratorHead(g, config, embeddings).logits(hidden);
      return;
    }
    if (heads != Heads.SPAN_ONLY) {
      new DiscriminatorHead(g, config).logits(hidden);
    }
    if (heads != Heads.PRETRAINING) {
      new SpanHead(g, config).logits(hidden);
    }
  }

  @Test
  void importThenExportGivesBackTheSameFolderBitForBit() throws IOException {
    for (String name : new String[] {"tiny-discriminator-qa", "tiny-generator"}) {
      Path dir = TestData.golden(name);
      Tower tower = name.contains("generator") ? Tower.GENERATOR : Tower.DISCRIMINATOR;
      ElectraConfig config = HuggingFaceWeights.readConfig(dir);
      Path out = tmp.resolve(name);
      try (Graph graph = new Graph(); Session session = new Session(graph)) {
        ModelGraph g = ModelGraph.inference(graph);
        build(g, tower, config, Heads.BOTH);
        HuggingFaceWeights.Report report =
            HuggingFaceWeights.load(dir, tower, config, g, session, HuggingFaceWeights.Match.EXACT);
        assertEquals(g.parameters().size(), report.loaded().size());
        HuggingFaceWeights.save(out, tower, config, g, session);
      }
      assertEquals(config, HuggingFaceWeights.readConfig(out));
      try (Safetensors original = Safetensors.open(dir.resolve("model.safetensors"));
          Safetensors exported = Safetensors.open(out.resolve("model.safetensors"))) {
        assertEquals(original.names(), exported.names(), name);
        for (String t : original.names()) {
          HostTensor a = original.read(t);
          HostTensor b = exported.read(t);
          assertArrayEquals(a.shape(), b.shape(), t);
          for (int i = 0; i < a.values().length; i++) {
            assertEquals(Float.floatToRawIntBits(a.values()[i]), Float.floatToRawIntBits(b.values()[i]), t);
          }
        }
        assertEquals("pt", exported.metadata().get("format"));
      }
    }
  }

  @Test
  void aFileThatDoesNotFitIsRefusedWithEveryProblemListed() throws IOException {
    Path golden = TestData.golden("tiny-discriminator-qa");
    Map<String, HostTensor> tensors = readAll(golden);
    tensors.remove("electra.encoder.layer.1.output.dense.weight");
    tensors.put("foo.bar", new HostTensor(new long[] {1}, new float[] {1}));
    HostTensor bias = tensors.get("qa_outputs.bias");
    tensors.put("qa_outputs.bias", new HostTensor(new long[] {1, 2}, bias.values()));
    Path dir = folder("broken", golden, tensors);

    ElectraConfig config = HuggingFaceWeights.readConfig(dir);
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      ModelGraph g = ModelGraph.inference(graph);
      build(g, Tower.DISCRIMINATOR, config, Heads.BOTH);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> HuggingFaceWeights.load(dir, Tower.DISCRIMINATOR, config, g, session, HuggingFaceWeights.Match.EXACT));
      String m = e.getMessage();
      assertTrue(m.contains(dir.resolve("model.safetensors").toString()), m);
      assertTrue(m.contains("missing electra.encoder.layer.1.output.dense.weight (for "
          + "electra/encoder/layer_1/output/dense/kernel)"), m);
      assertTrue(m.contains("unexpected foo.bar"), m);
      assertTrue(m.contains("qa_outputs.bias has shape [1, 2], qa_outputs/bias needs [2]"), m);
    }
  }

  @Test
  void encoderMatchLeavesNewHeadsInitialisedAndIgnoresOthers() throws IOException {
    Path golden = TestData.golden("tiny-discriminator-qa");
    // A bare ElectraModel-style file (no "electra." prefix) plus the discriminator head, without the QA head.
    Map<String, HostTensor> tensors = new TreeMap<>();
    readAll(golden).forEach((name, t) -> {
      if (!name.startsWith("qa_outputs.")) {
        tensors.put(name.startsWith("electra.") ? name.substring("electra.".length()) : name, t);
      }
    });
    Path dir = folder("pretrained", golden, tensors);

    ElectraConfig config = HuggingFaceWeights.readConfig(dir);
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      ModelGraph g = ModelGraph.inference(graph);
      build(g, Tower.DISCRIMINATOR, config, Heads.SPAN_ONLY);
      HuggingFaceWeights.Report report = HuggingFaceWeights.load(dir, Tower.DISCRIMINATOR, config, g, session,
          HuggingFaceWeights.Match.ENCODER);
      assertEquals(List.of("qa_outputs/kernel", "qa_outputs/bias"), report.leftAsInitialised());
      assertEquals(List.of("discriminator_predictions.dense.bias", "discriminator_predictions.dense.weight",
          "discriminator_predictions.dense_prediction.bias", "discriminator_predictions.dense_prediction.weight"),
          report.ignored());
      assertEquals(g.parameters().size() - 2, report.loaded().size());

      ElectraConfig fourHeads = new ElectraConfig(config.vocabSize(), config.embeddingSize(), config.hiddenSize(),
          config.numHiddenLayers(), 4, config.intermediateSize(), config.hiddenAct(), config.hiddenDropoutProb(),
          config.attentionProbsDropoutProb(), config.maxPositionEmbeddings(), config.typeVocabSize(),
          config.initializerRange(), config.layerNormEps());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceWeights.load(dir,
          Tower.DISCRIMINATOR, fourHeads, g, session, HuggingFaceWeights.Match.ENCODER));
      assertTrue(e.getMessage().contains("num_attention_heads 4 in the graph vs 2"), e.getMessage());
    }
  }

  private static Map<String, HostTensor> readAll(Path dir) throws IOException {
    Map<String, HostTensor> out = new TreeMap<>();
    try (Safetensors st = Safetensors.open(dir.resolve("model.safetensors"))) {
      for (String n : st.names()) {
        out.put(n, st.read(n));
      }
    }
    return out;
  }

  private Path folder(String name, Path configFrom, Map<String, HostTensor> tensors) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.copy(configFrom.resolve("config.json"), dir.resolve("config.json"));
    Safetensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
    return dir;
  }
}
