package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime in a JVM started with a command line longer than {@code ./electra}'s: its start used to kill such a
 * JVM with a segmentation fault (see {@code LargeStack.ONNX_RUNTIME_START}).
 */
class OnnxRuntimeStartTest {

  @Test
  void inferAnswersWithOnnxRuntimeInAJvmWithALongClassPath() throws Exception {
    Path export = TestModels.export();
    String classPath = System.getProperty("java.class.path") + File.pathSeparator + "/not-there/" + "x".repeat(40_000);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder = new ProcessBuilder(List.of(java, "-cp", classPath, InferMain.class.getName(),
        "--model=" + export, "--question=What food does Harry like?",
        "--context=My name is Harry and I grew up in Canada. I love apples.", "--engine=onnxruntime"))
        .redirectErrorStream(true);
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process infer = builder.start();
    String output = new String(infer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, infer.waitFor(), output);
    assertTrue(output.contains("start_char: "), output);
  }

  /** Infer in a JVM of its own. */
  public static final class InferMain {
    public static void main(String[] args) throws Exception {
      new Infer().run(args);
    }
  }
}
