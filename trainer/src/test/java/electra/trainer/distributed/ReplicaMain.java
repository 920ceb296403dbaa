package electra.trainer.distributed;

import electra.trainer.pretrain.MaskedBatch;
import electra.trainer.pretrain.Masking;
import electra.trainer.pretrain.PretrainConfig;
import electra.trainer.model.ModelGraph;
import electra.trainer.pretrain.PretrainingGraph;
import electra.trainer.pretrain.PretrainingObjective;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;

/**
 * Child process of {@link DataParallelTest}: trains the tiny model on synthetic batches, either as one worker of a
 * cluster ({@code worker <dir> <steps> <workers> <task> <timeoutMs> [<accumulation> [fp16] [count]]}) or as the
 * single-process reference that sees the same global batch through gradient accumulation
 * ({@code reference <dir> <steps> <micro-batches per step>}). Micro-batch j of step s on worker t of N with k
 * accumulation steps and its dropout/sampling seed are those of micro-batch (s·k + j)·N + t of the reference with
 * N·k accumulation steps, as in {@code Trainer}. Prints one line per step:
 * {@code STEP s loss=<float bits> crc=<crc of all weights and slots> ms=<step time>}; a worker also prints
 * {@code PACKED floats=<gradient and scalar floats per all-reduce>} and, with {@code count}, before each STEP line
 * {@code COLLECTIVES s [op:dtype, ...]}: the collective ops its micro-steps of step s ran.
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
    int replicas = reference ? 1 : a[3].split(",").length;
    int accumulation = reference ? Integer.parseInt(a[3]) : a.length > 6 ? Integer.parseInt(a[6]) : 1;
    List<String> options = Arrays.asList(a).subList(Math.min(a.length, 7), a.length);
    PretrainConfig c = PretrainConfig.parse("--model_config=" + dir.resolve("tiny_config.json"),
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + dir, "--output_dir=" + dir,
        "--train_batch_size=" + BATCH, "--gradient_accumulation_steps=" + accumulation,
        "--num_train_steps=" + steps, "--num_warmup_steps=0", "--learning_rate=1e-3", "--seed=" + SEED);
    int code = 0;
    if (reference) {
      try (PretrainingGraph g = new PretrainingGraph(c, false, null)) {
        g.initialize();
        for (int s = 0; s < steps; s++) {
          long t0 = System.nanoTime();
          float sum = 0;
          for (int k = 0; k < accumulation; k++) {
            long micro = (long) s * accumulation + k;
            sum += g.step(batch(c, micro), 1e-3, k == accumulation - 1, micro).total();
          }
          report(g, s, sum / accumulation, t0);
        }
        dump(g, dir.resolve("weights-reference.bin"));
      }
    } else {
      ClusterSpec cluster = new ClusterSpec(List.of(a[3].split(",")), Integer.parseInt(a[4]));
      long timeoutMs = Long.parseLong(a[5]);
      int task = cluster.taskIndex();
      try (WorkerRuntime rt = new WorkerRuntime(cluster, "ring", options.contains("fp16"), timeoutMs, 120_000);
          PretrainingGraph g = new PretrainingGraph(c, false, null, rt)) {
        g.initialize();
        if (options.contains("count")) {
          g.recordCollectives();
        }
        long floats = PretrainingObjective.Outputs.SCALAR_NAMES.size();
        for (ModelGraph.Parameter p : g.model().parameters()) {
          floats += p.shape().size();
        }
        System.out.println("PACKED floats=" + floats);
        for (int s = 0; s < steps; s++) {
          long t0 = System.nanoTime();
          float loss;
          List<String> collectives = new ArrayList<>();
          try {
            double weighted = 0;
            int batches = 0;
            for (int j = 0; j < accumulation; j++) {
              long micro = ((long) s * accumulation + j) * replicas + task;
              PretrainingGraph.StepResult r = g.step(batch(c, micro), 1e-3, j == accumulation - 1, micro,
                  new long[] {s, task, 100 + task, 1000L * s + task, 3 + task, 7, task});
              weighted += (double) r.total() * r.microBatches();
              batches += r.microBatches();
              collectives.addAll(g.lastStepCollectives());
            }
            loss = (float) (weighted / batches);
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
          if (options.contains("count")) {
            System.out.println("COLLECTIVES " + s + " " + collectives);
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

  /** Micro-batch {@code micro} of the reference (one process): the same tokens and masks for any worker count. */
  static MaskedBatch batch(PretrainConfig c, long micro) {
    SplittableRandom r = new SplittableRandom(SEED * 1_000_003L + micro);
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
        new Masking.SpecialIds(101, 102, 103, 0), Masking.randomFor(SEED, micro));
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
