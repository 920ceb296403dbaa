package electra.trainer.finetune;

import static electra.cli.UsageException.require;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.tagging.TaggingTask;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Every setting of one tagging fine-tuning / evaluation / prediction run, checked when built: FinetuneGlue's flags
 * ({@link GlueConfig}) with a tagging task and CoNLL files. Defaults are Google's recipe for ELECTRA-Small (learning
 * rate 3e-4 with layer-wise decay 0.8, 10% warmup, weight decay 0.01, batch 32, 128 tokens, 3 epochs).
 */
public record TaggingConfig(
    @Flag(value = "the tagging task: ner is CoNLL-2003-style named entities, chunk CoNLL-2000 chunking",
        required = true)
    TaggingTask taskName,
    @Flag(value = "eval scores the dev split, prediction tags the test split", defaultValue = "train_eval")
    FinetuneConfig.Mode mode,
    @Flag("Hugging Face folder (config.json, model.safetensors, vocab.txt) or a pre-training checkpoint folder "
        + "(ckpt-*) to start from; to evaluate, a token classifier with its labels (as --export_dir writes it)")
    String electraModel,
    @Flag("fine-tuned checkpoint folder (ckpt-*) of this task to continue training from or to evaluate")
    Path initCheckpoint,
    @Flag(value = "the folder of CoNLL files train.txt, dev.txt (or valid.txt) and test.txt: a word per line, its "
        + "tag last, a blank line after each sentence", required = true)
    Path dataDir,
    @Flag(value = "tokens per sentence: [CLS] WordPieces [SEP]; the words beyond are predicted O and counted",
        defaultValue = "128")
    int maxSeqLength,
    FinetuneFlags.Tokenization tokenization,
    @Flag(value = "training epochs; 0: Google's (3)", defaultValue = "0")
    int numTrainEpochs,
    @Flag(value = "sentences per training step", defaultValue = "32")
    int trainBatchSize,
    @Flag(value = "sentences per prediction batch", defaultValue = "32")
    int predictBatchSize,
    @Flag(value = "peak learning rate (3e-4 ELECTRA-Small as in the paper; Google's code: 1e-4 base, 5e-5 large)",
        defaultValue = "3e-4")
    double learningRate,
    FinetuneFlags.Training training,
    @Flag("eval_results.json, <split>_predictions.txt, log.jsonl, loss_curves.png, TensorBoard events and "
        + "checkpoints/ go here")
    Path outputDir,
    Overwrite overwrite,
    @Flag(value = "use only the first N sentences of each file (0 = all)", defaultValue = "0")
    int maxExamples,
    FinetuneFlags.Checkpointing checkpointing,
    @Flag("also write the model (trained, or the one evaluated) here for Hugging Face transformers "
        + "(ElectraForTokenClassification: config.json with id2label, model.safetensors, vocab.txt, "
        + "tokenizer_config.json) and for Infer --task=tag (a SavedModel beside them)")
    Path exportDir) {

  public TaggingConfig {
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

  /** A split's file, refused with the flags to mend when it is missing. */
  public Path split(String split) {
    Path file = TaggingTask.file(dataDir, split);
    if (!Files.isRegularFile(file)) {
      throw new UsageException("--mode " + mode.id() + " needs " + file + ": --data_dir " + dataDir + " should "
          + "hold the task's CoNLL files train.txt, dev.txt and test.txt");
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

  /** The flags of the {@code FinetuneTagging} job. */
  public static Flags flags() {
    return Flags.forJob("FinetuneTagging", "token tagging fine-tuning (CoNLL-2003-style named entities, CoNLL-2000 "
            + "chunking) with a token classification head on each word's first WordPiece; dev scores by chunks as "
            + "conlleval (and EvalTagging) counts them; test predictions in CoNLL format")
        .example("./electra FinetuneTagging --task_name=ner --electra_model=runs/small/discriminator "
            + "--data_dir=data/conll2003 --output_dir=runs/ner")
        .example("./electra FinetuneTagging --task_name=chunk --mode=prediction "
            + "--init_checkpoint=runs/chunk/checkpoints/ckpt-001168 --data_dir=data/conll2000 "
            + "--output_dir=runs/chunk-test")
        .record(TaggingConfig.class);
  }

  public static TaggingConfig parse(String... args) {
    return flags().parse(args).record(TaggingConfig.class);
  }
}
