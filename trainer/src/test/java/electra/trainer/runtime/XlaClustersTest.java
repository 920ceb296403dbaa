package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;

/** Reading XLA's clusters from the executed graphs, and the refusal of an {@code --xla} run XLA did not touch. */
class XlaClustersTest {

  private static GraphDef graph(String... ops) {
    GraphDef.Builder g = GraphDef.newBuilder();
    for (int i = 0; i < ops.length; i++) {
      g.addNode(NodeDef.newBuilder().setName("n" + i).setOp(ops[i]));
    }
    return g.build();
  }

  @Test
  void countsCompiledClustersOverAllPartitionsAndTheOpsLeftToTensorFlow() {
    RunMetadata m = RunMetadata.newBuilder()
        .addPartitionGraphs(graph("_XlaCompile", "_XlaRun", "_XlaCompile", "_XlaRun", "VariableV2", "Assign"))
        .addPartitionGraphs(graph("XlaLaunch", "_Recv"))
        .build();
    XlaClusters c = XlaClusters.of(m);
    assertEquals(new XlaClusters(3, 3), c);
    assertEquals("xla: the training step runs 3 XLA-compiled clusters; 3 ops run outside XLA", c.requireCompiled());
  }

  @Test
  void aStepWithoutClustersIsRefusedWithWhatToDo() {
    XlaClusters none = XlaClusters.of(RunMetadata.newBuilder().addPartitionGraphs(graph("MatMul", "Assign")).build());
    assertEquals(new XlaClusters(0, 2), none);
    UsageException e = assertThrows(UsageException.class, none::requireCompiled);
    assertTrue(e.getMessage().contains("compiled none of the training step with XLA"), e.getMessage());
    assertTrue(e.getMessage().contains("train without --xla"), e.getMessage());
  }
}
