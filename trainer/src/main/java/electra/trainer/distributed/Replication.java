package electra.trainer.distributed;

import electra.trainer.runtime.OptimizerGraph;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * How a training graph is replicated over worker processes ({@link WorkerRuntime}): the
 * session it runs in, the all-reduce of gradients and reported scalars, the gather of the workers' data positions
 * and the run options (timeouts) of each training step.
 */
public interface Replication {
  /** Averages tensors over all workers (gradients, losses); one output per input. */
  OptimizerGraph.GradientReducer allReduceMean();

  /**
   * The gradient all-reduce with {@code reported} (a vector of static shape: a step's losses) packed into the same
   * collective, so that reporting them costs no second one; {@code reducedReported} receives their mean over the
   * workers when the optimizer builds the reduction.
   */
  default OptimizerGraph.GradientReducer allReduceMeanAlong(Operand<TFloat32> reported,
      Consumer<Operand<TFloat32>> reducedReported) {
    return (tf, gradients) -> {
      List<Operand<TFloat32>> all = new ArrayList<>(gradients);
      all.add(reported);
      List<Operand<TFloat32>> reduced = allReduceMean().reduce(tf, all);
      reducedReported.accept(reduced.get(gradients.size()));
      return reduced.subList(0, gradients.size());
    };
  }

  /** Concatenates every worker's int64 vector, in task order. */
  Operand<TInt64> gather(Ops tf, Operand<TInt64> local);

  /** The session of this worker, connected to the cluster. */
  Session openSession(Graph graph, ConfigProto config);

  /** Options of a training step; the first one (graph optimisation, group set-up) may take longer. */
  RunOptions stepOptions(boolean first);
}
