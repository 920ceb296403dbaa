package electra.trainer.finetune;

import static electra.cli.UsageException.require;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.export.QaHead;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.runtime.Presets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Every setting of one SQuAD fine-tuning / evaluation run (spec §6), checked when built. Defaults: NVIDIA's
 * windows (384 / 128 / 64) and beam 5, Google's joint head, optimizer (AdamW without bias correction, weight decay
 * 0.01, clip 1.0), learning rate 1e-4 with layer-wise decay 0.8 and 10% warmup, 2 epochs, batch 32.
 */
public record FinetuneConfig(
    @Flag(value = "what the run does; prediction writes predictions without scoring", defaultValue = "train_eval")
    Mode mode,
    @Flag(Presets.FLAG_HELP)
    String preset,
    @Flag("Hugging Face folder (config.json, model.safetensors, vocab.txt) or a pre-training checkpoint folder "
        + "(ckpt-*) to start from")
    String electraModel,
    @Flag("fine-tuned checkpoint folder (ckpt-*) to continue training from or to evaluate")
    Path initCheckpoint,
    @Flag("SQuAD training JSON (.json or .json.gz)")
    Path trainFile,
    @Flag("PrepareSquad training shards folder (instead of --train_file)")
    Path trainTfrecords,
    @Flag("SQuAD JSON to predict and evaluate (.json or .json.gz)")
    Path predictFile,
    @Flag(value = "SQuAD 2.0: questions may have no answer", name = "version_2_with_negative", defaultValue = "false")
    boolean version2,
    @Flag(value = "tokens per window", defaultValue = "384")
    int maxSeqLength,
    @Flag(value = "distance between window starts, in WordPieces", defaultValue = "128")
    int docStride,
    @Flag(value = "question WordPieces kept", defaultValue = "64")
    int maxQueryLength,
    @Flag(value = "n-best answers kept per question (and start/end logits tried per window)", defaultValue = "20")
    int nBestSize,
    @Flag(value = "longest answer in WordPieces", defaultValue = "30")
    int maxAnswerLength,
    @Flag(value = "the QA head: joint (Google's start->end head with answerability) or simple (Hugging Face's "
        + "qa_outputs: start/end logits); recorded in every checkpoint for ExportModel", defaultValue = "joint")
    QaHead head,
    @Flag(value = "joint head: start and end beam width (NVIDIA 5, Google 20)", defaultValue = "5")
    int beamSize,
    @Flag("v2.0: predict no answer above this null-odds score (default -2.75 for the joint head's answerable logit, "
        + "0.0 for the simple head)")
    Double nullScoreDiffThreshold,
    @JsonUnwrapped // settings.json lists the shared flags among the others, by their flag names
    FinetuneFlags.Tokenization tokenization,
    @Flag(value = "training epochs (a checkpoint after each)", defaultValue = "2")
    int numTrainEpochs,
    @Flag(value = "windows per training step and worker: the global batch is --workers x this", defaultValue = "32")
    int trainBatchSize,
    @Flag(value = "windows per prediction batch", defaultValue = "32")
    int predictBatchSize,
    @Flag(value = "peak learning rate (Google: 1e-4 small/base, 5e-5 large; paper 3e-4 small)", defaultValue = "1e-4")
    double learningRate,
    @JsonUnwrapped
    FinetuneFlags.Training training,
    @Flag("predictions, eval_results.json, log.jsonl, loss_curves.png, TensorBoard events and checkpoints/ go here")
    Path outputDir,
    Overwrite overwrite,
    @Flag(value = "use only the first N questions of each file (0 = all)", defaultValue = "0")
    int maxExamples,
    @JsonUnwrapped
    FinetuneFlags.Checkpointing checkpointing,
    @Flag("after training, write the simple head's model as a Hugging Face ElectraForQuestionAnswering folder here "
        + "(config.json, model.safetensors, vocab.txt; for ExportModel)")
    Path exportHfDir) {

  /** What the run does. */
  public enum Mode {
    TRAIN, EVAL, TRAIN_EVAL, PREDICTION;

    public boolean trains() {
      return this == TRAIN || this == TRAIN_EVAL;
    }

    public boolean predicts() {
      return this != TRAIN;
    }

    /** The mode as {@code --mode} spells it. */
    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public FinetuneConfig {
    require(mode != null, "--mode is required");
    require(head != null, "--head is required (joint or simple)");
    electraModel = electraModel == null || electraModel.isBlank() ? null : electraModel;
    nullScoreDiffThreshold = nullScoreDiffThreshold != null ? nullScoreDiffThreshold
        : head.defaultNullScoreDiffThreshold();
    require(outputDir != null, "--output_dir is required");
    if (mode.trains()) {
      require(trainFile != null || trainTfrecords != null, "--mode " + mode.id() + " needs --train_file or "
          + "--train_tfrecords");
      require(trainFile == null || trainTfrecords == null, "give --train_file or --train_tfrecords, not both");
      require(electraModel != null || initCheckpoint != null, "--mode " + mode.id() + " needs --electra_model "
          + "(a Hugging Face folder or pre-training checkpoint) or --init_checkpoint");
    } else {
      require(electraModel != null || initCheckpoint != null, "--mode " + mode.id() + " needs --init_checkpoint "
          + "(a fine-tuned checkpoint) or --electra_model (a Hugging Face QA folder)");
    }
    if (mode.predicts()) {
      require(predictFile != null, "--mode " + mode.id() + " needs --predict_file");
    }
    require(maxSeqLength > 0 && maxSeqLength <= 512, "--max_seq_length must be in 1..512, got " + maxSeqLength);
    require(docStride > 0, "--doc_stride must be positive, got " + docStride);
    require(maxQueryLength > 0, "--max_query_length must be positive, got " + maxQueryLength);
    require(maxSeqLength >= maxQueryLength + 4, "--max_seq_length " + maxSeqLength + " leaves no room for the "
        + "context after --max_query_length " + maxQueryLength + " (needs at least max_query_length + 4)");
    require(nBestSize > 0, "--n_best_size must be positive, got " + nBestSize);
    require(maxAnswerLength > 0, "--max_answer_length must be positive, got " + maxAnswerLength);
    require(beamSize > 0 && beamSize <= maxSeqLength, "--beam_size must be in 1..max_seq_length, got " + beamSize);
    require(!Double.isNaN(nullScoreDiffThreshold), "--null_score_diff_threshold must be a number");
    require(numTrainEpochs > 0, "--num_train_epochs must be positive, got " + numTrainEpochs);
    require(trainBatchSize > 0, "--train_batch_size must be positive, got " + trainBatchSize);
    require(predictBatchSize > 0, "--predict_batch_size must be positive, got " + predictBatchSize);
    require(learningRate > 0, "--learning_rate must be positive, got " + learningRate);
    require(maxExamples >= 0, "--max_examples must be >= 0, got " + maxExamples);
    if (exportHfDir != null) {
      require(mode.trains(), "--export_hf_dir needs --mode train or train_eval");
      require(head == QaHead.SIMPLE, "--export_hf_dir needs --head=simple: the joint head has no Hugging Face "
          + "counterpart");
    }
  }

  /**
   * What a run continuing this output folder must train from, as the run that started it: the starting weights, the
   * training data and the head, said as flags (the checkpoints check the rest: seed, window length, batch size).
   */
  public String trainingWork() {
    return asFlags("electra_model", electraModel, "init_checkpoint", initCheckpoint, "train_file", trainFile,
        "train_tfrecords", trainTfrecords, "head", head.id());
  }

  /** Name-value pairs as {@code --name=value} flags, leaving out null values: a fine-tuning run's work. */
  static String asFlags(Object... namesAndValues) {
    List<String> flags = new ArrayList<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        flags.add("--" + namesAndValues[i] + "=" + namesAndValues[i + 1]);
      }
    }
    return String.join(" ", flags);
  }

  /** Fine-tuning checkpoints: {@code <output_dir>/checkpoints/ckpt-<step>}. */
  public Path checkpointDir() {
    return outputDir.resolve("checkpoints");
  }

  /** The flags of the {@code FinetuneSquad} job. */
  public static Flags flags() {
    return Flags.forJob("FinetuneSquad", "SQuAD fine-tuning, evaluation and prediction (joint or simple QA head)")
        .example("./electra FinetuneSquad --mode=train_eval --electra_model=runs/small/discriminator "
            + "--train_file=data/squad/train-v1.1.json --predict_file=data/squad/dev-v1.1.json --output_dir=runs/squad")
        .example("./electra FinetuneSquad --mode=eval --init_checkpoint=runs/squad/checkpoints/ckpt-005474 "
            + "--predict_file=data/squad/dev-v1.1.json --output_dir=runs/squad-eval")
        .example("./electra FinetuneSquad --workers=host1:2222,host2:2222 --task_index=0 --mode=train_eval "
            + "--electra_model=runs/small/discriminator --train_file=data/squad/train-v1.1.json "
            + "--predict_file=data/squad/dev-v1.1.json --output_dir=runs/squad --train_batch_size=16")
        .record(FinetuneConfig.class)
        .record(DataParallelSettings.CommandLine.class);
  }

  public static FinetuneConfig parse(String... args) {
    return flags().parse(args).record(FinetuneConfig.class);
  }
}
