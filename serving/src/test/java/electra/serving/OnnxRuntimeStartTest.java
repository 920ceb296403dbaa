package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ONNX Runtime's start in a JVM of its own ({@code OnnxRuntimeStart}): with a command line longer than
 * {@code ./electra}'s, which used to kill the JVM with a segmentation fault (see
 * {@code LargeStack.ONNX_RUNTIME_START}), and without leaving its native libraries in the temporary folder.
 */
class OnnxRuntimeStartTest {

  @Test
  void inferAnswersWithOnnxRuntimeInAJvmWithALongClassPath() throws Exception {
    String classPath = System.getProperty("java.class.path") + File.pathSeparator + "/not-there/" + "x".repeat(40_000);
    String output = infer(List.of("-cp", classPath));
    assertTrue(output.contains("start_char: "), output);
  }

  @Test
  void aRunWithOnnxRuntimeLeavesNothingInTheTemporaryFolder(@TempDir Path tmp) throws Exception {
    String output = infer(List.of("-cp", System.getProperty("java.class.path"), "-Djava.io.tmpdir=" + tmp));
    assertTrue(output.contains("start_char: "), output);
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList(), output);
    }
  }

  /** Infer's output for the Harry question with engine onnxruntime, run in a JVM started with {@code jvmFlags}. */
  private static String infer(List<String> jvmFlags) throws Exception {
    Path export = TestModels.export();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(List.of(InferMain.class.getName(), "--model=" + export, "--question=What food does Harry like?",
        "--context=My name is Harry and I grew up in Canada. I love apples.", "--engine=onnxruntime"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process infer = builder.start();
    String output = new String(infer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, infer.waitFor(), output);
    return output;
  }

  /** Infer in a JVM of its own. */
  public static final class InferMain {
    public static void main(String[] args) throws Exception {
      new Infer().run(args);
    }
  }
}
