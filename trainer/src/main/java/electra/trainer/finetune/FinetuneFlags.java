package electra.trainer.finetune;

import static electra.cli.UsageException.require;

import electra.cli.Flag;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.tokenization.WordpieceTokenizer;
import electra.trainer.distributed.Replication;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.SessionConfigs;
import org.tensorflow.proto.ConfigProto;

/**
 * The flags every fine-tuning job (FinetuneSquad {@link FinetuneConfig}, FinetuneGlue {@link GlueConfig},
 * FinetuneTagging {@link TaggingConfig}) has with the same meaning, default and checks, each declared once here as a
 * nested record of the jobs' settings. Three records and not one: {@link electra.cli.Flags#record} lists a nested
 * record's flags where the record stands, and the shared flags stand in three places of every job's {@code --help}.
 *
 * <p>What stays a job's own: flags whose default or wording differs by job, as the peak learning rate and the epochs
 * (SQuAD 1e-4 for 2 epochs; GLUE and tagging 3e-4 for the task's epochs), the window length, the batch sizes (of
 * windows, examples or sentences) and the output folder's contents. A flag has one default, so those are declared in
 * each job's record.
 */
public final class FinetuneFlags {

  private FinetuneFlags() {}

  /** The vocabulary and its casing; the file itself is resolved with the starting model ({@link FinetuneSource}). */
  public record Tokenization(
      @Flag(value = "lower-case and strip accents (uncased vocabularies)", defaultValue = "true")
      boolean doLowerCase,
      @Flag("vocab.txt or bert-base-uncased (default: <electra_model>/vocab.txt if present, else "
          + VocabularyResolver.BERT_BASE_UNCASED + ")")
      String vocabFile) {

    public Tokenization {
      vocabFile = vocabFile == null || vocabFile.isBlank() ? null : vocabFile;
    }

    /** The tokenizer of the resolved {@code vocabulary} with this casing, words up to NVIDIA's length. */
    public BertTokenizer tokenizer(Vocabulary vocabulary) {
      return new BertTokenizer(vocabulary, doLowerCase, WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD);
    }
  }

  /** How each step trains: the schedule's shape beside the job's peak learning rate, precision, XLA and the seed. */
  public record Training(
      @Flag(value = "layer-wise learning-rate decay (0.8 small/base, 0.9 large, 1 = off)", defaultValue = "0.8")
      double layerwiseLrDecay,
      @Flag(value = "fraction of steps with linear warmup", defaultValue = "0.1")
      double warmupProportion,
      @Flag(value = "decoupled weight decay (not on LayerNorm and biases)", defaultValue = "0.01")
      double weightDecay,
      @Flag(value = "automatic mixed precision (bf16 on CPU, fp16 with loss scaling on GPU)", defaultValue = "false")
      boolean amp,
      @Flag(value = "XLA JIT compilation", defaultValue = "false")
      boolean xla,
      @Flag(value = "seed of the head's initial weights, data order and dropout", defaultValue = "12439")
      long seed) {

    public Training {
      require(layerwiseLrDecay > 0 && layerwiseLrDecay <= 1, "--layerwise_lr_decay must be in (0, 1], got "
          + layerwiseLrDecay);
      require(warmupProportion >= 0 && warmupProportion <= 1, "--warmup_proportion must be in [0, 1], got "
          + warmupProportion);
      require(weightDecay >= 0, "--weight_decay must be >= 0, got " + weightDecay);
    }

    /**
     * Whether {@code --amp} or {@code --xla} will run on a GPU, which decides fp16 or bf16 and the loss scaling; a
     * job asks once, as the answer opens a TensorFlow session.
     */
    public boolean gpu() {
      return (amp || xla) && SessionConfigs.gpuAvailable();
    }

    /** The session's mixed precision and XLA, as these flags and {@code gpu} have them. */
    public ConfigProto sessionConfig(boolean gpu) {
      return SessionConfigs.training(amp, xla, gpu);
    }

    /**
     * The training side of a fine-tuning graph: AdamW with this weight decay (and loss scaling for fp16 on a
     * {@code gpu}), the layer-wise decay and the seed; {@code replication} is the workers of a data-parallel run, or
     * null for one process.
     */
    public FinetuneGraph.Training graph(boolean gpu, Replication replication) {
      return new FinetuneGraph.Training(OptimizerGraph.Settings.fineTuning(weightDecay, amp && gpu), layerwiseLrDecay,
          seed, replication);
    }
  }

  /** What a run keeps and how often it writes: checkpoints and log lines. */
  public record Checkpointing(
      @Flag(value = "checkpoints kept", defaultValue = "2")
      int keepCheckpointMax,
      @Flag(value = "also checkpoint every this many steps within an epoch (0: only at the end of each epoch); a "
          + "restarted run resumes from the latest", defaultValue = "1000")
      int saveCheckpointsSteps,
      @Flag(value = "log every this many steps (console, log.jsonl, TensorBoard)", defaultValue = "50")
      int logFreq) {

    public Checkpointing {
      require(keepCheckpointMax > 0, "--keep_checkpoint_max must be positive, got " + keepCheckpointMax);
      require(saveCheckpointsSteps >= 0, "--save_checkpoints_steps must be >= 0 (0: at the end of each epoch only), "
          + "got " + saveCheckpointsSteps);
      require(logFreq > 0, "--log_freq must be positive, got " + logFreq);
    }
  }
}
