package electra.trainer.distributed;

import electra.trainer.runtime.OptimizerGraph;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Server;
import org.tensorflow.Session;
import org.tensorflow.internal.c_api.TF_Graph;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ClusterDef;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.JobDef;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.ServerDef;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TNumber;

/**
 * One worker of a synchronous data-parallel run on TensorFlow's own distributed runtime: a gRPC server for this
 * task ({@link Server}), a session connected to it ({@code grpc://host:port}, so the graph runs in the server's
 * master/worker and sees only this task's devices), and collective ops between the replicas.
 *
 * <p>Gradients are packed into a few flat buckets and averaged with the graph-mode {@code CollectiveReduce} op
 * ({@code merge_op=Add}, {@code final_op=Div}): a ring over gRPC on CPU, NCCL when {@code communication=nccl} on
 * GPUs. With {@code fp16Compression} each bucket is cast to fp16 before the collective and back to fp32 after (half
 * the bytes; values keep about 3 significant digits, and below 6e-5 lose precision or vanish, as in NVIDIA's
 * Horovod compression). The group is formed through the leader task 0 ({@code experimental.collective_group_leader}). Every worker
 * builds the same graph in the same order, so the collectives' instance keys match.
 *
 * <p>A dead peer: a step waits at most {@code stepTimeoutMs} ({@code RunOptions.timeout_in_ms}, which cancels the
 * collective), the first step at most {@code startupTimeoutMs} (it includes graph optimisation and group set-up);
 * with {@code --follow} both include the follow timeout, since a peer may wait that long for new shards
 * ({@link DataParallelSettings#waitingForData}). Then the run fails with a message naming the cluster. TensorFlow's
 * collective executor cannot be reused after an abort, so the process must exit; restarting all workers resumes
 * from the chief's last checkpoint.
 */
public final class WorkerRuntime implements Replication, AutoCloseable {

  /** Floats per all-reduce bucket: ELECTRA-small is one bucket, base a few. */
  static final int BUCKET_FLOATS = 32 << 20;
  private static final long GROUP_KEY = 1;

  private final ClusterSpec cluster;
  private final String communication;
  private final boolean fp16Compression;
  private final long stepTimeoutMs;
  private final long startupTimeoutMs;
  private final Server server;
  private long nextInstanceKey = 1;

  /**
   * Starts this task's server (it listens at once; peers may start later).
   *
   * @param communication {@code ring} (gRPC, CPU or GPU), {@code nccl} (GPUs) or {@code auto}
   * @param fp16Compression all-reduce in fp16
   */
  public WorkerRuntime(ClusterSpec cluster, String communication, boolean fp16Compression, long stepTimeoutMs,
      long startupTimeoutMs) {
    this.cluster = cluster;
    this.communication = communication;
    this.fp16Compression = fp16Compression;
    this.stepTimeoutMs = stepTimeoutMs;
    this.startupTimeoutMs = startupTimeoutMs;
    JobDef.Builder job = JobDef.newBuilder().setName("worker");
    for (int i = 0; i < cluster.size(); i++) {
      job.putTasks(i, cluster.workers().get(i));
    }
    ServerDef def = ServerDef.newBuilder().setCluster(ClusterDef.newBuilder().addJob(job)).setJobName("worker")
        .setTaskIndex(cluster.taskIndex()).setProtocol("grpc").setDefaultSessionConfig(sessionConfig(null)).build();
    server = new Server(def);
    server.start();
  }

  public ClusterSpec cluster() {
    return cluster;
  }

  /** The session options every worker needs: only its own devices, and task 0 leads the collective group. */
  ConfigProto sessionConfig(ConfigProto base) {
    ConfigProto.Builder b = base == null ? ConfigProto.newBuilder() : base.toBuilder();
    b.clearDeviceFilters().addDeviceFilters("/job:worker/task:" + cluster.taskIndex());
    b.setExperimental(b.getExperimental().toBuilder()
        .setCollectiveGroupLeader("/job:worker/replica:0/task:0"));
    return b.build();
  }

  @Override
  public Session openSession(Graph graph, ConfigProto config) {
    String target = "grpc://" + cluster.self();
    ConfigProto cfg = sessionConfig(config);
    TF_Session handle;
    try (PointerScope scope = new PointerScope()) {
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions opts = TF_SessionOptions.newSessionOptions();
      tensorflow.TF_SetTarget(opts, target);
      BytePointer bytes = new BytePointer(cfg.toByteArray());
      tensorflow.TF_SetConfig(opts, bytes, bytes.capacity(), status);
      status.throwExceptionIfNotOK();
      handle = TF_Session.newSession(graphHandle(graph), opts, status);
      status.throwExceptionIfNotOK();
      handle = handle.retainReference();
    }
    return wrap(graph, handle);
  }

  /**
   * TF Java 1.1.0's public {@code Session} constructors always pass an empty target (a local DirectSession), so the
   * session is created through the C API ({@code TF_SetTarget}) and wrapped with Session's package-private
   * constructor, as {@code SavedModelBundle} does.
   */
  private static TF_Graph graphHandle(Graph graph) {
    try {
      Field f = Graph.class.getDeclaredField("nativeHandle");
      f.setAccessible(true);
      return (TF_Graph) f.get(graph);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this TensorFlow Java version does not expose Graph.nativeHandle", e);
    }
  }

