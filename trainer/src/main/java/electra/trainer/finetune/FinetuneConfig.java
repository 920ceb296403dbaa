package electra.trainer.finetune;

import electra.cli.Flags;
import electra.cli.UsageException;
import electra.export.QaHead;
import electra.tokenization.VocabularyResolver;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Every setting of one SQuAD fine-tuning / evaluation run (spec §6), checked when built. Defaults: NVIDIA's
 * windows (384 / 128 / 64) and beam 5, Google's joint head, optimizer (AdamW without bias correction, weight decay
 * 0.01, clip 1.0), learning rate 1e-4 with layer-wise decay 0.8 and 10% warmup, 2 epochs, batch 32.
 */
public record FinetuneConfig(
    Mode mode,
    String electraModel,          // HF folder (config.json + model.safetensors) or a pre-training checkpoint folder
    Path initCheckpoint,          // a fine-tuned checkpoint folder to continue from / evaluate
    Path trainFile,               // SQuAD JSON (.gz ok)
    Path trainTfrecords,          // PrepareSquad training shards (instead of --train_file)
    Path predictFile,             // SQuAD JSON (.gz ok) to predict / evaluate
    boolean version2,             // SQuAD 2.0: unanswerable questions, null odds
    int maxSeqLength,
    int docStride,
    int maxQueryLength,
    int nBestSize,
    int maxAnswerLength,
    QaHead head,                  // Google's joint head or the simple qa_outputs head
    int beamSize,
    double nullScoreDiffThreshold,
    boolean doLowerCase,
    String vocabFile,             // null: <electra_model>/vocab.txt when there, else bert-base-uncased
    int numTrainEpochs,
    int trainBatchSize,
    int predictBatchSize,
    double learningRate,
    double layerwiseLrDecay,
    double warmupProportion,
    double weightDecay,
    boolean amp,
    boolean xla,
    long seed,
    Path outputDir,
    int maxExamples,              // 0 = all questions
    int keepCheckpointMax,
    int saveCheckpointsSteps,     // 0: only at the end of each epoch
    int logFreq,
    Path exportHfDir) {           // null: none; else the simple head's Hugging Face QA folder, written after training

  /** What the run does. */
  public enum Mode {
    TRAIN, EVAL, TRAIN_EVAL, PREDICTION;

    public boolean trains() {
      return this == TRAIN || this == TRAIN_EVAL;
    }

    public boolean predicts() {
      return this != TRAIN;
    }
  }

  public FinetuneConfig {
    require(mode != null, "--mode is required");
    require(head != null, "--head is required (joint or simple)");
    require(outputDir != null, "--output_dir is required");
    if (mode.trains()) {
      require(trainFile != null || trainTfrecords != null, "--mode " + name(mode) + " needs --train_file or "
          + "--train_tfrecords");
      require(trainFile == null || trainTfrecords == null, "give --train_file or --train_tfrecords, not both");
      require(electraModel != null || initCheckpoint != null, "--mode " + name(mode) + " needs --electra_model "
          + "(a Hugging Face folder or pre-training checkpoint) or --init_checkpoint");
    } else {
      require(electraModel != null || initCheckpoint != null, "--mode " + name(mode) + " needs --init_checkpoint "
          + "(a fine-tuned checkpoint) or --electra_model (a Hugging Face QA folder)");
    }
    if (mode.predicts()) {
      require(predictFile != null, "--mode " + name(mode) + " needs --predict_file");
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
    require(layerwiseLrDecay > 0 && layerwiseLrDecay <= 1, "--layerwise_lr_decay must be in (0, 1], got "
        + layerwiseLrDecay);
    require(warmupProportion >= 0 && warmupProportion <= 1, "--warmup_proportion must be in [0, 1], got "
        + warmupProportion);
    require(weightDecay >= 0, "--weight_decay must be >= 0, got " + weightDecay);
    require(maxExamples >= 0, "--max_examples must be >= 0, got " + maxExamples);
    require(keepCheckpointMax > 0, "--keep_checkpoint_max must be positive, got " + keepCheckpointMax);
    require(saveCheckpointsSteps >= 0, "--save_checkpoints_steps must be >= 0 (0: at the end of each epoch only), "
        + "got " + saveCheckpointsSteps);
    require(logFreq > 0, "--log_freq must be positive, got " + logFreq);
    if (exportHfDir != null) {
      require(mode.trains(), "--export_hf_dir needs --mode train or train_eval");
      require(head == QaHead.SIMPLE, "--export_hf_dir needs --head=simple: the joint head has no Hugging Face "
          + "counterpart");
    }
  }

  private static String name(Mode m) {
    return m.name().toLowerCase(Locale.ROOT);
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new UsageException(message);
    }
  }

  /** Fine-tuning checkpoints: {@code <output_dir>/checkpoints/ckpt-<step>}. */
  public Path checkpointDir() {
    return outputDir.resolve("checkpoints");
  }

  // ---------------------------------------------------------------------------------------------------------

  public static Flags flags() {
    return Flags.forJob("FinetuneSquad", "SQuAD fine-tuning, evaluation and prediction (joint or simple QA head)")
        .example("./electra FinetuneSquad --mode=train_eval --electra_model=runs/small/discriminator "
            + "--train_file=data/squad/train-v1.1.json --predict_file=data/squad/dev-v1.1.json --output_dir=runs/squad")
        .example("./electra FinetuneSquad --mode=eval --init_checkpoint=runs/squad/checkpoints/ckpt-005474 "
            + "--predict_file=data/squad/dev-v1.1.json --output_dir=runs/squad-eval")
        .text("mode", "train_eval", "train, eval, train_eval or prediction (predictions without scoring)")
        .text("electra_model", null, "Hugging Face folder (config.json, model.safetensors, vocab.txt) or a "
            + "pre-training checkpoint folder (ckpt-*) to start from")
        .text("init_checkpoint", null, "fine-tuned checkpoint folder (ckpt-*) to continue training from or to evaluate")
        .text("train_file", null, "SQuAD training JSON (.json or .json.gz)")
        .text("train_tfrecords", null, "PrepareSquad training shards folder (instead of --train_file)")
        .text("predict_file", null, "SQuAD JSON to predict and evaluate (.json or .json.gz)")
        .bool("version_2_with_negative", false, "SQuAD 2.0: questions may have no answer")
        .integer("max_seq_length", 384, "tokens per window")
        .integer("doc_stride", 128, "distance between window starts, in WordPieces")
        .integer("max_query_length", 64, "question WordPieces kept")
        .integer("n_best_size", 20, "n-best answers kept per question (and start/end logits tried per window)")
        .integer("max_answer_length", 30, "longest answer in WordPieces")
        .text("head", QaHead.JOINT.id(), "the QA head: joint (Google's start->end head with answerability) or "
            + "simple (Hugging Face's qa_outputs: start/end logits); recorded in every checkpoint for ExportModel")
        .integer("beam_size", 5, "joint head: start and end beam width (NVIDIA 5, Google 20)")
        .text("null_score_diff_threshold", null, "v2.0: predict no answer above this null-odds score "
            + "(default -2.75 for the joint head's answerable logit, 0.0 for the simple head)")
        .bool("do_lower_case", true, "lower-case and strip accents (uncased vocabularies)")
        .text("vocab_file", null, "vocab.txt or bert-base-uncased (default: <electra_model>/vocab.txt if present, "
            + "else " + VocabularyResolver.BERT_BASE_UNCASED + ")")
        .integer("num_train_epochs", 2, "training epochs (a checkpoint after each)")
        .integer("train_batch_size", 32, "windows per training step")
        .integer("predict_batch_size", 32, "windows per prediction batch")
        .decimal("learning_rate", 1e-4, "peak learning rate (Google: 1e-4 small/base, 5e-5 large; paper 3e-4 small)")
        .decimal("layerwise_lr_decay", 0.8, "layer-wise learning-rate decay (0.8 small/base, 0.9 large, 1 = off)")
        .decimal("warmup_proportion", 0.1, "fraction of steps with linear warmup")
        .decimal("weight_decay", 0.01, "decoupled weight decay (not on LayerNorm and biases)")
        .bool("amp", false, "automatic mixed precision (bf16 on CPU, fp16 with loss scaling on GPU)")
        .bool("xla", false, "XLA JIT compilation")
        .integer("seed", 12439, "seed of the head's initial weights, data order and dropout")
        .text("output_dir", null, "predictions, eval_results.json, log.jsonl, loss_curves.png, TensorBoard events "
            + "and checkpoints/ go here")
        .integer("max_examples", 0, "use only the first N questions of each file (0 = all)")
        .integer("keep_checkpoint_max", 2, "checkpoints kept")
        .integer("save_checkpoints_steps", 1000, "also checkpoint every this many steps within an epoch (0: only at "
            + "the end of each epoch); a restarted run resumes from the latest")
        .integer("log_freq", 50, "log every this many steps (console, log.jsonl, TensorBoard)")
        .text("export_hf_dir", null, "after training, write the simple head's model as a Hugging Face "
            + "ElectraForQuestionAnswering folder here (config.json, model.safetensors, vocab.txt; for ExportModel)");
  }

  public static FinetuneConfig parse(String... args) {
    Flags.Values f = flags().parse(args);
    Mode mode;
    try {
      mode = Mode.valueOf(f.text("mode").trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--mode must be train, eval, train_eval or prediction, got '" + f.text("mode") + "'");
    }
    QaHead head = parseHead(f.text("head"));
    double nullThreshold = nullScoreDiffThreshold(f.text("null_score_diff_threshold"), head);
    String output = f.text("output_dir");
    return new FinetuneConfig(mode, blankToNull(f.text("electra_model")), path(f.text("init_checkpoint")),
        path(f.text("train_file")), path(f.text("train_tfrecords")), path(f.text("predict_file")),
        f.bool("version_2_with_negative"), f.intValue("max_seq_length"), f.intValue("doc_stride"),
        f.intValue("max_query_length"), f.intValue("n_best_size"), f.intValue("max_answer_length"), head,
        f.intValue("beam_size"), nullThreshold, f.bool("do_lower_case"), blankToNull(f.text("vocab_file")),
        f.intValue("num_train_epochs"), f.intValue("train_batch_size"), f.intValue("predict_batch_size"),
        f.decimal("learning_rate"), f.decimal("layerwise_lr_decay"), f.decimal("warmup_proportion"),
        f.decimal("weight_decay"), f.bool("amp"), f.bool("xla"), f.integer("seed"), path(output),
        f.intValue("max_examples"), f.intValue("keep_checkpoint_max"), f.intValue("save_checkpoints_steps"),
        f.intValue("log_freq"),
        path(f.text("export_hf_dir")));
  }

  /** The {@code --head} flag: {@code joint} or {@code simple}, in any case. */
  public static QaHead parseHead(String flag) {
    try {
      return QaHead.parse(flag == null ? "" : flag.trim().toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--head: " + e.getMessage());
    }
  }

  /** The {@code --null_score_diff_threshold} flag: a number, or blank for the head's default. */
  public static double nullScoreDiffThreshold(String flag, QaHead head) {
    if (flag == null || flag.isBlank()) {
      return head.defaultNullScoreDiffThreshold();
    }
    try {
      return Double.parseDouble(flag.trim());
    } catch (NumberFormatException e) {
      throw new UsageException("--null_score_diff_threshold must be a number, got '" + flag + "'");
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static Path path(String s) {
    return s == null || s.isBlank() ? null : Path.of(s);
  }
}
