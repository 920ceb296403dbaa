package electra.trainer.pretrain;

import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * What XLA compiled of one session run, read from the graphs the session executed (not from logs, which
 * {@code TF_CPP_MIN_LOG_LEVEL} may hide): XLA's auto-clustering replaces each compiled cluster by an
 * {@code _XlaCompile}/{@code _XlaRun} pair (or one {@code XlaLaunch} op). Zero clusters with {@code --xla} means the
 * flag had no effect. (The clusters' own ops live in the session's function library, which the returned graphs do
 * not carry, so their number is not known here.)
 *
 * @param clusters compiled clusters in the executed graph
 * @param otherOps ops of the executed graph that TensorFlow runs itself (variables, assignments, ...)
 */
public record XlaClusters(int clusters, int otherOps) {

  /** Run options that make the session return the graphs it executed, after every optimisation pass. */
  public static RunOptions inspecting(RunOptions options) {
    return options.toBuilder().setOutputPartitionGraphs(true).build();
  }

  /** The clusters of a run made with {@link #inspecting(RunOptions)}. */
  public static XlaClusters of(RunMetadata metadata) {
    int clusters = 0;
    int otherOps = 0;
    for (GraphDef partition : metadata.getPartitionGraphsList()) {
      for (NodeDef node : partition.getNodeList()) {
        switch (node.getOp()) {
          case "_XlaCompile", "XlaLaunch" -> clusters++;
          case "_XlaRun" -> { } // the other half of an _XlaCompile pair
          default -> otherOps++;
        }
      }
    }
    return new XlaClusters(clusters, otherOps);
  }
}
