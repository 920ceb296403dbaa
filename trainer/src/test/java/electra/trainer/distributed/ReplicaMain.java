package electra.trainer.distributed;

import electra.trainer.pretrain.MaskedBatch;
import electra.trainer.pretrain.Masking;
import electra.trainer.pretrain.PretrainConfig;
import electra.trainer.pretrain.PretrainingGraph;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Child process of {@link DataParallelTest}: trains the tiny model on synthetic batches, either as one worker of a
 * cluster ({@code worker <dir> <steps> <workers> <task> <timeoutMs>}) or as the single-process reference that sees
 * the same global batch through gradient accumulation ({@code reference <dir> <steps> <replicas>}). Batch
 * (step s, replica r) and its dropout/sampling seed (micro-step s·N + r) are the same in both. Prints one line per
 * step: {@code STEP s loss=<float bits> crc=<crc of all weights and slots> ms=<step time>}.
 */
public final class ReplicaMain {

  static final int BATCH = 4;
  static final int LENGTH = 32;
  static final long SEED = 11;

  public static void main(String[] a) throws Exception {
    String mode = a[0];
    Path dir = Path.of(a[1]);
    int steps = Integer.parseInt(a[2]);
    boolean reference = mode.equals("reference");
    int replicas = reference ? Integer.parseInt(a[3]) : a[3].split(",").length;
    PretrainConfig c = PretrainConfig.parse("--model_config=" + dir.resolve("tiny_config.json"),
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + dir, "--output_dir=" + dir,
        "--train_batch_size=" + BATCH, "--gradient_accumulation_steps=" + (reference ? replicas : 1),
        "--num_train_steps=" + steps, "--num_warmup_steps=0", "--learning_rate=1e-3", "--seed=" + SEED);
    int code = 0;
    if (reference) {
      try (PretrainingGraph g = new PretrainingGraph(c, false, null)) {
        g.initialize();
        for (int s = 0; s < steps; s++) {
          long t0 = System.nanoTime();
          float sum = 0;
          for (int k = 0; k < replicas; k++) {
            sum += g.step(batch(c, s, k, replicas), 1e-3, k == replicas - 1, (long) s * replicas + k).total();
          }
          report(g, s, sum / replicas, t0);
        }
        dump(g, dir.resolve("weights-reference.bin"));
      }
    } else {
      ClusterSpec cluster = new ClusterSpec(List.of(a[3].split(",")), Integer.parseInt(a[4]));
      long timeoutMs = Long.parseLong(a[5]);
      int task = cluster.taskIndex();
      try (WorkerRuntime rt = new WorkerRuntime(cluster, "ring", timeoutMs, 120_000);
          PretrainingGraph g = new PretrainingGraph(c, false, null, rt)) {
        g.initialize();
        for (int s = 0; s < steps; s++) {
          long t0 = System.nanoTime();
          float loss;
          try {
            loss = g.step(batch(c, s, task, replicas), 1e-3, true, (long) s * replicas + task,
                new long[] {s, task, 100 + task, 1000L * s + task, 3 + task, 7, task}).total();
          } catch (RuntimeException e) {
            RuntimeException explained = rt.stepFailed(s + 1, e, (System.nanoTime() - t0) / 1_000_000);
            System.out.println("FAILED " + explained.getMessage().replace('\n', ' '));
            System.out.flush();
            code = 3;
            break;
          }
          if (s == 0) {
            System.out.println("GATHERED " + Arrays.toString(g.lastGatheredPositions()));
          }
          report(g, s, loss, t0);
        }
        if (code == 0) {
          dump(g, dir.resolve("weights-" + task + ".bin"));
        }
      }
    }
    System.out.flush();
    // TensorFlow's gRPC server has no clean shutdown; end the process explicitly.
    Runtime.getRuntime().halt(code);
  }

  static MaskedBatch batch(PretrainConfig c, int step, int replica, int replicas) {
    SplittableRandom r = new SplittableRandom(SEED * 1_000_003L + (long) step * replicas + replica);
    int[] ids = new int[BATCH * LENGTH];
    int[] mask = new int[ids.length];
    int[] seg = new int[ids.length];
    for (int b = 0; b < BATCH; b++) {
      int real = LENGTH - r.nextInt(LENGTH / 4);
      for (int t = 0; t < real; t++) {
        int i = b * LENGTH + t;
        ids[i] = t == 0 ? 101 : t == real - 1 ? 102 : 1000 + r.nextInt(2000);
        mask[i] = 1;
        seg[i] = t >= real / 2 ? 1 : 0;
      }
    }
    return Masking.mask(ids, mask, seg, BATCH, LENGTH, c.maxPredictionsPerSeq(LENGTH), 0.15,
        new Masking.SpecialIds(101, 102, 103, 0), Masking.randomFor(SEED, (long) step * replicas + replica));
  }

  private static Map<String, float[]> weights(PretrainingGraph g) {
    Map<String, float[]> all = g.variableValues();
    all.keySet().removeIf(n -> n.endsWith("/accum"));
    return all;
  }

  private static void report(PretrainingGraph g, int step, float loss, long t0) {
    long ms = (System.nanoTime() - t0) / 1_000_000;
    CRC32 crc = new CRC32();
    for (float[] v : weights(g).values()) {
      for (float f : v) {
        int bits = Float.floatToRawIntBits(f);
        crc.update(bits);
        crc.update(bits >>> 8);
        crc.update(bits >>> 16);
        crc.update(bits >>> 24);
      }
    }
    System.out.printf("STEP %d loss=%08x crc=%08x ms=%d%n", step, Float.floatToRawIntBits(loss), crc.getValue(), ms);
    System.out.flush();
  }

  private static void dump(PretrainingGraph g, Path file) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      for (var e : weights(g).entrySet()) {
        out.writeUTF(e.getKey());
        out.writeInt(e.getValue().length);
        for (float f : e.getValue()) {
          out.writeFloat(f);
        }
      }
    }
  }
}
