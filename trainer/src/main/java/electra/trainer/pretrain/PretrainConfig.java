package electra.trainer.pretrain;

import static electra.cli.UsageException.require;

import electra.beam.ShardFiles;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.model.ModelChoice;
import electra.tokenization.VocabularyResolver;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.runtime.LearningRateSchedule;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.OptimizerKind;
import electra.trainer.runtime.Presets;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;

/**
 * Every hyper-parameter of one pre-training run (spec §2.8 and §3), each declared once as the flag that sets it, and
 * checked when built. Defaults follow NVIDIA's recipe (LAMB, warmup then polynomial decay with power 0.5) with
 * Google's masking, generator sizing and loss weights; {@code --optimizer=adam} switches to Google's AdamW (no bias
 * correction, β 0.9/0.999, power 1).
 */
public record PretrainConfig(
    @Flag(Presets.FLAG_HELP)
    String preset,
    @Flag(value = "run name: checkpoints and log.jsonl go to <output_dir>/<model_name>/", defaultValue = "electra")
    String modelName,
    ModelChoice model,
    ElectraConfig discriminator, // derived from model: the preset or the config file
    @Flag(value = "generator width as a multiple of the discriminator's", defaultValue = "0.25")
    double generatorHiddenSize,
    @Flag(value = "shard folder holding manifest.json: a local folder, gs://bucket/path or s3://bucket/path",
        required = true)
    String pretrainTfrecords,
    @Flag(value = "parent folder of the run folder (local)", defaultValue = "runs")
    Path outputDir,
    Overwrite overwrite,
    ShardFiles.ObjectStores objectStores,
    @Flag(value = "vocab.txt path or bert-base-uncased; must be the shards' vocabulary",
        defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
    String vocabFile,
    @Flag(value = "tokens per sequence; 0 takes the shards' max_seq_length", defaultValue = "0")
    int maxSeqLength,
    @Flag(value = "sequences per micro-batch", defaultValue = "8")
    int trainBatchSize,
    @Flag(value = "micro-batches summed into one optimizer step", defaultValue = "1")
    int gradientAccumulationSteps,
    @Flag(value = "optimizer steps of this phase", defaultValue = "10000")
    long numTrainSteps,
    @Flag(value = "steps of linear warmup", defaultValue = "2000")
    long numWarmupSteps,
    @Flag(value = "peak learning rate", defaultValue = "5e-4")
    double learningRate,
    @Flag(value = "learning rate at the last step (NVIDIA's end_lr)", name = "end_lr", defaultValue = "0")
    double endLearningRate,
    @Flag("exponent of the polynomial decay after warmup (default 0.5 for lamb, 1.0 for adam)")
    Double lrDecayPower,
    @Flag(value = "the update rule: NVIDIA's LAMB, or Google's AdamW (adam, no bias correction)",
        defaultValue = "lamb")
    OptimizerKind optimizer,
    @Flag("first-moment decay (default 0.878 for lamb, 0.9 for adam)")
    Double beta1,
    @Flag("second-moment decay (default 0.974 for lamb, 0.999 for adam)")
    Double beta2,
    @Flag(value = "added to sqrt(v)", defaultValue = "1e-6")
    double epsilon,
    @Flag(value = "decoupled weight decay, not applied to LayerNorm and biases", defaultValue = "0.01")
    double weightDecay,
    @Flag(value = "LAMB: trust ratio 1 for LayerNorm and biases (NVIDIA's --skip_adaptive)", defaultValue = "true")
    boolean skipAdaptive,
    @Flag(value = "global gradient-norm clip", defaultValue = "1.0")
    double clipNorm,
    @Flag(value = "fraction of real tokens masked (0.25 for large in the paper)", defaultValue = "0.15")
    double maskProb,
    @Flag(value = "weight of the generator (MLM) loss", defaultValue = "1.0")
    double genWeight,
    @Flag(value = "weight of the discriminator (replaced-token) loss", defaultValue = "50.0")
    double discWeight,
    @Flag(value = "softmax temperature when sampling replacements", defaultValue = "1.0")
    double temperature,
    @Flag(value = "checkpoint every this many optimizer steps (and at the end)", defaultValue = "1000")
    long saveCheckpointsSteps,
    @Flag(value = "keep the newest this many checkpoints", defaultValue = "5")
    int keepCheckpointMax,
    @Flag("latest, or a checkpoint folder: resume that run exactly")
    String restoreCheckpoint,
    @Flag("checkpoint folder whose weights and optimizer slots start this run (step counter reset)")
    Path initCheckpoint,
    @Flag(value = "phase 2: own step counter and checkpoint names ckpt-p2-*, starts from --init_checkpoint or the "
        + "latest phase-1 checkpoint of this run", defaultValue = "false")
    boolean phase2,
    @Flag(value = "seed of initial weights, data order, masking, sampling and dropout", defaultValue = "12439")
    long seed,
    @Flag(value = "log line every this many optimizer steps", defaultValue = "10")
    long logFreq,
    @Flag(value = "automatic mixed precision (bf16 on CPU, fp16 with loss scaling on GPU)", defaultValue = "false")
    boolean amp,
    @Flag(value = "XLA auto-clustering of the training step (global_jit_level ON_1, CPU included): the first step "
        + "prints how many clusters XLA compiled and stops the run if it compiled none; on CPU the first step "
        + "compiles for longer and later steps are not faster", defaultValue = "false")
    boolean xla,
    @Flag(value = "batches the background reader prepares ahead", defaultValue = "4")
    int prefetchBatches,
    @Flag(value = "keep training on shards added to the manifest while running (continuous ingestion): at the end "
        + "of the listed shards, read the new ones before starting another epoch; with --workers each worker takes "
        + "up the new shards dealt to it (shard i to worker i mod N)", defaultValue = "false")
    boolean follow,
    @Flag(value = "with --follow: seconds to wait for new shards at the end of the listed ones before another epoch "
        + "over them; with --workers also added to the step timeouts, since the other workers wait meanwhile",
        name = "follow_timeout", defaultValue = "600")
    double followTimeoutSeconds) {

  public PretrainConfig {
    require(modelName != null && modelName.matches("[A-Za-z0-9._-]+"),
        "--model_name must be a plain folder name (letters, digits, . _ -), got '" + modelName + "'");
    require(model != null || discriminator != null, "a model size or config is required");
    discriminator = discriminator != null ? discriminator : model.resolve();
    require(generatorHiddenSize > 0 && generatorHiddenSize <= 1, "--generator_hidden_size must be in (0, 1], got "
        + generatorHiddenSize);
    require(pretrainTfrecords != null && !pretrainTfrecords.isBlank(), "--pretrain_tfrecords is required");
    String scheme = ShardFiles.unsupportedScheme(pretrainTfrecords);
    require(scheme == null, "--pretrain_tfrecords " + pretrainTfrecords + ": " + scheme + ":// is not supported; "
        + "give a local folder, gs:// or s3://");
    objectStores = objectStores != null ? objectStores : ShardFiles.ObjectStores.DEFAULTS;
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
    require(optimizer != null, "--optimizer is required");
    boolean lamb = optimizer == OptimizerKind.LAMB;
    lrDecayPower = lrDecayPower != null ? lrDecayPower : lamb ? 0.5 : 1.0;
    beta1 = beta1 != null ? beta1 : lamb ? 0.878 : 0.9;
    beta2 = beta2 != null ? beta2 : lamb ? 0.974 : 0.999;
    require(lrDecayPower > 0, "--lr_decay_power must be positive, got " + lrDecayPower);
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
    require(prefetchBatches > 0, "--prefetch_batches must be positive, got " + prefetchBatches);
    require(followTimeoutSeconds >= 0, "--follow_timeout must be >= 0 seconds, got " + followTimeoutSeconds);
    if (restoreCheckpoint != null && restoreCheckpoint.isBlank()) {
      restoreCheckpoint = null;
    }
  }

  /**
   * These settings for a vocabulary of {@code vocabularySize} tokens: a preset model, or a config.json without
   * {@code vocab_size}, gets one word embedding per token ({@link ModelChoice#resolve(int)}), so a vocabulary built
   * from another corpus sizes the model; a config.json's own {@code vocab_size} stays.
   */
  public PretrainConfig forVocabulary(int vocabularySize) {
    if (model == null) {
      return this;
    }
    ElectraConfig sized = model.resolve(vocabularySize);
    if (sized.equals(discriminator)) {
      return this;
    }
    // a copy with one component replaced, through the canonical constructor, so it checks itself again
    RecordComponent[] components = PretrainConfig.class.getRecordComponents();
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    try {
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
        values[i] = components[i].getName().equals("discriminator") ? sized
            : components[i].getAccessor().invoke(this);
      }
      return PretrainConfig.class.getDeclaredConstructor(types).newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot copy the pre-training settings", e);
    }
  }

  /**
   * The generator's architecture: this run's width multiplier as NVIDIA's {@code get_generator_config} applies it,
   * rounded up to a multiple of 64 so that heads stay 64 wide ({@code --model_size=large
   * --generator_hidden_size=0.3333333}: 341 -> 384, 6 heads). Google's rounding differs only where the width is not
   * a multiple of 64 (small at 1/3: 85 wide with one head, here 128 with two); the released checkpoints and Google's
   * defaults are multiples of 64 either way. A discriminator whose width is not a multiple of 64 (the tiny test
   * models) has no 64-wide heads to keep and takes Google's plain rounding.
   */
  public ElectraConfig generator() {
    return discriminator.generator(generatorHiddenSize, 1.0, discriminator.hiddenSize() % 64 == 0);
  }

  /** N, masked slots per sequence of the given length: int((mask_prob + 0.005) × length), spec §2.2. */
  public int maxPredictionsPerSeq(int length) {
    return Math.max(1, (int) ((maskProb + 0.005) * length));
  }

  /** Sequences per optimizer step. */
  public int sequencesPerStep() {
    return trainBatchSize * gradientAccumulationSteps;
  }

  /** The optimizer's update rule and constants; loss scaling for fp16 mixed precision. */
  public OptimizerGraph.Settings optimizerSettings(boolean lossScaling) {
    return new OptimizerGraph.Settings(optimizer, beta1, beta2, epsilon, weightDecay, skipAdaptive, clipNorm,
        gradientAccumulationSteps, lossScaling);
  }

  public LearningRateSchedule learningRateSchedule() {
    return new LearningRateSchedule(learningRate, endLearningRate, numWarmupSteps, numTrainSteps, lrDecayPower);
  }

  /** {@code <outputDir>/<modelName>}: checkpoints and logs. */
  public Path runDir() {
    return outputDir.resolve(modelName);
  }

  /** Checkpoint names of this phase: {@code ckpt-<step>} or {@code ckpt-p2-<step>}. */
  public String checkpointPrefix() {
    return checkpointPrefix(phase2);
  }

  /** Checkpoint names of phase 1 ({@code ckpt-<step>}) or phase 2 ({@code ckpt-p2-<step>}, its own step counter). */
  public static String checkpointPrefix(boolean phase2) {
    return phase2 ? "ckpt-p2-" : "ckpt-";
  }

  /** The flags of the {@code Pretrain} job: these settings and the data-parallel ones. */
  public static Flags flags() {
    return Flags.forJob("Pretrain", "ELECTRA pre-training (generator + discriminator, replaced-token detection)")
        .example("./electra Pretrain --pretrain_tfrecords=data/phase1/train --output_dir=runs --model_name=small "
            + "--model_size=small --train_batch_size=8 --num_train_steps=10000 --num_warmup_steps=1000")
        .example("./electra Pretrain --pretrain_tfrecords=data/phase2/train --output_dir=runs --model_name=small "
            + "--phase2 --learning_rate=4e-3 --num_train_steps=933 --num_warmup_steps=200")
        .example("./electra Pretrain --pretrain_tfrecords=s3://my-bucket/shards/phase1/train --aws_region=eu-west-1 "
            + "--output_dir=runs --model_name=small")
        .record(PretrainConfig.class)
        .record(DataParallelSettings.CommandLine.class);
  }

  /** Parses and checks a command line; mistakes are {@link UsageException}s naming the flag. */
  public static PretrainConfig parse(String... args) {
    return flags().parse(args).record(PretrainConfig.class);
  }
}
