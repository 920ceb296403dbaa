package electra.trainer.runtime;

import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/** Session settings for training: mixed precision and XLA as the flags ask, and whether a GPU is there. */
public final class SessionConfigs {

  private SessionConfigs() {}

  /**
   * {@code amp}: TensorFlow's automatic mixed precision graph rewrite, fp16 on GPU ({@code auto_mixed_precision},
   * needs loss scaling) or bf16 on CPU ({@code auto_mixed_precision_onednn_bfloat16}); {@code xla}: global JIT ON_1.
   */
  public static ConfigProto training(boolean amp, boolean xla, boolean gpu) {
    return training(amp, xla, gpu, 0, 0);
  }

  /**
   * As {@link #training(boolean, boolean, boolean)} with explicit thread pools: {@code intraOp} threads inside one
   * op (matmuls), {@code interOp} ops run side by side; 0 leaves TensorFlow's choice (the number of cores).
   */
  public static ConfigProto training(boolean amp, boolean xla, boolean gpu, int intraOp, int interOp) {
    RewriterConfig.Builder rewrite = RewriterConfig.newBuilder();
    if (amp) {
      if (gpu) {
        rewrite.setAutoMixedPrecision(RewriterConfig.Toggle.ON);
      } else {
        rewrite.setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
      }
    }
    if (!gpu) {
      leanCpuRewrites(rewrite);
    }
    GraphOptions.Builder graph = GraphOptions.newBuilder().setRewriteOptions(rewrite);
    if (xla) {
      graph.setOptimizerOptions(OptimizerOptions.newBuilder()
          .setGlobalJitLevel(OptimizerOptions.GlobalJitLevel.ON_1).setCpuGlobalJit(true));
    }
    return ConfigProto.newBuilder().setGraphOptions(graph).setAllowSoftPlacement(true)
        .setIntraOpParallelismThreads(Math.max(0, intraOp)).setInterOpParallelismThreads(Math.max(0, interOp))
        .build();
  }

  /**
   * Grappler passes for a CPU session cut to the one that pays: the remapper, which fuses MatMul + BiasAdd + GELU
   * into one oneDNN call; pruning stays (it always runs). Measured on ELECTRA-small pre-training (batch 8, 2 cores):
   * TensorFlow's default passes took 10 of the first step's 12-13 s (two rounds of constant folding, arithmetic,
   * shape, layout, dependency, memory and TFG passes over a 33,000-node graph) and changed neither the losses nor the
   * step time; without them the first step takes 3.4-3.7 s. Mixed precision's bf16 rewrite is its own pass and
   * stays. GPU sessions keep TensorFlow's defaults (its layout and memory passes are made for them).
   */
  static void leanCpuRewrites(RewriterConfig.Builder rewrite) {
    RewriterConfig.Toggle off = RewriterConfig.Toggle.OFF;
    rewrite.setMetaOptimizerIterations(RewriterConfig.NumIterationsType.ONE)
        .setMemoryOptimization(RewriterConfig.MemOptType.NO_MEM_OPT)
        .setDisableTfgOptimizer(true)
        .setLayoutOptimizer(off).setShapeOptimization(off).setDependencyOptimization(off).setLoopOptimization(off)
        .setCommonSubgraphElimination(off).setImplementationSelector(off).setConstantFolding(off)
        .setArithmeticOptimization(off)
        .setRemapping(RewriterConfig.Toggle.ON);
  }

  /** Whether {@code config} turns XLA's auto-clustering on (as {@link #training} does for {@code xla}). */
  public static boolean xlaRequested(ConfigProto config) {
    OptimizerOptions.GlobalJitLevel level = config.getGraphOptions().getOptimizerOptions().getGlobalJitLevel();
    return level == OptimizerOptions.GlobalJitLevel.ON_1 || level == OptimizerOptions.GlobalJitLevel.ON_2;
  }

  /** Whether TensorFlow can place an op on GPU 0 (the GPU native build on a machine with a GPU). */
  public static boolean gpuAvailable() {
    try (Graph g = new Graph();
        Session s = new Session(g, ConfigProto.newBuilder().setAllowSoftPlacement(false).build())) {
      Ops tf = Ops.create(g).withDevice(org.tensorflow.DeviceSpec.newBuilder()
          .deviceType(org.tensorflow.DeviceSpec.DeviceType.GPU).deviceIndex(0).build());
      var c = tf.math.add(tf.constant(1f), tf.constant(1f));
      s.runner().fetch(c).run().close();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
