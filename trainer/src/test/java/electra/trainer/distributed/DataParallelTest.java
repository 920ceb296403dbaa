package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two worker processes on loopback, each with a TensorFlow gRPC server, train the tiny model with collective
 * all-reduce; a single process with the same global batch (gradient accumulation over the same micro-batches,
 * same seeds) is the reference. See {@link ReplicaMain}.
 */
@Timeout(300)
class DataParallelTest {

  private static final Pattern STEP = Pattern.compile("STEP (\\d+) loss=([0-9a-f]+) crc=([0-9a-f]+) ms=(\\d+)");

  @TempDir
  static Path dir;

  @BeforeAll
  static void config() throws IOException {
    Files.writeString(dir.resolve("tiny_config.json"), """
        {"vocab_size": 30522, "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128}
        """);
  }

  /** A running child JVM and the lines it printed. */
  static final class Child {
    final Process process;
    final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    final Thread reader;

    Child(String... args) throws IOException {
      this(false, args);
    }

    /** @param mainGiven the first argument is the main class (else {@link ReplicaMain}) */
    Child(boolean mainGiven, String... args) throws IOException {
      List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path")));
      if (!mainGiven) {
        cmd.add(ReplicaMain.class.getName());
      }
      cmd.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
      pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
      process = pb.start();
      reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          String line;
          while ((line = r.readLine()) != null) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("read failed: " + e);
        }
      });
      reader.setDaemon(true);
      reader.start();
    }

    int await(long seconds) throws Exception {
      assertTrue(process.waitFor(seconds, TimeUnit.SECONDS), "child still running: " + output());
      reader.join(5000);
      return process.exitValue();
    }

    String output() {
      synchronized (lines) {
        return String.join("\n", lines);
      }
    }

    List<String[]> steps() {
      List<String[]> out = new ArrayList<>();
      synchronized (lines) {
        for (String l : lines) {
          Matcher m = STEP.matcher(l);
          if (m.matches()) {
            out.add(new String[] {m.group(1), m.group(2), m.group(3), m.group(4)});
          }
        }
      }
      return out;
    }

    boolean printed(String prefix) {
      synchronized (lines) {
        return lines.stream().anyMatch(l -> l.startsWith(prefix));
      }
    }
  }

  static String freeWorkers(int n) throws IOException {
    List<String> out = new ArrayList<>();
    List<ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket(0);
        held.add(s);
        out.add("localhost:" + s.getLocalPort());
      }
    } finally {
      for (ServerSocket s : held) {
        s.close();
      }
    }
    return String.join(",", out);
  }

  private static float loss(String[] step) {
    return Float.intBitsToFloat((int) Long.parseLong(step[1], 16));
  }

  @Test
  void twoWorkersMatchOneProcessWithTheSameGlobalBatch() throws Exception {
    int steps = 5;
    String workers = freeWorkers(2);
    Child w0 = new Child("worker", dir.toString(), String.valueOf(steps), workers, "0", "60000");
    Child w1 = new Child("worker", dir.toString(), String.valueOf(steps), workers, "1", "60000");
    Child ref = new Child("reference", dir.toString(), String.valueOf(steps), "2"); // 2 micro-batches per step
    assertEquals(0, w0.await(240), w0.output());
    assertEquals(0, w1.await(30), w1.output());
    assertEquals(0, ref.await(240), ref.output());

    List<String[]> s0 = w0.steps();
    List<String[]> s1 = w1.steps();
    List<String[]> sr = ref.steps();
    assertEquals(steps, s0.size(), w0.output());
    assertEquals(steps, s1.size(), w1.output());
    assertEquals(steps, sr.size(), ref.output());
    assertTrue(w0.output().contains("GATHERED [0, 0, 100, 0, 3, 7, 0, 0, 1, 101, 1, 4, 7, 1]"),
        "data positions and stop flags of both tasks: "
        + w0.output());
    double maxRel = 0;
    for (int s = 0; s < steps; s++) {
      assertEquals(s0.get(s)[2], s1.get(s)[2], "step " + s + ": both workers hold identical weights (crc)");
      assertEquals(s0.get(s)[1], s1.get(s)[1], "step " + s + ": both report the all-reduced loss");
      float expected = loss(sr.get(s));
      float got = loss(s0.get(s));
      maxRel = Math.max(maxRel, Math.abs(got - expected) / Math.abs(expected));
      assertEquals(expected, got, 1e-5 * Math.abs(expected), "step " + s + " loss vs one process");
    }
    Map<String, float[]> a = read(dir.resolve("weights-0.bin"));
    Map<String, float[]> b = read(dir.resolve("weights-1.bin"));
    Map<String, float[]> r = read(dir.resolve("weights-reference.bin"));
    assertEquals(r.keySet(), a.keySet());
    double maxDiff = 0;
    for (String name : r.keySet()) {
      float[] x = a.get(name);
      float[] y = b.get(name);
      float[] z = r.get(name);
      for (int i = 0; i < z.length; i++) {
        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(y[i]), name + "[" + i + "]");
        maxDiff = Math.max(maxDiff, Math.abs(x[i] - z[i]));
      }
    }
    assertTrue(maxDiff < 1e-5, "weights after " + steps + " steps vs one process: max |diff| " + maxDiff);
    System.out.printf("data parallel: losses max rel diff %.2e, weights max |diff| %.2e vs one process; "
        + "step ms (after the first) 2 workers %s, one process (2 micro-batches) %s%n", maxRel, maxDiff,
        times(s0), times(sr));
  }

  /** The one-process reference with 16 micro-batches per step, run once for the tests with 2 workers × 8. */
  private static Child reference16;

  private static synchronized Child reference16() throws IOException {
    if (reference16 == null) {
      reference16 = new Child("reference", folder("reference16").toString(), String.valueOf(ACCUMULATED_STEPS), "16");
    }
    return reference16;
  }

  private static final int ACCUMULATED_STEPS = 3;

  /** A folder of its own (weights files) with the tiny model's config. */
  private static Path folder(String name) throws IOException {
    Path d = Files.createDirectories(dir.resolve(name));
    if (!Files.exists(d.resolve("tiny_config.json"))) {
      Files.copy(dir.resolve("tiny_config.json"), d.resolve("tiny_config.json"));
    }
    return d;
  }

  /** Two workers with 8 accumulation steps each, the collectives of every micro-step recorded. */
  private static List<Child> workersAccumulating8(Path folder, String... options) throws Exception {
    String workers = freeWorkers(2);
    List<Child> out = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      List<String> a = new ArrayList<>(List.of("worker", folder.toString(), String.valueOf(ACCUMULATED_STEPS),
          workers, String.valueOf(t), "60000", "8", "count"));
      a.addAll(List.of(options));
      out.add(new Child(a.toArray(String[]::new)));
    }
    for (Child w : out) {
      assertEquals(0, w.await(240), w.output());
      assertEquals(ACCUMULATED_STEPS, w.steps().size(), w.output());
    }
    return out;
  }

  /** The collectives each optimizer step ran, from the COLLECTIVES lines. */
  private static List<String> collectives(Child worker) {
    synchronized (worker.lines) {
      return worker.lines.stream().filter(l -> l.startsWith("COLLECTIVES ")).toList();
    }
  }

  @Test
  void accumulationAllReducesOncePerOptimizerStepAndMatchesOneProcess() throws Exception {
    Child ref = reference16();
    List<Child> w = workersAccumulating8(folder("fp32x8"));
    assertEquals(0, ref.await(240), ref.output());
    for (Child worker : w) {
      List<String> lines = collectives(worker);
      assertEquals(ACCUMULATED_STEPS, lines.size(), worker.output());
      for (int s = 0; s < ACCUMULATED_STEPS; s++) {
        // 8 micro-steps: 7 only accumulate, the applying one all-reduces gradients and scalars together once and
        // gathers the data positions once (before: 8 x (gradients, scalars, positions))
        assertEquals("COLLECTIVES " + s + " [CollectiveReduce:DT_FLOAT, CollectiveGather:DT_INT64]",
            lines.get(s).replace("[CollectiveGather:DT_INT64, CollectiveReduce:DT_FLOAT]",
                "[CollectiveReduce:DT_FLOAT, CollectiveGather:DT_INT64]"), worker.output());
      }
    }
    List<String[]> s0 = w.get(0).steps();
    List<String[]> s1 = w.get(1).steps();
    List<String[]> sr = ref.steps();
    for (int s = 0; s < ACCUMULATED_STEPS; s++) {
      assertEquals(s0.get(s)[2], s1.get(s)[2], "step " + s + ": both workers hold identical weights (crc)");
      assertEquals(s0.get(s)[1], s1.get(s)[1], "step " + s + ": both report the all-reduced loss");
      float expected = loss(sr.get(s));
      assertEquals(expected, loss(s0.get(s)), 1e-5 * Math.abs(expected), "step " + s + " loss vs one process");
    }
    double maxDiff = maxDiff(read(folder("fp32x8").resolve("weights-0.bin")),
        read(folder("reference16").resolve("weights-reference.bin")));
    assertTrue(maxDiff < 1e-5, "weights vs one process with 16 micro-batches: max |diff| " + maxDiff);
    System.out.printf("2 workers x 8 accumulation vs one process x 16: weights max |diff| %.2e; step ms (after "
        + "the first, recording collectives) %s%n", maxDiff, times(s0));
  }

  @Test
  void fp16CompressionTrainsCloseToFp32() throws Exception {
    Child ref = reference16();
    List<Child> w = workersAccumulating8(folder("fp16x8"), "fp16");
    assertEquals(0, ref.await(240), ref.output());
    for (String line : collectives(w.get(0))) {
      assertTrue(line.contains("CollectiveReduce:DT_HALF") && !line.contains("CollectiveReduce:DT_FLOAT"),
          "the gradients travel in fp16: " + line);
    }
    List<String[]> s0 = w.get(0).steps();
    List<String[]> sr = ref.steps();
    double maxRel = 0;
    for (int s = 0; s < ACCUMULATED_STEPS; s++) {
      assertEquals(s0.get(s)[2], w.get(1).steps().get(s)[2], "step " + s + ": both workers hold identical weights");
      float expected = loss(sr.get(s));
      float got = loss(s0.get(s));
      maxRel = Math.max(maxRel, Math.abs(got - expected) / Math.abs(expected));
    }
    double maxDiff = maxDiff(read(folder("fp16x8").resolve("weights-0.bin")),
        read(folder("reference16").resolve("weights-reference.bin")));
    System.out.printf("fp16 compression vs fp32 one process: losses max rel diff %.2e, weights max |diff| %.2e%n",
        maxRel, maxDiff);
    // fp16 keeps ~3 digits of each averaged gradient (and of the reported losses); the updates move by ~1e-3
    assertTrue(maxRel < 2e-3, "losses with fp16 compression vs fp32: max rel diff " + maxRel);
    assertTrue(maxDiff > 0 && maxDiff < 1e-3, "weights with fp16 compression vs fp32: max |diff| " + maxDiff);
  }

  private static double maxDiff(Map<String, float[]> a, Map<String, float[]> b) {
    assertEquals(b.keySet(), a.keySet());
    double max = 0;
    for (String name : b.keySet()) {
      float[] x = a.get(name);
      float[] y = b.get(name);
      for (int i = 0; i < y.length; i++) {
        max = Math.max(max, Math.abs(x[i] - y[i]));
      }
    }
    return max;
  }

  @Test
  void deadPeerFailsTheOtherFast() throws Exception {
    String workers = freeWorkers(2);
    long timeoutMs = 5000;
    Child w0 = new Child("worker", dir.toString(), "100000", workers, "0", String.valueOf(timeoutMs));
    Child w1 = new Child("worker", dir.toString(), "100000", workers, "1", String.valueOf(timeoutMs));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
    while (!w1.printed("STEP 3 ") && System.nanoTime() < deadline && w1.process.isAlive()) {
      Thread.sleep(50);
    }
    assertTrue(w1.printed("STEP 3 "), w1.output());
    w1.process.destroyForcibly();
    long killed = System.nanoTime();
    int code = w0.await(60);
    double seconds = (System.nanoTime() - killed) / 1e9;
    assertEquals(3, code, w0.output());
    String out = w0.output();
    assertTrue(out.contains("FAILED worker 0 of 2: step ") && out.contains("A peer worker probably died"), out);
    assertTrue(seconds < timeoutMs / 1e3 + 10, "failed " + seconds + " s after the kill");
    System.out.printf("dead peer: worker 0 failed %.1f s after worker 1 was killed (step timeout %.0f s)%n",
        seconds, timeoutMs / 1e3);
  }

  private static String times(List<String[]> steps) {
    return steps.subList(1, steps.size()).stream().map(s -> s[3]).toList().toString();
  }

  private static Map<String, float[]> read(Path file) throws IOException {
    Map<String, float[]> out = new LinkedHashMap<>();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      while (in.available() > 0) {
        String name = in.readUTF();
        float[] v = new float[in.readInt()];
        for (int i = 0; i < v.length; i++) {
          v[i] = in.readFloat();
        }
        out.put(name, v);
      }
    }
    return out;
  }
}
