package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.model.ElectraConfig;
import electra.trainer.model.HostArrays;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Safetensors;
import electra.trainer.model.Tower;
import electra.trainer.model.WeightNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The pre-training objective against the independent PyTorch peer ({@code ElectraPretrainer} of
 * {@code ../shared/peers/torch_electra.py}): same weights, one batch, the masking choices and the sampled tokens fixed
 * (the peer's Gumbel-max draws, fed as this graph's draws; {@link SamplingTest} checks the sampler by its
 * distribution); the masked input, the discriminator's input, the replaced-token labels, the three losses and the
 * gradient of every variable must be the peer's. The expected values and weights in
 * {@code src/test/resources/objective-parity/} were written by the peer ({@code make_expected.py}, see its README).
 */
class PretrainingObjectiveParityTest {

  private static final Path DIR = resource("objective-parity");
  private static final Masking.SpecialIds SPECIAL = new Masking.SpecialIds(101, 102, 103, 0);

  private static JsonNode expected;
  private static int batch;
  private static int length;
  private static int slots;

  @BeforeAll
  static void readExpected() throws Exception {
    expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    batch = expected.get("input_ids").size();
    length = expected.get("input_ids").get(0).size();
    slots = expected.get("max_predictions").asInt();
  }

  @Test
  void maskingWithTheFixedChoicesGivesThePeersMaskedInput() {
    MaskedBatch m = fixedMasking();
    assertArrayEquals(flatInts(expected.get("masked_input_ids")), m.maskedInputIds());
    assertArrayEquals(flatInts(expected.get("masked_lm_positions")), m.maskedLmPositions());
    assertArrayEquals(flatInts(expected.get("masked_lm_ids")), m.maskedLmIds());
    int[] weights = flatInts(expected.get("masked_lm_weights"));
    for (int i = 0; i < weights.length; i++) {
      assertEquals(weights[i], m.maskedLmWeights()[i], "weight of slot " + i);
    }
  }

