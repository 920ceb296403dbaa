package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.model.ElectraConfig;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;

/** ELECTRA-small as Google pre-trains it: variable names, shapes and counts of the released checkpoints. */
class PretrainingGraphShapeTest {

  @Test
  void electraSmallHasGooglesVariables() {
    ElectraConfig disc = ElectraConfig.preset("small");
    ElectraConfig gen = disc.generator(0.25, 1.0, false);
    try (Graph graph = new Graph()) {
      long start = System.nanoTime();
      ModelGraph g = ModelGraph.training(graph, 1);
      Inputs in = Inputs.placeholders(g.tf());
      Embeddings embeddings = new Embeddings(g, disc);
      new GeneratorHead(g, gen, embeddings).logits(new Encoder(g, Tower.GENERATOR, gen, embeddings).apply(in));
      new DiscriminatorHead(g, disc).logits(new Encoder(g, Tower.DISCRIMINATOR, disc, embeddings).apply(in));
      System.out.printf("ELECTRA-small generator + discriminator graph: %d variables built in %d ms%n",
          g.parameters().size(), (System.nanoTime() - start) / 1_000_000);

      Map<String, List<Long>> shapes = g.parameters().stream().collect(Collectors.toMap(
          ModelGraph.Parameter::name, p -> java.util.Arrays.stream(p.shape().asArray()).boxed().toList()));
      assertEquals(List.of(30522L, 128L), shapes.get("electra/embeddings/word_embeddings"));
      assertEquals(List.of(512L, 128L), shapes.get("electra/embeddings/position_embeddings"));
      assertEquals(List.of(128L, 256L), shapes.get("electra/embeddings_project/kernel"));
      assertEquals(List.of(128L, 64L), shapes.get("generator/embeddings_project/kernel"));
      assertEquals(List.of(256L, 1024L), shapes.get("electra/encoder/layer_11/intermediate/dense/kernel"));
      assertEquals(List.of(64L), shapes.get("generator/encoder/layer_11/output/LayerNorm/gamma"));
      assertEquals(List.of(64L, 128L), shapes.get("generator_predictions/dense/kernel"));
      assertEquals(List.of(30522L), shapes.get("generator_predictions/output_bias"));
      assertEquals(List.of(256L, 1L), shapes.get("discriminator_predictions/dense_1/kernel"));
      // 5 shared embedding variables, 2 projections, 16 per layer and tower, 5 generator and 4 discriminator head.
      assertEquals(5 + 2 * 2 + 2 * 12 * 16 + 5 + 4, shapes.size());

      long total = g.parameters().stream().mapToLong(p -> p.shape().size()).sum();
      long sharedEmbeddings = (30522L + 512 + 2) * 128 + 2 * 128;
      long heads = (64L * 128 + 128 + 2 * 128 + 30522) + (256L * 256 + 256 + 256 + 1);
      assertEquals(disc.encoderParameters() + gen.encoderParameters() - sharedEmbeddings + heads, total);
      assertTrue(g.parameters().stream().allMatch(p -> WeightNames.toHuggingFace(p.name(), Tower.DISCRIMINATOR)
          .or(() -> WeightNames.toHuggingFace(p.name(), Tower.GENERATOR)).isPresent()), "every variable has an HF name");
    }
  }
}
