package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.model.ElectraConfig;
import electra.trainer.model.ModelGraph;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --model_size=large --generator_hidden_size=0.3333333} (NVIDIA's recipe) builds and trains: a real training
 * step of ELECTRA-large's widths, every variable of the shape Google's large checkpoint has, with one layer per tower
 * instead of 24 (the config override), a batch of one 32-token sequence. A step of the full 24 + 24 layers (about
 * 380 million weights and their LAMB slots, several GB) does not fit a test on a 2-core machine; the layers are
 * identical copies, so one of each tower checks every shape the step builds.
 */
class LargeModelStepTest {

  private static final int LENGTH = 32;

  @Test
  void electraLargeWithNvidiasGeneratorTakesATrainingStep(@TempDir Path tmp) throws Exception {
    ElectraConfig large = ElectraConfig.preset("large");
    ElectraConfig oneLayer = new ElectraConfig(large.vocabSize(), large.embeddingSize(), large.hiddenSize(), 1,
        large.numAttentionHeads(), large.intermediateSize(), large.hiddenAct(), large.hiddenDropoutProb(),
        large.attentionProbsDropoutProb(), large.maxPositionEmbeddings(), large.typeVocabSize(),
        large.initializerRange(), large.layerNormEps());
    Path config = tmp.resolve("large_1_layer.json");
    oneLayer.writeJson(config, "ElectraForPreTraining");
    String[] common = {"--pretrain_tfrecords=unused", "--generator_hidden_size=0.3333333", "--train_batch_size=1",
        "--max_seq_length=" + LENGTH, "--seed=3"};
    PretrainConfig full = PretrainConfig.parse(with(common, "--model_size=large"));
    PretrainConfig c = PretrainConfig.parse(with(common, "--model_config=" + config));

    // the override changes the depth only: the step below has the widths of --model_size=large
    ElectraConfig generator = c.generator();
    for (PretrainConfig p : List.of(full, c)) {
      assertEquals(384, p.generator().hiddenSize(), "1024 / 3 = 341, rounded up to a multiple of 64");
      assertEquals(6, p.generator().numAttentionHeads());
      assertEquals(1536, p.generator().intermediateSize());
      assertEquals(1024, p.generator().embeddingSize(), "the generator reads the shared 1024-wide embeddings");
      assertEquals(1024, p.discriminator().hiddenSize());
      assertEquals(16, p.discriminator().numAttentionHeads());
    }
    assertEquals(24, full.generator().numHiddenLayers());
    assertEquals(1, generator.numHiddenLayers());

    long t0 = System.nanoTime();
    try (PretrainingGraph g = new PretrainingGraph(c, false, null)) {
      Map<String, List<Long>> shapes = new TreeMap<>();
      for (ModelGraph.Parameter p : g.model().parameters()) {
        shapes.put(p.name(), Arrays.stream(p.shape().asArray()).boxed().toList());
      }
      assertEquals(expectedShapes(), shapes);
      g.initialize();
      Map<String, Double> before = new LinkedHashMap<>();
      for (String name : shapes.keySet()) {
        before.put(name, checksum(g.value(name)));
      }
      long built = System.nanoTime();
      PretrainingGraph.StepResult r = g.step(batch(c), 1e-3, true, 0);
      long stepped = System.nanoTime();
      for (int i = 0; i < r.scalars().length; i++) {
        assertTrue(Float.isFinite(r.scalars()[i]), "step 1: " + PretrainingObjective.Outputs.SCALAR_NAMES.get(i)
            + " = " + r.scalars()[i]);
      }
      assertTrue(r.total() > 0 && Float.isFinite(r.gradientNorm()) && r.gradientNorm() > 0,
          "loss " + r.total() + ", gradient norm " + r.gradientNorm());
      assertEquals(1, g.globalStep());
      for (String name : shapes.keySet()) {
        double after = checksum(g.value(name));
        assertTrue(Double.isFinite(after) && after != before.get(name), name + " did not change: " + after);
      }
      System.out.printf("ELECTRA-large widths, 1 + 1 layers, generator 384 wide with 6 heads: %d variables, "
              + "%,d weights; built and initialised in %.1f s, one step of 1 x %d tokens in %.1f s, loss %.3f%n",
          shapes.size(), g.model().parameters().stream().mapToLong(p -> p.shape().size()).sum(),
          (built - t0) / 1e9, LENGTH, (stepped - built) / 1e9, r.total());
    }
  }

  private static String[] with(String[] common, String flag) {
    String[] out = Arrays.copyOf(common, common.length + 1);
    out[common.length] = flag;
    return out;
  }

  /**
   * Every variable of ELECTRA-large's generator and discriminator with one layer each, as Google's checkpoints name
   * and shape them: 30522 x 1024 shared embeddings, no discriminator projection (E = H), a 1024 -> 384 generator
   * projection, 16 variables per layer, the generator head back to 1024 and the tied output bias.
   */
  private static Map<String, List<Long>> expectedShapes() {
    long v = 30522;
    long e = 1024;
    Map<String, List<Long>> s = new TreeMap<>();
    s.put("electra/embeddings/word_embeddings", List.of(v, e));
    s.put("electra/embeddings/position_embeddings", List.of(512L, e));
    s.put("electra/embeddings/token_type_embeddings", List.of(2L, e));
    s.put("electra/embeddings/LayerNorm/gamma", List.of(e));
    s.put("electra/embeddings/LayerNorm/beta", List.of(e));
    s.put("generator/embeddings_project/kernel", List.of(e, 384L));
    s.put("generator/embeddings_project/bias", List.of(384L));
    layer(s, "electra/encoder/layer_0", 1024);
    layer(s, "generator/encoder/layer_0", 384);
    s.put("generator_predictions/dense/kernel", List.of(384L, e));
    s.put("generator_predictions/dense/bias", List.of(e));
    s.put("generator_predictions/LayerNorm/gamma", List.of(e));
    s.put("generator_predictions/LayerNorm/beta", List.of(e));
    s.put("generator_predictions/output_bias", List.of(v));
    s.put("discriminator_predictions/dense/kernel", List.of(1024L, 1024L));
    s.put("discriminator_predictions/dense/bias", List.of(1024L));
    s.put("discriminator_predictions/dense_1/kernel", List.of(1024L, 1L));
    s.put("discriminator_predictions/dense_1/bias", List.of(1L));
    return s;
  }

  private static void layer(Map<String, List<Long>> s, String prefix, long h) {
    for (String d : List.of("attention/self/query", "attention/self/key", "attention/self/value",
        "attention/output/dense")) {
      s.put(prefix + "/" + d + "/kernel", List.of(h, h));
      s.put(prefix + "/" + d + "/bias", List.of(h));
    }
    s.put(prefix + "/intermediate/dense/kernel", List.of(h, 4 * h));
    s.put(prefix + "/intermediate/dense/bias", List.of(4 * h));
    s.put(prefix + "/output/dense/kernel", List.of(4 * h, h));
    s.put(prefix + "/output/dense/bias", List.of(h));
    for (String n : List.of("attention/output/LayerNorm", "output/LayerNorm")) {
      s.put(prefix + "/" + n + "/gamma", List.of(h));
      s.put(prefix + "/" + n + "/beta", List.of(h));
    }
  }

  /** A position-weighted sum: any change of any value changes it (up to rounding, which a step's update exceeds). */
  private static double checksum(float[] values) {
    double sum = 0;
    for (int i = 0; i < values.length; i++) {
      sum += values[i] * (1 + (i % 7919) / 7919.0);
    }
    return sum;
  }

  /** One sequence of real-looking token ids, masked as pre-training masks it. */
  private static MaskedBatch batch(PretrainConfig c) {
    SplittableRandom r = new SplittableRandom(5);
    int[] ids = new int[LENGTH];
    int[] mask = new int[LENGTH];
    int[] segments = new int[LENGTH];
    for (int t = 0; t < LENGTH; t++) {
      ids[t] = t == 0 ? 101 : t == LENGTH - 1 || t == LENGTH / 2 ? 102 : 1000 + r.nextInt(20000);
      mask[t] = 1;
      segments[t] = t > LENGTH / 2 ? 1 : 0;
    }
    return Masking.mask(ids, mask, segments, 1, LENGTH, c.maxPredictionsPerSeq(LENGTH), c.maskProb(),
        new Masking.SpecialIds(101, 102, 103, 0), Masking.randomFor(c.seed(), 0));
  }
}
