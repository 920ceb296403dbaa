package electra.trainer.pretrain;

import electra.beam.ShardFiles;
import electra.cli.Flags;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.VocabularyResolver;
import electra.trainer.runtime.LearningRateSchedule;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.OptimizerKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Every hyper-parameter of one pre-training run (spec §2.8 and §3), checked when built. Defaults follow NVIDIA's
 * recipe (LAMB, warmup then polynomial decay with power 0.5) with Google's masking, generator sizing and loss
 * weights; {@code --optimizer=adam} switches to Google's AdamW (no bias correction, β 0.9/0.999, power 1).
 */
public record PretrainConfig(
    String modelName,                 // run name: checkpoints and log.jsonl go to <outputDir>/<modelName>/
    ElectraConfig discriminator,      // discriminator architecture (a preset or a config.json)
    double generatorHiddenSize,       // generator width as a multiple of the discriminator's (Google 0.25)
    String pretrainTfrecords,         // shard folder holding manifest.json: a local path, gs:// or s3://
    ShardFiles.ObjectStores objectStores, // how to reach gs:// and s3:// (endpoint, region, S3 client factory)
    Path outputDir,                   // parent of the run folder
    String vocabFile,                 // vocab path or "bert-base-uncased"; its fingerprint must match the shards'
    int maxSeqLength,                 // tokens per sequence; 0 = the shards' max_seq_length
    int trainBatchSize,               // sequences per micro-batch
    int gradientAccumulationSteps,    // micro-batches summed into one optimizer step
    long numTrainSteps,               // optimizer steps of this phase
    long numWarmupSteps,              // steps of linear warmup
    double learningRate,              // peak learning rate
    double endLearningRate,           // learning rate at numTrainSteps (NVIDIA end_lr)
    double lrDecayPower,              // exponent of the polynomial decay after warmup
    OptimizerKind optimizer,          // LAMB (NVIDIA) or AdamW (Google)
    double beta1,                     // first-moment decay
    double beta2,                     // second-moment decay
    double epsilon,                   // added to sqrt(v)
    double weightDecay,               // decoupled weight decay, not applied to LayerNorm and biases
    boolean skipAdaptive,             // LAMB: trust ratio 1 for LayerNorm and biases (NVIDIA --skip_adaptive)
    double clipNorm,                  // global gradient-norm clip
    double maskProb,                  // fraction of real tokens to mask
    double genWeight,                 // weight of the generator (MLM) loss
    double discWeight,                // weight of the discriminator (replaced-token) loss
    double temperature,               // softmax temperature when sampling replacements
    long saveCheckpointsSteps,        // checkpoint every this many optimizer steps (and at the end)
    int keepCheckpointMax,            // keep the newest this many checkpoints
    String restoreCheckpoint,         // null, "latest" or a checkpoint folder: resume that run exactly
    Path initCheckpoint,              // weights and optimizer slots to start from (step counter reset)
    boolean phase2,                   // phase 2: own step counter and checkpoint names ckpt-p2-*
    long seed,                        // initial weights, data order, masking, sampling and dropout
    long logFreq,                     // log line every this many optimizer steps
    boolean amp,                      // auto mixed precision graph rewrite (bf16 on CPU, fp16 + loss scaling on GPU)
    boolean xla,                      // XLA JIT (global_jit_level ON_1)
    int prefetchBatches,              // batches the background reader prepares ahead
    boolean follow,                   // keep reading shards as they are added to the manifest
    double followTimeoutSeconds) {    // with follow: wait this long for new shards before another epoch

  /** The optimizer's update rule. */
  public PretrainConfig {
    require(modelName != null && modelName.matches("[A-Za-z0-9._-]+"),
        "--model_name must be a plain folder name (letters, digits, . _ -), got '" + modelName + "'");
    require(discriminator != null, "a model config is required");
    require(generatorHiddenSize > 0 && generatorHiddenSize <= 1, "--generator_hidden_size must be in (0, 1], got "
        + generatorHiddenSize);
    require(pretrainTfrecords != null && !pretrainTfrecords.isBlank(), "--pretrain_tfrecords is required");
    String scheme = ShardFiles.unsupportedScheme(pretrainTfrecords);
    require(scheme == null, "--pretrain_tfrecords " + pretrainTfrecords + ": " + scheme + ":// is not supported; "
        + "give a local folder, gs:// or s3://");
    require(objectStores != null, "object-store settings are required (ShardFiles.ObjectStores.DEFAULTS)");
    require(outputDir != null, "--output_dir is required");
    require(maxSeqLength >= 0 && maxSeqLength <= discriminator.maxPositionEmbeddings(),
        "--max_seq_length must be in 0.." + discriminator.maxPositionEmbeddings() + ", got " + maxSeqLength);
    require(trainBatchSize > 0, "--train_batch_size must be positive, got " + trainBatchSize);
    require(gradientAccumulationSteps > 0, "--gradient_accumulation_steps must be positive, got "
        + gradientAccumulationSteps);
    require(numTrainSteps > 0, "--num_train_steps must be positive, got " + numTrainSteps);
    require(numWarmupSteps >= 0 && numWarmupSteps <= numTrainSteps,
        "--num_warmup_steps must be in 0..num_train_steps (" + numTrainSteps + "), got " + numWarmupSteps);
    require(learningRate > 0, "--learning_rate must be positive, got " + learningRate);
    require(endLearningRate >= 0 && endLearningRate <= learningRate,
        "--end_lr must be in [0, learning_rate], got " + endLearningRate);
    require(lrDecayPower > 0, "--lr_decay_power must be positive, got " + lrDecayPower);
    require(optimizer != null, "--optimizer is required");
    require(beta1 >= 0 && beta1 < 1, "--beta1 must be in [0, 1), got " + beta1);
    require(beta2 >= 0 && beta2 < 1, "--beta2 must be in [0, 1), got " + beta2);
    require(epsilon > 0, "--epsilon must be positive, got " + epsilon);
    require(weightDecay >= 0, "--weight_decay must be >= 0, got " + weightDecay);
    require(clipNorm > 0, "--clip_norm must be positive, got " + clipNorm);
    require(maskProb > 0 && maskProb < 1, "--mask_prob must be in (0, 1), got " + maskProb);
    require(genWeight >= 0 && discWeight >= 0 && genWeight + discWeight > 0,
        "--gen_weight and --disc_weight must be >= 0 and not both 0");
    require(temperature > 0, "--temperature must be positive, got " + temperature);
    require(saveCheckpointsSteps > 0, "--save_checkpoints_steps must be positive, got " + saveCheckpointsSteps);
    require(keepCheckpointMax > 0, "--keep_checkpoint_max must be positive, got " + keepCheckpointMax);
    require(logFreq > 0, "--log_freq must be positive, got " + logFreq);
    require(prefetchBatches > 0, "prefetch must be positive, got " + prefetchBatches);
    require(followTimeoutSeconds >= 0, "--follow_timeout must be >= 0 seconds, got " + followTimeoutSeconds);
    if (restoreCheckpoint != null && restoreCheckpoint.isBlank()) {
      restoreCheckpoint = null;
    }
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new UsageException(message);
    }
  }

  /** The generator's architecture: Google's {@code get_generator_config} with this run's width multiplier. */
  public ElectraConfig generator() {
    return discriminator.generator(generatorHiddenSize, 1.0, false);
  }

  /** N, masked slots per sequence of the given length: int((mask_prob + 0.005) × length), spec §2.2. */
  public int maxPredictionsPerSeq(int length) {
    return Math.max(1, (int) ((maskProb + 0.005) * length));
  }

  /** Sequences per optimizer step. */
  public int sequencesPerStep() {
    return trainBatchSize * gradientAccumulationSteps;
  }

  /** {@code <outputDir>/<modelName>}: checkpoints and logs. */
  /** The optimizer's update rule and constants; loss scaling for fp16 mixed precision. */
  public OptimizerGraph.Settings optimizerSettings(boolean lossScaling) {
    return new OptimizerGraph.Settings(optimizer, beta1, beta2, epsilon, weightDecay, skipAdaptive, clipNorm,
        gradientAccumulationSteps, lossScaling);
  }

  public LearningRateSchedule learningRateSchedule() {
    return new LearningRateSchedule(learningRate, endLearningRate, numWarmupSteps, numTrainSteps, lrDecayPower);
  }

  public Path runDir() {
    return outputDir.resolve(modelName);
  }

  /** Checkpoint names of this phase: {@code ckpt-<step>} or {@code ckpt-p2-<step>}. */
  public String checkpointPrefix() {
    return phase2 ? "ckpt-p2-" : "ckpt-";
  }

  // ---------------------------------------------------------------------------------------------------------
  // Command line

  /** The flags of the {@code Pretrain} job, with their defaults. */
  public static Flags flags() {
    return Flags.forJob("Pretrain", "ELECTRA pre-training (generator + discriminator, replaced-token detection)")
        .example("./electra Pretrain --pretrain_tfrecords=data/phase1/train --output_dir=runs --model_name=small "
            + "--model_size=small --train_batch_size=8 --num_train_steps=10000 --num_warmup_steps=1000")
        .example("./electra Pretrain --pretrain_tfrecords=data/phase2/train --output_dir=runs --model_name=small "
            + "--phase2 --learning_rate=4e-3 --num_train_steps=933 --num_warmup_steps=200")
        .example("./electra Pretrain --pretrain_tfrecords=s3://my-bucket/shards/phase1/train --aws_region=eu-west-1 "
            + "--output_dir=runs --model_name=small")
        .text("model_name", "electra", "run name: checkpoints and log.jsonl go to <output_dir>/<model_name>/")
        .text("model_size", "small", "discriminator preset: small, base or large")
        .text("model_config", null, "Hugging Face config.json of the discriminator (instead of --model_size)")
        .decimal("generator_hidden_size", 0.25, "generator width as a multiple of the discriminator's")
        .text("pretrain_tfrecords", null, "shard folder holding manifest.json: a local folder, gs://bucket/path or "
            + "s3://bucket/path")
        .text("output_dir", "runs", "parent folder of the run folder (local)")
        .text("endpoint", null, "s3:// only: the S3 API endpoint of an S3-compatible store (MinIO, Ceph), e.g. "
            + "http://host:9000; default AWS")
        .text("aws_region", null, "s3:// only: the bucket's AWS region (default: AWS_REGION or the AWS profile)")
        .text("s3_client_factory_class", null, "s3:// only: electra.beam.PathStyleS3ClientBuilderFactory "
            + "addresses buckets by path, as S3-compatible stores need")
        .text("vocab_file", VocabularyResolver.BERT_BASE_UNCASED,
            "vocab.txt path or bert-base-uncased; must be the shards' vocabulary")
        .integer("max_seq_length", 0, "tokens per sequence; 0 takes the shards' max_seq_length")
        .integer("train_batch_size", 8, "sequences per micro-batch")
        .integer("gradient_accumulation_steps", 1, "micro-batches per optimizer step")
        .integer("num_train_steps", 10000, "optimizer steps of this phase")
        .integer("num_warmup_steps", 2000, "linear warmup steps")
        .decimal("learning_rate", 5e-4, "peak learning rate")
        .decimal("end_lr", 0.0, "learning rate at the last step")
        .text("lr_decay_power", null, "polynomial decay exponent (default 0.5 for lamb, 1.0 for adam)")
        .text("optimizer", "lamb", "lamb (NVIDIA) or adam (Google's AdamW, no bias correction)")
        .text("beta1", null, "first-moment decay (default 0.878 for lamb, 0.9 for adam)")
        .text("beta2", null, "second-moment decay (default 0.974 for lamb, 0.999 for adam)")
        .decimal("epsilon", 1e-6, "optimizer epsilon")
        .decimal("weight_decay", 0.01, "decoupled weight decay (not on LayerNorm and biases)")
        .bool("skip_adaptive", true, "LAMB: no trust ratio for LayerNorm and biases")
        .decimal("clip_norm", 1.0, "global gradient-norm clip")
        .decimal("mask_prob", 0.15, "fraction of tokens masked (0.25 for large in the paper)")
        .decimal("disc_weight", 50.0, "weight of the discriminator loss")
        .decimal("temperature", 1.0, "sampling temperature of the generator")
        .integer("save_checkpoints_steps", 1000, "checkpoint every this many optimizer steps")
        .integer("keep_checkpoint_max", 5, "checkpoints kept")
        .text("restore_checkpoint", null, "latest, or a checkpoint folder: resume that run exactly")
        .text("init_checkpoint", null, "checkpoint folder whose weights and optimizer slots start this run")
        .bool("phase2", false, "phase 2: own step counter, starts from --init_checkpoint or the latest phase-1 "
            + "checkpoint of this run")
        .integer("seed", 12439, "seed of weights, data order, masking, sampling and dropout")
        .integer("log_freq", 10, "log every this many steps")
        .bool("amp", false, "automatic mixed precision (bf16 on CPU, fp16 with loss scaling on GPU)")
        .bool("xla", false, "XLA auto-clustering of the training step (global_jit_level ON_1, CPU included): "
            + "the first step prints how many clusters XLA compiled and stops the run if it compiled none; on CPU "
            + "the first step compiles for longer and later steps are not faster")
        .bool("follow", false, "keep training on shards added to the manifest while running (continuous "
            + "ingestion): at the end of the listed shards, read the new ones before starting another epoch; with "
            + "--workers each worker takes up the new shards dealt to it (shard i to worker i mod N)")
        .decimal("follow_timeout", 600, "with --follow: seconds to wait for new shards at the end of the listed "
            + "ones before another epoch over them; with --workers also added to the step timeouts, since the "
            + "other workers wait meanwhile")
        // data-parallel workers: electra.trainer.distributed.DataParallelSettings reads these
        .text("workers", null, "host:port of every worker's TensorFlow server, task order (or ELECTRA_WORKERS, "
            + "or Slurm's node list); one worker per GPU")
        .integer("task_index", -1, "this worker's index in --workers (or ELECTRA_TASK_INDEX, JOB_COMPLETION_INDEX, "
            + "SLURM_PROCID); 0 is the chief")
        .text("collective", "auto", "all-reduce implementation: auto, ring (gRPC) or nccl (GPUs)")
        .integer("step_timeout_s", 300, "a step waiting longer for the other workers fails the run")
        .integer("startup_timeout_s", 1800, "the same for the first step (graph optimisation, workers joining)");
  }

  /** Parses and checks a command line; mistakes are {@link UsageException}s naming the flag. */
  public static PretrainConfig parse(String... args) throws IOException {
    return fromFlags(flags().parse(args));
  }

  static PretrainConfig fromFlags(Flags.Values f) throws IOException {
    OptimizerKind optimizer = switch (f.text("optimizer").toLowerCase(Locale.ROOT)) {
      case "lamb" -> OptimizerKind.LAMB;
      case "adam", "adamw" -> OptimizerKind.ADAM;
      default -> throw new UsageException("--optimizer must be lamb or adam, got '" + f.text("optimizer") + "'");
    };
    boolean lamb = optimizer == OptimizerKind.LAMB;
    String init = f.text("init_checkpoint");
    return new PretrainConfig(
        f.text("model_name"),
        modelConfig(f),
        f.decimal("generator_hidden_size"),
        f.required("pretrain_tfrecords"),
        new ShardFiles.ObjectStores(f.text("endpoint"), f.text("aws_region"), f.text("s3_client_factory_class")),
        Path.of(f.text("output_dir")),
        f.text("vocab_file"),
        f.intValue("max_seq_length"),
        f.intValue("train_batch_size"),
        f.intValue("gradient_accumulation_steps"),
        f.integer("num_train_steps"),
        f.integer("num_warmup_steps"),
        f.decimal("learning_rate"),
        f.decimal("end_lr"),
        decimalOr(f, "lr_decay_power", lamb ? 0.5 : 1.0),
        optimizer,
        decimalOr(f, "beta1", lamb ? 0.878 : 0.9),
        decimalOr(f, "beta2", lamb ? 0.974 : 0.999),
        f.decimal("epsilon"),
        f.decimal("weight_decay"),
        f.bool("skip_adaptive"),
        f.decimal("clip_norm"),
        f.decimal("mask_prob"),
        1.0,
        f.decimal("disc_weight"),
        f.decimal("temperature"),
        f.integer("save_checkpoints_steps"),
        f.intValue("keep_checkpoint_max"),
        f.text("restore_checkpoint"),
        init == null || init.isBlank() ? null : Path.of(init),
        f.bool("phase2"),
        f.integer("seed"),
        f.integer("log_freq"),
        f.bool("amp"),
        f.bool("xla"),
        4,
        f.bool("follow"),
        f.decimal("follow_timeout"));
  }

  private static ElectraConfig modelConfig(Flags.Values f) throws IOException {
    String file = f.text("model_config");
    if (file != null && !file.isBlank()) {
      Path path = Path.of(file);
      if (!Files.isRegularFile(path)) {
        throw new UsageException("--model_config " + file + ": no such file");
      }
      try {
        return ElectraConfig.readJson(path);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--model_config " + e.getMessage());
      }
    }
    try {
      return ElectraConfig.preset(f.text("model_size"));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--model_size: " + e.getMessage());
    }
  }

  private static double decimalOr(Flags.Values f, String name, double fallback) {
    String v = f.text(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--" + name + " must be a number, got '" + v + "'");
    }
  }
}
