package electra.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportMetadataTest {

  @TempDir
  Path dir;

  @Test
  void bothHeadsRoundTripThroughExportJson() throws IOException {
    AnswerDecoder.Options v2 = new AnswerDecoder.Options(20, 12, SquadVersion.V2_0, -1.5);
    for (QaHead head : QaHead.values()) {
      ExportMetadata written = ExportMetadata.standard(head, 4, new QaFeaturizer.Options(128, 32, 16), true, 100,
          v2, "abc123", 30522, "ckpt-7");
      written.write(dir);
      ExportMetadata read = ExportMetadata.read(dir);
      assertEquals(written, read);
      assertEquals(head == QaHead.JOINT ? 4 : 0, read.beamSize());
      assertEquals(Set.copyOf(head.outputRoles()), read.outputs().keySet());
      assertTrue(read.version2WithNegative());
      assertEquals(ExportMetadata.ONNX_FILE, read.onnxFile());
    }
  }

  @Test
  void aVersionOneFileReadsAsSquad11WithTheDecodersDefaults() throws IOException {
    Files.writeString(dir.resolve(ExportMetadata.FILE), """
        {"format_version": 1, "head": "simple", "signature": "serving_default",
         "inputs": {"input_ids": "ids", "input_mask": "mask", "segment_ids": "seg"},
         "outputs": {"start_logits": "s", "end_logits": "e"},
         "max_seq_length": 384, "doc_stride": 128, "max_query_length": 64, "do_lower_case": true,
         "vocab_file": "vocab.txt", "vocab_fingerprint": "f"}
        """);
    ExportMetadata m = ExportMetadata.read(dir);
    assertEquals(AnswerDecoder.Options.defaults(SquadVersion.V1_1), m.decoding());
    assertFalse(m.version2WithNegative());
    assertEquals("ids", m.inputs().get(ExportMetadata.INPUT_IDS));
    assertEquals(100, m.maxInputCharsPerWord());
    assertNull(m.onnxFile(), "exports from before model.onnx have none");
  }

  @Test
  void newerFormatsMissingKeysAndHeadsWithoutTheirOutputsAreRefused() throws IOException {
    Files.writeString(dir.resolve(ExportMetadata.FILE), "{\"format_version\": 99}");
    IOException missing = assertThrows(IOException.class, () -> ExportMetadata.read(dir));
    assertTrue(missing.getMessage().contains("lacks head, signature, inputs"), missing.getMessage());

    ExportMetadata.standard(QaHead.SIMPLE, 0, QaFeaturizer.Options.DEFAULTS, true, 100,
        AnswerDecoder.Options.defaults(SquadVersion.V1_1), "f", 10, "x").write(dir);
    String json = Files.readString(dir.resolve(ExportMetadata.FILE));
    Files.writeString(dir.resolve(ExportMetadata.FILE), json.replace("\"format_version\" : 2", "\"format_version\" : 3"));
    IOException newer = assertThrows(IOException.class, () -> ExportMetadata.read(dir));
    assertTrue(newer.getMessage().contains("format_version 3; this build reads up to 2"), newer.getMessage());

    Files.writeString(dir.resolve(ExportMetadata.FILE), json.replace("\"simple\"", "\"joint\""));
    IOException joint = assertThrows(IOException.class, () -> ExportMetadata.read(dir));
    assertTrue(joint.getMessage().contains("joint head lacks the output start_top_log_probs"), joint.getMessage());

    assertThrows(IOException.class, () -> ExportMetadata.read(dir.resolve("nothing-here")));
  }

  @Test
  void simpleOutputsAreSplitIntoWindowsAndPaddedWithMinusInfinity() {
    float[] start = {1, 2, 3, 4, 5, 6};
    float[] end = {6, 5, 4, 3, 2, 1};
    HeadOutputs outputs = arrays(Map.of(ExportMetadata.START_LOGITS, start, ExportMetadata.END_LOGITS, end),
        Map.of());
    List<AnswerDecoder.WindowOutput> windows = HeadOutputs.windows(QaHead.SIMPLE, outputs, 2, 4);
    AnswerDecoder.WindowLogits second = (AnswerDecoder.WindowLogits) windows.get(1);
    float inf = Float.NEGATIVE_INFINITY;
    assertArrayEquals(new float[] {4, 5, 6, inf}, second.startLogits());
    assertArrayEquals(new float[] {3, 2, 1, inf}, second.endLogits());
  }

  @Test
  void jointOutputsBecomeOneBeamPerWindow() {
    int k = 2;
    HeadOutputs outputs = arrays(Map.of(
            ExportMetadata.START_TOP_LOG_PROBS, new float[] {-0.1f, -0.2f, -0.3f, -0.4f},
            ExportMetadata.END_TOP_LOG_PROBS, new float[] {-1, -2, -3, -4, -5, -6, -7, -8},
            ExportMetadata.ANSWERABLE_LOGIT, new float[] {0.5f, -0.5f}),
        Map.of(ExportMetadata.START_TOP_INDEX, new int[] {3, 1, 7, 6},
            ExportMetadata.END_TOP_INDEX, new int[] {4, 5, 2, 3, 8, 9, 7, 8}));
    List<AnswerDecoder.WindowOutput> windows = HeadOutputs.windows(QaHead.JOINT, outputs, 2, 16);
    AnswerDecoder.WindowBeams second = (AnswerDecoder.WindowBeams) windows.get(1);
    assertArrayEquals(new int[] {7, 6}, second.startIndex());
    assertArrayEquals(new float[] {-0.3f, -0.4f}, second.startLogProb());
    assertEquals(k, second.endIndex().length);
    assertArrayEquals(new int[] {8, 9}, second.endIndex()[0]);
    assertArrayEquals(new float[] {-7, -8}, second.endLogProb()[1]);
    assertEquals(-0.5, second.answerableLogit(), 1e-7);
  }

  private static HeadOutputs arrays(Map<String, float[]> floats, Map<String, int[]> ints) {
    return new HeadOutputs() {
      @Override
      public float[] floats(String role) {
        return floats.get(role);
      }

      @Override
      public int[] ints(String role) {
        return ints.get(role);
      }
    };
  }
}
