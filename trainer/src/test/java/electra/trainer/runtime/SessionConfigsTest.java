package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tensorflow.proto.RewriterConfig;

class SessionConfigsTest {

  @Test
  void cpuSessionsRunOnlyTheFusingPassOnce() {
    RewriterConfig cpu = SessionConfigs.training(false, false, false).getGraphOptions().getRewriteOptions();
    assertEquals(RewriterConfig.NumIterationsType.ONE, cpu.getMetaOptimizerIterations());
    assertEquals(RewriterConfig.Toggle.ON, cpu.getRemapping());
    assertEquals(RewriterConfig.Toggle.OFF, cpu.getConstantFolding());
    assertEquals(RewriterConfig.Toggle.OFF, cpu.getArithmeticOptimization());
    assertEquals(RewriterConfig.MemOptType.NO_MEM_OPT, cpu.getMemoryOptimization());
    assertTrue(cpu.getDisableTfgOptimizer());
  }

  @Test
  void cpuMixedPrecisionKeepsItsRewrite() {
    RewriterConfig amp = SessionConfigs.training(true, false, false).getGraphOptions().getRewriteOptions();
    assertEquals(RewriterConfig.Toggle.ON, amp.getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(RewriterConfig.Toggle.ON, amp.getRemapping());
  }

  @Test
  void gpuSessionsKeepTensorFlowsDefaults() {
    RewriterConfig gpu = SessionConfigs.training(true, false, true).getGraphOptions().getRewriteOptions();
    assertEquals(RewriterConfig.Toggle.ON, gpu.getAutoMixedPrecision());
    assertEquals(RewriterConfig.NumIterationsType.DEFAULT_NUM_ITERS, gpu.getMetaOptimizerIterations());
    assertEquals(RewriterConfig.Toggle.DEFAULT, gpu.getConstantFolding());
    assertEquals(RewriterConfig.MemOptType.DEFAULT_MEM_OPT, gpu.getMemoryOptimization());
  }
}
