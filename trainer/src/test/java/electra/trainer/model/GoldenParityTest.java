package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import electra.model.ElectraConfig;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** The model's maths and the weight loader against an independent fp32 implementation (shared/golden). */
class GoldenParityTest {

  private static final double TOLERANCE = 1e-4;

  @Test
  void discriminatorAndSpanLogitsMatchEveryPosition() throws Exception {
    Path dir = TestData.golden("tiny-discriminator-qa");
    JsonNode cases = TestData.expected(dir).get("cases");
    ElectraConfig config = HuggingFaceWeights.readConfig(dir);
    try (Graph graph = new Graph()) {
      ModelGraph g = ModelGraph.inference(graph);
      Inputs in = Inputs.placeholders(g.tf());
      Operand<TFloat32> hidden = new Encoder(g, Tower.DISCRIMINATOR, config, new Embeddings(g, config)).apply(in);
      Operand<TFloat32> discriminator = new DiscriminatorHead(g, config).logits(hidden);
      SpanHead.Logits span = new SpanHead(g, config).logits(hidden);
      try (Session session = new Session(graph)) {
        HuggingFaceWeights.load(dir, Tower.DISCRIMINATOR, config, g, session, HuggingFaceWeights.Match.EXACT);
        int[][] ids = new int[cases.size()][];
        int[][] mask = new int[cases.size()][];
        int[][] segments = new int[cases.size()][];
        for (int c = 0; c < cases.size(); c++) {
          ids[c] = TestData.ints(cases.get(c).get("input_ids"));
          mask[c] = TestData.ints(cases.get(c).get("attention_mask"));
          segments[c] = TestData.ints(cases.get(c).get("token_type_ids"));
        }
        try (TInt32 idsT = TestData.matrix(ids); TInt32 maskT = TestData.matrix(mask);
            TInt32 segT = TestData.matrix(segments);
            Result r = session.runner().feed(in.inputIds(), idsT).feed(in.inputMask(), maskT)
                .feed(in.segmentIds(), segT).fetch(discriminator).fetch(span.start()).fetch(span.end()).run()) {
          String[] keys = {"discriminator_logits", "start_logits", "end_logits"};
          for (int k = 0; k < keys.length; k++) {
            float[] actual = TestData.floats((TFloat32) r.get(k));
            int length = ids[0].length;
            assertEquals(cases.size() * length, actual.length, keys[k]);
            double maxError = 0;
            for (int c = 0; c < cases.size(); c++) {
              JsonNode expected = cases.get(c).get(keys[k]);
              for (int t = 0; t < length; t++) {
                maxError = Math.max(maxError, Math.abs(actual[c * length + t] - expected.get(t).asDouble()));
              }
            }
            System.out.printf("tiny-discriminator-qa %s: max |error| %.3g over %d positions%n", keys[k], maxError,
                actual.length);
            assertTrue(maxError <= TOLERANCE, keys[k] + " max error " + maxError);
          }
        }
      }
    }
  }

  @Test
  void generatorLogitsMatchAtTheCheckedPositions() throws Exception {
    Path dir = TestData.golden("tiny-generator");
    JsonNode cases = TestData.expected(dir).get("cases");
    ElectraConfig config = HuggingFaceWeights.readConfig(dir);
    try (Graph graph = new Graph()) {
      ModelGraph g = ModelGraph.inference(graph);
      Inputs in = Inputs.placeholders(g.tf());
      Embeddings embeddings = new Embeddings(g, config);
      Operand<TFloat32> hidden = new Encoder(g, Tower.GENERATOR, config, embeddings).apply(in);
      Operand<TFloat32> logits = new GeneratorHead(g, config, embeddings).logits(hidden);
      try (Session session = new Session(graph)) {
        HuggingFaceWeights.load(dir, Tower.GENERATOR, config, g, session, HuggingFaceWeights.Match.EXACT);
        double maxError = 0;
        int checked = 0;
        for (JsonNode c : cases) {
          try (TInt32 ids = TestData.matrix(TestData.ints(c.get("input_ids")));
              TInt32 mask = TestData.matrix(TestData.ints(c.get("attention_mask")));
              TInt32 seg = TestData.matrix(TestData.ints(c.get("token_type_ids")));
              Result r = session.runner().feed(in.inputIds(), ids).feed(in.inputMask(), mask)
                  .feed(in.segmentIds(), seg).fetch(logits).run()) {
            float[] all = TestData.floats((TFloat32) r.get(0));
            int vocab = config.vocabSize();
            for (JsonNode at : c.get("generator_logits")) {
              int offset = at.get("position").asInt() * vocab;
              int argmax = 0;
              double max = Double.NEGATIVE_INFINITY;
              for (int v = 0; v < vocab; v++) {
                if (all[offset + v] > max) {
                  max = all[offset + v];
                  argmax = v;
                }
              }
              double sum = 0;
              for (int v = 0; v < vocab; v++) {
                sum += Math.exp(all[offset + v] - max);
              }
              assertEquals(at.get("argmax").asInt(), argmax, "argmax at position " + at.get("position"));
              maxError = Math.max(maxError, Math.abs(max + Math.log(sum) - at.get("logsumexp").asDouble()));
              for (Iterator<Map.Entry<String, JsonNode>> it = at.get("logits_at").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                maxError = Math.max(maxError,
                    Math.abs(all[offset + Integer.parseInt(e.getKey())] - e.getValue().asDouble()));
                checked++;
              }
            }
          }
        }
        System.out.printf("tiny-generator: max |error| %.3g over %d logits and the log-sum-exps%n", maxError, checked);
        assertEquals(2 * 3 * 11, checked);
        assertTrue(maxError <= TOLERANCE, "max error " + maxError);
      }
    }
  }
}
