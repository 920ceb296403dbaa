package electra.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportCheckTest {

  @TempDir
  Path dir;

  /** Outputs of a joint head over 1 x 2 windows, as an engine would hand them over. */
  private static HeadOutputs outputs(float startLogProb, int startIndex) {
    return new HeadOutputs() {
      @Override
      public float[] floats(String role) {
        return role.equals(ExportMetadata.START_TOP_LOG_PROBS) ? new float[] {startLogProb, -1000.5f}
            : new float[] {0.25f, Float.NEGATIVE_INFINITY};
      }

      @Override
      public int[] ints(String role) {
        return new int[] {startIndex, 1};
      }
    };
  }

  @Test
  void writtenAndReadBackItAcceptsRoundingAndRefusesOtherOutputs() throws Exception {
    List<String> names = List.of(ExportMetadata.START_TOP_LOG_PROBS, ExportMetadata.START_TOP_INDEX,
        ExportMetadata.ANSWERABLE_LOGIT);
    ExportCheck.of(1, 2, new int[] {101, 102}, new int[] {1, 1}, new int[] {0, 0}, names, outputs(-2.5f, 0), 1e-4)
        .write(dir);
    ExportCheck check = ExportCheck.read(dir).orElseThrow();
    assertEquals(1, check.rows());
    assertArrayEquals(new int[] {101, 102}, check.inputIds());
    assertArrayEquals(new int[] {0, 1}, check.indexOutputs().get(ExportMetadata.START_TOP_INDEX));
    assertArrayEquals(new float[] {0.25f, Float.NEGATIVE_INFINITY},
        check.outputs().get(ExportMetadata.ANSWERABLE_LOGIT), "infinities survive JSON");

    assertEquals("", check.differences(outputs(-2.5f, 0)));
    assertEquals("", check.differences(outputs(-2.50002f, 0)), "float rounding is within 1e-4");
    String other = check.differences(outputs(-2.6f, 0));
    assertTrue(other.startsWith(ExportMetadata.START_TOP_LOG_PROBS + " (2 values instead of 2, largest relative "
        + "difference 0.0399"), other);
    assertEquals(ExportMetadata.START_TOP_INDEX + " [1, 1] instead of [0, 1]", check.differences(outputs(-2.5f, 1)));
  }

  @Test
  void anExportWithoutACheckHasNoneAndABrokenOneIsRefused() throws Exception {
    assertTrue(ExportCheck.read(dir).isEmpty());
    Files.writeString(dir.resolve(ExportCheck.FILE), "{\"rows\": 2, \"length\": 3, \"input_ids\": [1]}");
    IOException e = assertThrows(IOException.class, () -> ExportCheck.read(dir));
    assertTrue(e.getMessage().startsWith(dir.resolve(ExportCheck.FILE) + ": a check of 2 x 3 needs"), e.getMessage());
  }
}
