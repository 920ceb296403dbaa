package electra.trainer.finetune;

import static electra.cli.UsageException.require;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.glue.GlueData;
import electra.glue.GlueTask;
import electra.trainer.distributed.DataParallelSettings;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every setting of one GLUE fine-tuning / evaluation / prediction run, checked when built. Defaults are Google's
 * recipe for ELECTRA-Small ({@code configure_finetuning.py} and the paper): learning rate 3e-4 with layer-wise decay
 * 0.8, 10% warmup, weight decay 0.01, batch 32, 128 tokens, 3 epochs (10 for RTE and STS-B).
 */
public record GlueConfig(
    @Flag(value = "the GLUE task; its folder name (SST-2, STS-B, ...) works too", required = true)
    GlueTask taskName,
    @Flag(value = "eval scores the dev split(s), prediction writes the test split(s) as GLUE submission files",
        defaultValue = "train_eval")
    FinetuneConfig.Mode mode,
    @Flag("Hugging Face folder (config.json, model.safetensors, vocab.txt) or a pre-training checkpoint folder "
        + "(ckpt-*) to start from")
    String electraModel,
    @Flag("fine-tuned checkpoint folder (ckpt-*) of this task to continue training from or to evaluate")
    Path initCheckpoint,
    @Flag(value = "the task's folder of the GLUE distribution (train.tsv, dev.tsv, test.tsv), or the folder holding "
        + "the task folders (CoLA/, SST-2/, ...)", required = true)
    Path dataDir,
    @Flag(value = "tokens per example: [CLS] A [SEP] B [SEP], the longer text cut first", defaultValue = "128")
    int maxSeqLength,
    FinetuneFlags.Tokenization tokenization,
    @Flag(value = "training epochs; 0: Google's for the task (3, 10 for RTE and STS-B)", defaultValue = "0")
    int numTrainEpochs,
    @Flag(value = "examples per training step and worker: the global batch is --workers x this", defaultValue = "32")
    int trainBatchSize,
    @Flag(value = "examples per prediction batch", defaultValue = "32")
    int predictBatchSize,
    @Flag(value = "peak learning rate (3e-4 ELECTRA-Small as in the paper; Google's code: 1e-4 base, 5e-5 large)",
        defaultValue = "3e-4")
    double learningRate,
    FinetuneFlags.Training training,
    @Flag("eval_results.json, <split>_predictions.tsv, the test submission TSVs, log.jsonl, loss_curves.png, "
        + "TensorBoard events and checkpoints/ go here")
    Path outputDir,
    Overwrite overwrite,
    @Flag(value = "use only the first N examples of each file (0 = all)", defaultValue = "0")
    int maxExamples,
    FinetuneFlags.Checkpointing checkpointing,
    @Flag(value = "MRPC and STS-B: train on every pair in both orders, as Google does (its double_unordered); no "
        + "effect on other tasks", defaultValue = "true")
    boolean doubleUnordered,
    @Flag("also write the model (trained, or the one evaluated) here for Hugging Face transformers "
        + "(ElectraForSequenceClassification: config.json with id2label, model.safetensors, vocab.txt, "
        + "tokenizer_config.json) and for Infer --task=classify (a SavedModel beside them)")
    Path exportDir) {

  public GlueConfig {
    require(taskName != null, "--task_name is required");
    require(mode != null, "--mode is required");
    electraModel = electraModel == null || electraModel.isBlank() ? null : electraModel;
    require(outputDir != null, "--output_dir is required");
    require(dataDir != null, "--data_dir is required");
    require(electraModel != null || initCheckpoint != null, "--mode " + mode.id() + " needs --electra_model "
        + "(a Hugging Face folder or pre-training checkpoint) or --init_checkpoint (a fine-tuned checkpoint)");
    numTrainEpochs = numTrainEpochs == 0 ? taskName.epochs() : numTrainEpochs;
    require(maxSeqLength >= 3 && maxSeqLength <= 512, "--max_seq_length must be in 3..512, got " + maxSeqLength);
    require(numTrainEpochs > 0, "--num_train_epochs must be positive (0: the task's default), got "
        + numTrainEpochs);
    require(trainBatchSize > 0, "--train_batch_size must be positive, got " + trainBatchSize);
    require(predictBatchSize > 0, "--predict_batch_size must be positive, got " + predictBatchSize);
    require(learningRate > 0, "--learning_rate must be positive, got " + learningRate);
    require(maxExamples >= 0, "--max_examples must be >= 0, got " + maxExamples);
  }

  /** The task's folder: {@code --data_dir} itself, or its subfolder named as the task's in the distribution. */
  public Path taskDir() {
    Path nested = dataDir.resolve(taskName.folder());
    return Files.isDirectory(nested) ? nested : dataDir;
  }

  /** A split's file, refused with the flags to mend when it is missing. */
  public Path split(String split) {
    Path file = GlueData.file(taskDir(), split);
    if (!Files.isRegularFile(file)) {
      throw new UsageException("--mode " + mode.id() + " needs " + file + "; --data_dir " + dataDir + " should be "
          + "the GLUE " + taskName.folder() + " folder (DownloadGlue --tasks=" + taskName.id() + ")");
    }
    return file;
  }

  /** What a run continuing this output folder must train from, as the run that started it (flags). */
  public String trainingWork() {
    return FinetuneConfig.asFlags("task_name", taskName.id(), "electra_model", electraModel, "init_checkpoint",
        initCheckpoint, "data_dir", dataDir);
  }

  /** Fine-tuning checkpoints: {@code <output_dir>/checkpoints/ckpt-<step>}. */
  public Path checkpointDir() {
    return outputDir.resolve("checkpoints");
  }

  /** The flags of the {@code FinetuneGlue} job. */
  public static Flags flags() {
    return Flags.forJob("FinetuneGlue", "GLUE fine-tuning (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI) "
            + "with a [CLS] classification (or STS-B regression) head; dev scores as EvalGlue computes them; test "
            + "predictions as GLUE submission files")
        .example("./electra FinetuneGlue --task_name=mrpc --electra_model=runs/small/discriminator "
            + "--data_dir=data/glue --output_dir=runs/glue/mrpc")
        .example("./electra FinetuneGlue --task_name=mnli --mode=prediction "
            + "--init_checkpoint=runs/glue/mnli/checkpoints/ckpt-036816 --data_dir=data/glue "
            + "--output_dir=runs/glue/mnli-test")
        .record(GlueConfig.class)
        .record(DataParallelSettings.CommandLine.class);
  }

  public static GlueConfig parse(String... args) {
    return flags().parse(args).record(GlueConfig.class);
  }
}
