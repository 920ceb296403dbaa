package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A job started by name in a JVM of its own, as ./electra starts it, with its output kept. */
final class JobProcess implements AutoCloseable {
  final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final Thread reader;

  private JobProcess(Process process) {
    this.process = process;
    reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        r.lines().forEach(lines::add);
      } catch (IOException | java.io.UncheckedIOException closed) {
        // the process ended
      }
    }, "child-output-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  static JobProcess start(String job, String... args) throws IOException {
    return start(List.of(), job, args);
  }

  /** Starts {@code job} in a JVM with {@code jvmOptions} besides this test's class path. */
  static JobProcess start(List<String> jvmOptions, String job, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
        .toString(), "-Xmx512m"));
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), "electra.launcher.Main", job));
    command.addAll(List.of(args));
    return new JobProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /** Waits for a line of output that {@code pattern} finds something in. */
  Matcher await(Pattern pattern) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
    while (true) {
      for (String line : lines) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m;
        }
      }
      assertTrue(process.isAlive(), "the process exited:\n" + output());
      assertTrue(System.nanoTime() < deadline, "no line matching " + pattern + ":\n" + output());
      Thread.sleep(100);
    }
  }

  String output() {
    return String.join("\n", lines);
  }

  /** Waits until the ended process's last lines have been read. */
  void awaitOutputEnd() throws InterruptedException {
    reader.join(10_000);
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
  }
}
