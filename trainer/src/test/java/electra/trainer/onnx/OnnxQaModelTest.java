package electra.trainer.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.trainer.onnx.proto.Model;
import electra.trainer.onnx.proto.ValueInfo;
import electra.trainer.finetune.Batch;
import electra.trainer.finetune.QaGraph;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.TestData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The ONNX model ExportModel writes, run in ONNX Runtime, against the golden reference and the TensorFlow graph. */
class OnnxQaModelTest {

  private static final double TOLERANCE = 1e-4;

  @Test
  void goldenModelGivesTheReferenceLogitsAtEveryPosition() throws Exception {
    Path golden = TestData.golden("tiny-discriminator-qa");
    JsonNode cases = TestData.expected(golden).get("cases");
    List<Batch.Window> windows = new ArrayList<>();
    for (JsonNode c : cases) {
      windows.add(new Batch.Window(TestData.ints(c.get("input_ids")), TestData.ints(c.get("attention_mask")),
          TestData.ints(c.get("token_type_ids")), 0, 0, false));
    }
    Batch batch = Batch.of(windows);
    try (QaGraph graph = new QaGraph(HuggingFaceWeights.readConfig(golden), QaHead.SIMPLE, 0, null, null)) {
      graph.loadHuggingFace(golden);
      Model model = OnnxQaModel.of(graph.config(), QaHead.SIMPLE, 0, graph::weight);
      assertEquals(17, model.getOpsetImport(0).getVersion());
      assertEquals(List.of(ExportMetadata.INPUT_IDS, ExportMetadata.INPUT_MASK, ExportMetadata.SEGMENT_IDS),
          model.getGraph().getInputList().stream().map(ValueInfo::getName).toList());
      assertEquals(QaHead.SIMPLE.outputRoles(),
          model.getGraph().getOutputList().stream().map(ValueInfo::getName).toList());
      try (OnnxRuntimeSession onnx = new OnnxRuntimeSession(model, 1)) {
        for (String role : QaHead.SIMPLE.outputRoles()) {
          float[] actual = run(onnx, batch, outputs -> outputs.floats(role));
          float[] expected = new float[actual.length];
          for (int c = 0; c < cases.size(); c++) {
            float[] row = floats(cases.get(c).get(role));
            System.arraycopy(row, 0, expected, c * batch.length(), row.length);
          }
          assertEquals(cases.size() * batch.length(), actual.length);
          assertClose(expected, actual, role + " against the reference");
          float[] tensorflow = graph.run(batch, output -> QaGraph.headOutputs(output).floats(role));
          assertClose(tensorflow, actual, role + " against TensorFlow");
        }
      }
    }
  }

  /** The joint head's beams: the same starts and ends, in the same order, with the same log-probabilities. */
  @Test
  void jointHeadGivesTheGraphsBeams() {
    ElectraConfig config = new ElectraConfig(ElectraConfig.BERT_VOCAB_SIZE, 64, 128, 2, 4, 256, "gelu", 0, 0, 512,
        2, 0.02, 1e-12);
    int beam = 4;
    Batch batch = randomBatch(3, 40, 11);
    try (QaGraph graph = new QaGraph(config, QaHead.JOINT, beam, null, null)) {
      graph.initialize();
      try (OnnxRuntimeSession onnx = new OnnxRuntimeSession(OnnxQaModel.of(config, QaHead.JOINT, beam, graph::weight),
          1)) {
        graph.run(batch, output -> run(onnx, batch, actual -> {
          HeadOutputs expected = QaGraph.headOutputs(output);
          for (String role : QaHead.JOINT.outputRoles()) {
            if (ExportMetadata.INDEX_OUTPUTS.contains(role)) {
              assertArrayEquals(expected.ints(role), actual.ints(role), role);
            } else {
              assertClose(expected.floats(role), actual.floats(role), role);
            }
          }
          assertEquals(3 * beam * beam, actual.ints(ExportMetadata.END_TOP_INDEX).length);
          return null;
        }));
      }
    }
  }

  private static <T> T run(OnnxRuntimeSession onnx, Batch b, Function<HeadOutputs, T> read) {
    return onnx.run(b.size(), b.length(), b.inputIds(), b.inputMask(), b.segmentIds(), read);
  }

  /** [CLS] question [SEP] context [SEP] padding, of random word ids; rows end at different lengths. */
  private static Batch randomBatch(int rows, int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Batch.Window> windows = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int used = length - 3 * r;
      int question = 8;
      int[] ids = new int[length];
      int[] mask = new int[length];
      int[] segments = new int[length];
      for (int t = 0; t < used; t++) {
        ids[t] = t == 0 ? 101 : t == question || t == used - 1 ? 102 : 1996 + random.nextInt(28000);
        mask[t] = 1;
        segments[t] = t > question ? 1 : 0;
      }
      windows.add(new Batch.Window(ids, mask, segments, 0, 0, false));
    }
    return Batch.of(windows);
  }

  private static void assertClose(float[] expected, float[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
    }
    System.out.printf("%s: max |difference| %.3g over %d values%n", what, worst, expected.length);
    assertTrue(worst <= TOLERANCE, what + ": max difference " + worst + "; first values " + Arrays.toString(
        Arrays.copyOf(actual, 4)) + " instead of " + Arrays.toString(Arrays.copyOf(expected, 4)));
  }

  private static float[] floats(JsonNode values) {
    float[] out = new float[values.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) values.get(i).asDouble();
    }
    return out;
  }
}