  private static Session wrap(Graph graph, TF_Session handle) {
    try {
      Constructor<Session> c = Session.class.getDeclaredConstructor(Graph.class, TF_Session.class);
      c.setAccessible(true);
      return c.newInstance(graph, handle);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("this TensorFlow Java version has no Session(Graph, TF_Session)", e);
    }
  }

  @Override
  public OptimizerGraph.GradientReducer allReduceMean() {
    return this::allReduceMean;
  }

  /** Packs the tensors into flat buckets, averages each bucket over the workers (in fp16 if asked), and unpacks. */
  List<Operand<TFloat32>> allReduceMean(Ops tf, List<Operand<TFloat32>> tensors) {
    List<Operand<TFloat32>> out = new ArrayList<>();
    int i = 0;
    while (i < tensors.size()) {
      List<Operand<TFloat32>> bucket = new ArrayList<>();
      List<Long> sizes = new ArrayList<>();
      long floats = 0;
      do {
        long n = tensors.get(i).shape().size();
        if (n < 0) {
          throw new IllegalArgumentException("all-reduce needs static shapes, got " + tensors.get(i).shape());
        }
        bucket.add(tensors.get(i));
        sizes.add(n);
        floats += n;
        i++;
      } while (i < tensors.size() && floats + tensors.get(i).shape().size() <= BUCKET_FLOATS);
      List<Operand<TFloat32>> flat = new ArrayList<>();
      for (Operand<TFloat32> t : bucket) {
        flat.add(tf.reshape(t, tf.constant(new long[] {-1})));
      }
      Operand<TFloat32> packed = flat.size() == 1 ? flat.get(0) : tf.concat(flat, tf.constant(0));
      Operand<TFloat32> reduced = fp16Compression
          ? tf.dtypes.cast(collectiveReduce(tf, tf.dtypes.cast(packed, TFloat16.class)), TFloat32.class)
          : collectiveReduce(tf, packed);
      long[] splits = sizes.stream().mapToLong(Long::longValue).toArray();
      List<Operand<TFloat32>> parts = new ArrayList<>();
      if (bucket.size() == 1) {
        parts.add(reduced);
      } else {
        parts.addAll(tf.splitV(reduced, tf.constant(splits), tf.constant(0), (long) splits.length).output());
      }
      for (int k = 0; k < bucket.size(); k++) {
        Shape shape = bucket.get(k).shape();
        out.add(tf.reshape(parts.get(k), tf.constant(shape.asArray())));
      }
    }
    return out;
  }

  private <T extends TNumber> Operand<T> collectiveReduce(Ops tf, Operand<T> x) {
    long key = nextInstanceKey++;
    GraphOperation op = (GraphOperation) ((Graph) tf.scope().env())
        .opBuilder("CollectiveReduce", "allreduce_" + key, tf.scope())
        .addInput(x.asOutput())
        .setAttr("group_size", (long) cluster.size()).setAttr("group_key", GROUP_KEY).setAttr("instance_key", key)
        .setAttr("merge_op", "Add").setAttr("final_op", "Div").setAttr("subdiv_offsets", new long[] {0})
        .setAttr("communication_hint", hint()).setAttr("timeout_seconds", 0f)
        .build();
    return op.output(0);
  }

  @Override
  public Operand<TInt64> gather(Ops tf, Operand<TInt64> local) {
    long key = nextInstanceKey++;
    GraphOperation op = (GraphOperation) ((Graph) tf.scope().env())
        .opBuilder("CollectiveGather", "gather_" + key, tf.scope())
        .addInput(local.asOutput())
        .setAttr("group_size", (long) cluster.size()).setAttr("group_key", GROUP_KEY).setAttr("instance_key", key)
        .setAttr("shape", local.shape()).setAttr("communication_hint", "ring").setAttr("timeout_seconds", 0f)
        .build();
    return op.output(0);
  }

  private String hint() {
    return switch (communication.toLowerCase(Locale.ROOT)) {
      case "nccl" -> "nccl";
      case "ring" -> "ring";
      default -> "auto";
    };
  }

  @Override
  public RunOptions stepOptions(boolean first) {
    return RunOptions.newBuilder().setTimeoutInMs(first ? startupTimeoutMs : stepTimeoutMs).build();
  }

  /** Explains a failed step of a replicated run (a dead or stuck peer shows up as a timeout or cancellation). */
  public RuntimeException stepFailed(long step, RuntimeException cause, long elapsedMs) {
    return new IllegalStateException(String.format(Locale.ROOT,
        "worker %d of %d: step %d failed after %.1f s waiting for the all-reduce with %s. A peer worker probably "
            + "died or is stuck; all workers must be restarted (they resume from the chief's last checkpoint "
            + "with --restore_checkpoint=latest). Cause: %s",
        cluster.taskIndex(), cluster.size(), step, elapsedMs / 1e3, cluster.workers(),
        cause.getMessage() == null ? cause.toString() : cause.getMessage().lines().findFirst().orElse("")), cause);
  }

  /** TensorFlow's gRPC server cannot be shut down cleanly (Stop is unimplemented); it ends with the process. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (RuntimeException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
