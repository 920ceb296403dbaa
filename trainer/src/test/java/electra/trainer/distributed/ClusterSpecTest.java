package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.cli.UsageException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterSpecTest {

  @Test
  void flagsThenElectraVariablesThenKubernetesIndex() {
    assertEquals(new ClusterSpec(List.of("a:1", "b:2"), 1), ClusterSpec.resolve("a:1, b:2", 1, Map.of()));
    assertEquals(new ClusterSpec(List.of("a:1", "b:2"), 0),
        ClusterSpec.resolve(null, -1, Map.of("ELECTRA_WORKERS", "a:1,b:2", "ELECTRA_TASK_INDEX", "0")));
    assertEquals(new ClusterSpec(List.of("t-0.t:2222", "t-1.t:2222"), 1), ClusterSpec.resolve(null, -1,
        Map.of("ELECTRA_WORKERS", "t-0.t:2222,t-1.t:2222", "JOB_COMPLETION_INDEX", "1")));
    assertFalse(ClusterSpec.resolve(null, -1, Map.of()).distributed());
    assertEquals("--workers lists 2 workers but no --task_index (nor ELECTRA_TASK_INDEX, JOB_COMPLETION_INDEX or "
        + "SLURM_PROCID) says which one this process is",
        assertThrows(UsageException.class, () -> ClusterSpec.resolve("a:1,b:2", -1, Map.of())).getMessage());
    assertEquals("--task_index must be in 0..1 for 2 workers, got 2",
        assertThrows(UsageException.class, () -> ClusterSpec.resolve("a:1,b:2", 2, Map.of())).getMessage());
    assertEquals("--workers: 'a' is not host:port",
        assertThrows(UsageException.class, () -> ClusterSpec.resolve("a,b:2", 0, Map.of())).getMessage());
    assertEquals("--workers lists a:1 twice",
        assertThrows(UsageException.class, () -> ClusterSpec.resolve("a:1,a:1", 0, Map.of())).getMessage());
  }

  @Test
  void slurmGivesOneWorkerPerTaskWithPortsPerNode() {
    assertEquals(List.of("gpu01", "gpu02", "gpu03", "gpu07", "login1"),
        ClusterSpec.expandHostlist("gpu[01-03,07],login1"));
    assertEquals(List.of("r1n1", "r1n2", "r2n1", "r2n2"), ClusterSpec.expandHostlist("r[1-2]n[1-2]"));
    ClusterSpec s = ClusterSpec.resolve(null, -1, Map.of("SLURM_JOB_NODELIST", "dgx[1-2]", "SLURM_PROCID", "3",
        "SLURM_TASKS_PER_NODE", "2(x2)", "SLURM_NTASKS", "4", "ELECTRA_PORT", "3000"));
    assertEquals(List.of("dgx1:3000", "dgx1:3001", "dgx2:3000", "dgx2:3001"), s.workers());
    assertEquals(3, s.taskIndex());
    assertEquals(List.of("n1:2222", "n2:2222"), ClusterSpec.resolve(null, -1,
        Map.of("SLURM_NODELIST", "n1,n2", "SLURM_PROCID", "0", "SLURM_NTASKS", "2")).workers());
  }
}
