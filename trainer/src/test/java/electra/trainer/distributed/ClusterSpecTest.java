package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.cli.UsageException;
import electra.records.ShardManifest;
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

  @Test
  void shardIGoesToWorkerIModN() {
    String fp = "0".repeat(64);
    ShardManifest m = new ShardManifest(128, fp, Map.of(), List.of(new ShardManifest.Shard("s0", 5),
        new ShardManifest.Shard("s1", 5), new ShardManifest.Shard("s2", 5), new ShardManifest.Shard("s3", 5),
        new ShardManifest.Shard("s4", 5)));
    ClusterSpec w1 = new ClusterSpec(List.of("a:1", "b:1"), 1);
    assertEquals(List.of("s1", "s3"), DataSharding.forWorker(m, w1).shards().stream().map(ShardManifest.Shard::file)
        .toList());
    assertEquals(3, DataSharding.forWorker(m, new ClusterSpec(List.of("a:1", "b:1"), 0)).shards().size());
    ClusterSpec w7 = new ClusterSpec(List.of("a:1", "b:1", "c:1", "d:1", "e:1", "f:1", "g:1"), 6);
    assertEquals("7 workers but worker 6 gets no shard with records (the manifest lists 5): write at least one "
        + "shard per worker", assertThrows(UsageException.class, () -> DataSharding.forWorker(m, w7)).getMessage());
    assertEquals(11, DataSharding.maskingSeed(11, new ClusterSpec(List.of("a:1", "b:1"), 0)));
  }
}