  @Test
  void lossesSampledTokensLabelsAndEveryGradientAreThePeers() throws Exception {
    ElectraConfig disc = HuggingFaceWeights.readConfig(DIR.resolve("discriminator"));
    ElectraConfig gen = HuggingFaceWeights.readConfig(DIR.resolve("generator"));
    MaskedBatch m = fixedMasking();
    try (Graph graph = new Graph(); Session session = new Session(graph);
        Safetensors peer = Safetensors.open(DIR.resolve("expected.safetensors"))) {
      ModelGraph g = ModelGraph.training(graph, 1);
      PretrainingObjective objective = new PretrainingObjective(g, disc, gen,
          expected.get("gen_weight").asDouble(), expected.get("disc_weight").asDouble(),
          expected.get("temperature").asDouble());
      List<ModelGraph.Parameter> params = g.parameters();
      Output<?>[] gradients = graph.addGradients(objective.outputs().total().asOutput(),
          params.stream().map(p -> p.variable().asOutput()).toArray(Output<?>[]::new));
      HuggingFaceWeights.load(DIR.resolve("generator"), Tower.GENERATOR, gen, g, session,
          HuggingFaceWeights.Match.EXACT, true);
      HuggingFaceWeights.load(DIR.resolve("discriminator"), Tower.DISCRIMINATOR, disc, g, session,
          HuggingFaceWeights.Match.EXACT, false);

      PretrainingObjective.Feeds f = objective.feeds();
      Shape tokens = Shape.of(batch, length);
      Shape slotShape = Shape.of(batch, slots);
      try (TInt32 ids = ints(tokens, m.maskedInputIds()); TInt32 mask = ints(tokens, m.inputMask());
          TInt32 seg = ints(tokens, m.segmentIds()); TInt32 pos = ints(slotShape, m.maskedLmPositions());
          TInt32 lmIds = ints(slotShape, m.maskedLmIds());
          TFloat32 lmWeights = TFloat32.tensorOf(slotShape, DataBuffers.of(m.maskedLmWeights(), true, false));
          TInt32 draws = ints(Shape.of(batch * slots), peerDraws());
          TBool noDropout = TBool.scalarOf(false)) {
        Session.Runner run = session.runner()
            .feed(f.inputs().inputIds(), ids).feed(f.inputs().inputMask(), mask)
            .feed(f.inputs().segmentIds(), seg).feed(f.maskedLmPositions(), pos).feed(f.maskedLmIds(), lmIds)
            .feed(f.maskedLmWeights(), lmWeights).feed(objective.sampledTokens(), draws)
            .feed(g.dropoutOn(), noDropout);
        PretrainingObjective.Outputs out = objective.outputs();
        List<Operand<?>> fetches = List.of(out.total(), out.mlmLoss(), out.discLoss(), out.discLabels(),
            objective.discriminatorInput());
        fetches.forEach(run::fetch);
        for (Output<?> gradient : gradients) {
          run.fetch(gradient);
        }
        try (Result r = run.run()) {
          assertClose(expected.get("total_loss").asDouble(), scalar(r, 0), 1e-5, "total loss");
          assertClose(expected.get("masked_lm_loss").asDouble(), scalar(r, 1), 1e-5, "MLM loss");
          assertClose(expected.get("disc_loss").asDouble(), scalar(r, 2), 1e-5, "discriminator loss");
          int[] labels = flatInts(expected.get("labels"));
          float[] ourLabels = HostArrays.floats((TFloat32) r.get(3));
          for (int i = 0; i < labels.length; i++) {
            assertEquals(labels[i], ourLabels[i], "replaced-token label of token " + i);
          }
          int[] discriminatorInput = HostArrays.ints((TInt32) r.get(4));
          assertArrayEquals(flatInts(expected.get("discriminator_input_ids")), discriminatorInput,
              "the sampled tokens written into the discriminator's input");
          assertASampledOriginalIsLabelledReal(discriminatorInput, ourLabels);

          List<float[]> wanted = new ArrayList<>();
          Set<String> compared = new HashSet<>();
          float largest = 0;
          for (ModelGraph.Parameter p : params) {
            String name = peerName(p.name());
            HostTensor want = peer.read("grad/" + name.substring(0, name.indexOf('|')));
            wanted.add((name.endsWith("|T") ? want.transposed() : want).values());
            compared.add(name.substring(0, name.indexOf('|')));
            for (float v : wanted.get(wanted.size() - 1)) {
              largest = Math.max(largest, Math.abs(v));
            }
          }
          assertTrue(largest > 0, "the peer's gradients are all zero: nothing is compared");
          for (int i = 0; i < params.size(); i++) {
            assertGradient(wanted.get(i), HostArrays.floats((TFloat32) r.get(fetches.size() + i)),
                params.get(i).name(), 1e-6f * largest);
          }
          List<String> unmatched = new ArrayList<>();
          for (String n : peer.names()) {
            if (n.startsWith("grad/") && !compared.contains(n.substring(5))) {
              unmatched.add(n);
            }
          }
          assertEquals(List.of(), unmatched, "peer parameters without a variable here");
        }
      }
    }
  }

  /** The slot where the peer drew the original token: the discriminator sees it unchanged, labelled real. */
  private static void assertASampledOriginalIsLabelledReal(int[] discriminatorInput, float[] labels) {
    int row = expected.get("samples_original").get(0).asInt();
    int slot = expected.get("samples_original").get(1).asInt();
    int position = expected.get("masked_lm_positions").get(row).get(slot).asInt();
    int original = expected.get("input_ids").get(row).get(position).asInt();
    int masked = expected.get("masked_input_ids").get(row).get(position).asInt();
    assertEquals(SPECIAL.mask(), masked, "the slot shows [MASK] to the generator");
    assertEquals(original, discriminatorInput[row * length + position], "the generator drew the original token");
    assertEquals(0f, labels[row * length + position], "a drawn original is labelled real");
  }

