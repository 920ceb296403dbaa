package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.ibm.icu.lang.UCharacter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a snippet under /usr/bin/python3, the ground truth for Python's behaviour; tests skip without it. */
final class PythonProcess {

  private static final Path PYTHON = Path.of("/usr/bin/python3");

  private PythonProcess() {}

  /** The snippet's stdout (UTF-8), given {@code stdin}; skips the test when there is no python3. */
  static String run(String code, String stdin) throws IOException, InterruptedException {
    assumeTrue(Files.isExecutable(PYTHON), "skipped: " + PYTHON + " not found; the Python ground truth needs it");
    Process process = new ProcessBuilder(PYTHON.toString(), "-c", code).start();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "python did not finish in 120 s");
    assertEquals(0, process.exitValue(), () -> "python failed: " + new String(err.join(), StandardCharsets.UTF_8));
    return new String(out.join(), StandardCharsets.UTF_8);
  }

  /** Skips the test unless Python's unicodedata has the Unicode version of ICU's tables here. */
  static void assumeSameUnicodeVersion() throws IOException, InterruptedException {
    String python = run("import unicodedata; print(unicodedata.unidata_version)", "").strip();
    String icu = UCharacter.getUnicodeVersion().toString();
    assumeTrue(icu.startsWith(python), "skipped: Python's unicodedata is Unicode " + python + " but ICU here is "
        + icu + "; the character tables would differ on newly assigned characters");
  }

  private static CompletableFuture<byte[]> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(() -> {
      try (stream; ByteArrayOutputStream bytes = new ByteArrayOutputStream()) {
        stream.transferTo(bytes);
        return bytes.toByteArray();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }
}
