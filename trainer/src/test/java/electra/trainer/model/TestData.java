package electra.trainer.model;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The golden models in the shared reference folder, and tensor conversions the model tests share (the ONNX tests
 * too).
 */
public final class TestData {

  private TestData() {}

  /** {@code <electra.shared.dir>/golden/<name>}; the test is skipped, saying why, when it is not there. */
  public static Path golden(String name) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (the golden models live there)");
    Path dir = Path.of(shared, "golden", name);
    assumeTrue(Files.isRegularFile(dir.resolve("model.safetensors")),
        "skipped: golden model " + dir + " not found (electra.shared.dir=" + shared + ")");
    return dir;
  }

  public static JsonNode expected(Path goldenDir) throws IOException {
    return new ObjectMapper().readTree(goldenDir.resolve("expected.json").toFile());
  }

  public static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  /** A [rows.length, rows[0].length] int32 tensor. */
  static TInt32 matrix(int[]... rows) {
    int[] flat = new int[rows.length * rows[0].length];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * rows[0].length, rows[0].length);
    }
    return TInt32.tensorOf(Shape.of(rows.length, rows[0].length), DataBuffers.of(flat, true, false));
  }

  static float[] floats(TFloat32 t) {
    float[] out = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }
}
