package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;

class OpProfileTest {

  private static NodeExecStats node(String name, String label, long start, long end) {
    return NodeExecStats.newBuilder().setNodeName(name).setTimelineLabel(label).setOpStartRelMicros(start)
        .setOpEndRelMicros(end).build();
  }

  private static RunMetadata run(NodeExecStats... nodes) {
    return RunMetadata.newBuilder().setStepStats(StepStats.newBuilder()
        .addDevStats(DeviceStepStats.newBuilder().setDevice("/device:CPU:0").addAllNodeStats(List.of(nodes)))).build();
  }

  @Test
  void sumsKernelTimeByOpTypeAndAveragesOverRuns() {
    OpProfile profile = new OpProfile();
    profile.add(run(node("dense/MatMul", "dense/MatMul = _MklNativeFusedMatMul(x, w, b)", 10, 4010),
        node("ln/mean", "ln/mean = Mean(x, axes)", 0, 1000), node("_SOURCE", "", 0, 5)));
    profile.add(run(node("dense/MatMul", "dense/MatMul = _MklNativeFusedMatMul(x, w, b)", 0, 2000),
        node("dense_1/MatMul", "dense_1/MatMul = _MklNativeFusedMatMul(y, w1, b1)", 0, 2000)));

    List<OpProfile.OpTime> times = profile.byTime();
    assertEquals(2, profile.runs());
    assertEquals("_MklNativeFusedMatMul", times.get(0).op());
    assertEquals(4.0, times.get(0).millisPerRun(), 1e-9); // (4000 + 2000 + 2000) us over 2 runs
    assertEquals(1.5, times.get(0).opsPerRun(), 1e-9);
    assertEquals("Mean", times.get(1).op());
    assertEquals(0.5, times.get(1).millisPerRun(), 1e-9);
    assertEquals("_SOURCE", times.get(2).op()); // no label: filed under its name
    assertEquals(8000.0 / 9005, times.get(0).share(), 1e-9);
    String table = profile.markdown(1);
    assertTrue(table.contains("| _MklNativeFusedMatMul | 4.0 | 2 | 88.8% |"), table);
    assertTrue(table.contains("| 2 other types | 0.5 | 1 | 11.2% |"), table);
    assertTrue(table.contains("| sum of op times | 4.5 | | |"), table);
  }
}
