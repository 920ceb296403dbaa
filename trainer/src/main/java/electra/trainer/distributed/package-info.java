/**
 * Synchronous data-parallel pre-training and fine-tuning on TensorFlow's own distributed runtime, driven from TF Java
 * 1.1.0.
 *
 * <p>Each worker process (one per GPU) runs a TensorFlow gRPC server ({@link org.tensorflow.Server}, job
 * {@code worker}, one task per process) and holds a full replica of the model. Its session is connected to its
 * own server ({@code grpc://host:port}; see {@link electra.trainer.distributed.WorkerRuntime} for why the session is
 * made through the C API) with {@code device_filters} limited to its task and task 0 as
 * {@code collective_group_leader}. The gradients are averaged with the graph-mode {@code CollectiveReduce} op
 * (Add, then Div by the group size) before clipping and LAMB/AdamW, as MultiWorkerMirroredStrategy and Horovod do:
 * a ring over gRPC on CPU, NCCL on GPUs ({@code --collective=nccl}), in fp16 with {@code --fp16_compression}. With
 * gradient accumulation only the micro-step that applies reaches the collectives: the others add into local
 * accumulators, so each optimizer step all-reduces once. The reported losses travel in the same all-reduce, and
 * every worker's data position is gathered ({@code CollectiveGather}) so the chief's checkpoint can resume all.
 * The gathered values also carry each worker's stop flag (SIGTERM), so that all workers stop after the same step.
 * With {@code --follow} each worker follows the manifest for the shards dealt to it; a position stays a handful of
 * numbers (the epoch's order is rebuilt from how many shards were listed when it started), and the step timeouts
 * grow by the follow timeout, since a worker waiting for new shards holds up the all-reduce.
 *
 * <p>What was probed (TF Java 1.1.0 / TF 2.18, two JVMs on loopback, CPU): {@code Server} starts and serves; the
 * public {@code Session} constructors ignore a target (they always make a local DirectSession, which then cannot
 * place ops on {@code /job:worker}), so the session is made with {@code TF_SetTarget}; V1 {@code CollectiveReduce}
 * (raw op builder; the Java wrapper {@code collective.CollectiveReduce} is the V3 op that needs a communicator
 * resource) all-reduces correctly across processes, without explicit device placement. A killed peer: with the
 * collective's own {@code timeout_seconds} the survivor fails after that timeout ("Collective has timed out during
 * execution"); with {@code RunOptions.timeout_in_ms} the step is cancelled ("Operation timed out") without
 * recompiling the graph; often gRPC reports the lost peer even sooner. The collective executor cannot be reused
 * after an abort, so a failed worker process exits and all are restarted from the last checkpoint.
 * A parameter-server graph ({@code /job:ps} variables) was not built: it is asynchronous or needs sync-replicas
 * queues, moves every weight over the network twice per step, and is deprecated in TF 2.
 *
 * <p>Entry points: {@link electra.trainer.distributed.ClusterSpec} (flags, Slurm and Kubernetes environment),
 * {@link electra.trainer.distributed.DataParallelSettings} (the flags of {@code Pretrain}, {@code FinetuneSquad} and
 * {@code FinetuneGlue}),
 * {@link electra.trainer.pretrain.DataSharding} (shard i to worker i mod N, also when listed later; resume
 * positions), {@code electra.trainer.finetune.FinetuneLoop} (fine-tuning: every worker its rows of each global
 * batch).
 */
package electra.trainer.distributed;