  /** The peer's draw for every slot [B*N]: its discriminator input at the slot's position (0 at an unused slot). */
  private static int[] peerDraws() {
    int[] draws = new int[batch * slots];
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < slots; i++) {
        if (expected.get("masked_lm_weights").get(b).get(i).asInt() != 0) {
          int position = expected.get("masked_lm_positions").get(b).get(i).asInt();
          draws[b * slots + i] = expected.get("discriminator_input_ids").get(b).get(position).asInt();
        }
      }
    }
    return draws;
  }

  /** The masking of the fixed batch, with random draws scripted to choose the expected positions and [MASK]/keep. */
  private static MaskedBatch fixedMasking() {
    int[] ids = flatInts(expected.get("input_ids"));
    int[] mask = flatInts(expected.get("input_mask"));
    List<Integer> indexDraws = new ArrayList<>();
    List<Double> maskDraws = new ArrayList<>();
    for (int b = 0; b < batch; b++) {
      List<Integer> candidates = new ArrayList<>();
      for (int t = 0; t < length; t++) {
        int id = ids[b * length + t];
        if (mask[b * length + t] == 1 && id != SPECIAL.cls() && id != SPECIAL.sep() && id != SPECIAL.mask()) {
          candidates.add(t);
        }
      }
      for (int i = 0; i < slots; i++) {
        if (expected.get("masked_lm_weights").get(b).get(i).asInt() == 0) {
          continue;
        }
        int position = expected.get("masked_lm_positions").get(b).get(i).asInt();
        int j = candidates.indexOf(position); // Masking's partial Fisher-Yates swaps as this list does
        indexDraws.add(j - i);
        candidates.set(j, candidates.get(i));
        candidates.set(i, position);
        maskDraws.add(expected.get("show_mask").get(b).get(i).asBoolean() ? 0.0 : 0.99);
      }
    }
    RandomGenerator scripted = new RandomGenerator() {
      int nextIndex;
      int nextMask;

      @Override
      public long nextLong() {
        throw new UnsupportedOperationException("Masking draws only ints below a bound and doubles");
      }

      @Override
      public int nextInt(int bound) {
        return indexDraws.get(nextIndex++);
      }

      @Override
      public double nextDouble() {
        return maskDraws.get(nextMask++);
      }
    };
    MaskedBatch m = Masking.mask(ids, mask, flatInts(expected.get("segment_ids")), batch, length, slots,
        expected.get("mask_prob").asDouble(), SPECIAL, scripted);
    return m;
  }

  /**
   * The peer's parameter name of a variable ({@code discriminator.} or {@code generator.} and the Hugging Face name),
   * with {@code |T} when the peer stores it transposed and {@code |} otherwise. The shared embeddings are the
   * discriminator's in the peer.
   */
  private static String peerName(String variable) {
    Optional<WeightNames.HfName> disc = WeightNames.toHuggingFace(variable, Tower.DISCRIMINATOR);
    WeightNames.HfName hf = disc.orElseGet(() -> WeightNames.toHuggingFace(variable, Tower.GENERATOR).orElseThrow());
    return (disc.isPresent() ? "discriminator." : "generator.") + hf.name() + (hf.transposed() ? "|T" : "|");
  }

  /**
   * Each element within 1e-4 of the peer's, relative to the largest magnitude of that gradient, plus {@code floor}
   * (a millionth of the largest gradient of all): a gradient that is zero in exact arithmetic, such as that of the
   * attention keys' bias (a constant added to every score of a row, which softmax ignores), is float noise of
   * 1e-9 on both sides and cannot agree relatively.
   */
  private static void assertGradient(float[] want, float[] got, String variable, float floor) {
    assertEquals(want.length, got.length, variable);
    float scale = 0;
    for (float w : want) {
      scale = Math.max(scale, Math.abs(w));
    }
    for (int i = 0; i < want.length; i++) {
      if (Math.abs(want[i] - got[i]) > 1e-4 * scale + floor) {
        throw new AssertionError("gradient of " + variable + "[" + i + "]: peer " + want[i] + ", here " + got[i]
            + " (largest magnitude " + scale + ")");
      }
    }
  }

  private static void assertClose(double want, double got, double relative, String what) {
    assertTrue(Math.abs(want - got) <= relative * Math.abs(want), what + ": peer " + want + ", here " + got);
  }

  private static double scalar(Result r, int i) {
    return ((TFloat32) r.get(i)).getFloat();
  }

  private static TInt32 ints(Shape shape, int[] values) {
    return HostArrays.tensor(shape, values);
  }

  private static int[] flatInts(JsonNode rows) {
    List<Integer> out = new ArrayList<>();
    rows.forEach(row -> row.forEach(v -> out.add(v.asInt())));
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static Path resource(String name) {
    try {
      return Path.of(PretrainingObjectiveParityTest.class.getResource("/" + name).toURI());
    } catch (Exception e) {
      throw new IllegalStateException("test resource " + name + " not found", e);
    }
  }
}
