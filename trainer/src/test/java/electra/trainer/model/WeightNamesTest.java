package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class WeightNamesTest {

  private static void maps(Tower tower, String google, String hf, boolean transposed) {
    assertEquals(Optional.of(new WeightNames.HfName(hf, transposed)), WeightNames.toHuggingFace(google, tower),
        google);
  }

  @Test
  void discriminatorFolderNames() {
    Tower d = Tower.DISCRIMINATOR;
    maps(d, "electra/embeddings/word_embeddings", "electra.embeddings.word_embeddings.weight", false);
    maps(d, "electra/embeddings/position_embeddings", "electra.embeddings.position_embeddings.weight", false);
    maps(d, "electra/embeddings/token_type_embeddings", "electra.embeddings.token_type_embeddings.weight", false);
    maps(d, "electra/embeddings/LayerNorm/gamma", "electra.embeddings.LayerNorm.weight", false);
    maps(d, "electra/embeddings/LayerNorm/beta", "electra.embeddings.LayerNorm.bias", false);
    maps(d, "electra/embeddings_project/kernel", "electra.embeddings_project.weight", true);
    maps(d, "electra/encoder/layer_11/attention/self/query/kernel",
        "electra.encoder.layer.11.attention.self.query.weight", true);
    maps(d, "electra/encoder/layer_0/attention/output/LayerNorm/gamma",
        "electra.encoder.layer.0.attention.output.LayerNorm.weight", false);
    maps(d, "electra/encoder/layer_3/intermediate/dense/bias", "electra.encoder.layer.3.intermediate.dense.bias",
        false);
    maps(d, "discriminator_predictions/dense/kernel", "discriminator_predictions.dense.weight", true);
    maps(d, "discriminator_predictions/dense_1/kernel", "discriminator_predictions.dense_prediction.weight", true);
    maps(d, "discriminator_predictions/dense_1/bias", "discriminator_predictions.dense_prediction.bias", false);
    maps(d, "qa_outputs/kernel", "qa_outputs.weight", true);
    // ElectraForSequenceClassification's head
    maps(d, "classifier/dense/kernel", "classifier.dense.weight", true);
    maps(d, "classifier/out_proj/bias", "classifier.out_proj.bias", false);
    for (String generatorOnly : new String[] {"generator/encoder/layer_0/output/dense/kernel",
        "generator/embeddings_project/bias", "generator_predictions/output_bias", "generator_predictions/dense/kernel"}) {
      assertEquals(Optional.empty(), WeightNames.toHuggingFace(generatorOnly, d), generatorOnly);
    }
  }

  @Test
  void generatorFolderNamesPutTheGeneratorTowerUnderElectra() {
    Tower g = Tower.GENERATOR;
    maps(g, "electra/embeddings/word_embeddings", "electra.embeddings.word_embeddings.weight", false);
    maps(g, "generator/embeddings_project/kernel", "electra.embeddings_project.weight", true);
    maps(g, "generator/encoder/layer_1/output/LayerNorm/beta", "electra.encoder.layer.1.output.LayerNorm.bias",
        false);
    maps(g, "generator_predictions/dense/kernel", "generator_predictions.dense.weight", true);
    maps(g, "generator_predictions/LayerNorm/gamma", "generator_predictions.LayerNorm.weight", false);
    maps(g, "generator_predictions/output_bias", "generator_lm_head.bias", false);
    for (String discriminatorOnly : new String[] {"electra/encoder/layer_0/output/dense/kernel",
        "electra/embeddings_project/kernel", "discriminator_predictions/dense/bias", "qa_outputs/bias",
        "classifier/out_proj/kernel"}) {
      assertEquals(Optional.empty(), WeightNames.toHuggingFace(discriminatorOnly, g), discriminatorOnly);
    }
  }

  @Test
  void unknownNamesAreRefusedAndBareElectraModelNamesArePrefixed() {
    assertThrows(IllegalArgumentException.class, () -> WeightNames.toHuggingFace("global_step", Tower.DISCRIMINATOR));
    assertThrows(IllegalArgumentException.class,
        () -> WeightNames.toHuggingFace("task_specific/mnli/dense/kernel", Tower.DISCRIMINATOR));
    // Google's joint SQuAD head is in no Hugging Face folder: skipped, not refused, so HF loads/saves work with it.
    assertEquals(Optional.empty(), WeightNames.toHuggingFace("task_specific/squad/dense/kernel", Tower.DISCRIMINATOR));
    assertEquals("electra.encoder.layer.0.output.dense.weight",
        WeightNames.withTowerPrefix("encoder.layer.0.output.dense.weight"));
    assertEquals("qa_outputs.bias", WeightNames.withTowerPrefix("qa_outputs.bias"));
  }

  @Test
  void nvidiaObjectPathsFollowNvidiasAttributeNames() {
    // Every name of the three towers is checked against the listings in ReleasedCheckpointImportTest; these are the
    // renamings.
    assertEquals("model/generator/electra/encoder/layer/3/bert_output/LayerNorm/gamma",
        WeightNames.toNvidiaObjectPath("generator/encoder/layer_3/output/LayerNorm/gamma"));
    assertEquals("model/discriminator/discriminator_predictions/dense_prediction/kernel",
        WeightNames.toNvidiaObjectPath("discriminator_predictions/dense_1/kernel"));
    assertEquals("model/generator/generator_lm_head/bias",
        WeightNames.toNvidiaObjectPath("generator_predictions/output_bias"));
    assertThrows(IllegalArgumentException.class, () -> WeightNames.toNvidiaObjectPath("qa_outputs/kernel"));
    assertThrows(IllegalArgumentException.class, () -> WeightNames.toNvidiaObjectPath("global_step"));
  }
}
