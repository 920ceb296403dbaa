package electra.trainer.runtime;

import electra.cli.UsageException;
import java.util.Locale;
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

  /**
   * The line that says what XLA compiled; refuses (a usage error) when it compiled nothing, so that {@code --xla}
   * never silently runs without XLA (e.g. a TensorFlow build without the XLA JIT).
   */
  public String requireCompiled() {
    if (clusters == 0) {
      throw new UsageException("--xla: TensorFlow compiled none of the training step with XLA (no _XlaCompile or "
          + "XlaLaunch op among the " + otherOps + " ops it executed), so this native build or device does not "
          + "apply XLA auto-clustering; train without --xla");
    }
    return String.format(Locale.ROOT, "xla: the training step runs %d XLA-compiled clusters; %d ops run outside XLA",
        clusters, otherOps);
  }

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
