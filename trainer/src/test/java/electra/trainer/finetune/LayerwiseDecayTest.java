package electra.trainer.finetune;

import electra.export.QaHead;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.OptimizerKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.model.ElectraConfig;
import electra.trainer.model.ModelGraph;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LayerwiseDecayTest {

  @Test
  void twoLayerMultipliersFollowDecayToTheNPlusTwoMinusDepth() {
    LayerwiseDecay d = new LayerwiseDecay(0.8, 2);
    assertEquals(Math.pow(0.8, 4), d.applyAsDouble("electra/embeddings/word_embeddings"), 1e-12);
    assertEquals(Math.pow(0.8, 4), d.applyAsDouble("electra/embeddings/LayerNorm/gamma"), 1e-12);
    assertEquals(Math.pow(0.8, 4), d.applyAsDouble("electra/embeddings_project/kernel"), 1e-12);
    assertEquals(Math.pow(0.8, 3), d.applyAsDouble("electra/encoder/layer_0/attention/self/query/kernel"), 1e-12);
    assertEquals(0.64, d.applyAsDouble("electra/encoder/layer_1/output/LayerNorm/beta"), 1e-12);
    assertEquals(1.0, d.applyAsDouble("task_specific/squad/qa_hidden/kernel"), 1e-12);
    assertEquals(1.0, d.applyAsDouble("qa_outputs/bias"), 1e-12);
    assertEquals(1.0, d.applyAsDouble("classifier/out_proj/kernel"), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> d.applyAsDouble("discriminator_predictions/dense/kernel"));
    assertThrows(IllegalArgumentException.class, () -> d.applyAsDouble("electra/encoder/layer_2/output/dense/bias"));
    // base: embeddings 0.8^14, top layer 0.8^2 (spec 3.6)
    LayerwiseDecay base = new LayerwiseDecay(0.8, 12);
    assertEquals(0.04398, base.applyAsDouble("electra/embeddings/word_embeddings"), 1e-5);
    assertEquals(0.64, base.applyAsDouble("electra/encoder/layer_11/output/dense/kernel"), 1e-12);
  }

  @Test
  void firstUpdateOfEveryVariableScalesWithItsMultiplier() {
    ElectraConfig c = new ElectraConfig(ElectraConfig.BERT_VOCAB_SIZE, 16, 32, 2, 2, 64, "gelu", 0, 0, 512, 2, 0.02,
        1e-12);
    for (QaHead head : QaHead.values()) {
      var settings = new electra.trainer.runtime.OptimizerGraph.Settings(
          electra.trainer.runtime.OptimizerKind.ADAM, 0.9, 0.999, 1e-20, 0, true, 1e9, 1, false);
      try (QaGraph g = new QaGraph(c, head, 2, new QaGraph.Training(settings, 0.5, 1), null)) {
        g.initialize();
        LayerwiseDecay d = new LayerwiseDecay(0.5, 2);
        Map<String, float[]> before = new LinkedHashMap<>();
        for (ModelGraph.Parameter p : g.model().parameters()) {
          before.put(p.name(), g.value(p.name()));
        }
        int[] ids = new int[2 * 16];
        int[] mask = new int[2 * 16];
        int[] seg = new int[2 * 16];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = 1000 + 37 * i;
          mask[i] = 1;
          seg[i] = i % 16 >= 6 ? 1 : 0;
        }
        double lr = 1e-3;
        g.trainStep(new Batch(2, 16, ids, mask, seg, new int[] {7, 0}, new int[] {9, 0}, new float[] {0, 1}),
            FinetuneGraph.Step.single(lr, 0));
        // Google's AdamW without bias correction: the first update is lr·m·0.1g/(√0.001·|g| + ε) ≈ lr·m·3.162.
        for (ModelGraph.Parameter p : g.model().parameters()) {
          float[] a = before.get(p.name());
          float[] b = g.value(p.name());
          double biggest = 0;
          for (int i = 0; i < a.length; i++) {
            biggest = Math.max(biggest, Math.abs(b[i] - a[i]));
          }
          double multiplier = biggest / (lr * 0.1 / Math.sqrt(0.001));
          if (biggest > 0) {
            assertEquals(d.applyAsDouble(p.name()), multiplier, 0.02 * d.applyAsDouble(p.name()),
                head + " " + p.name());
          }
        }
      }
    }
  }
}
