package electra.trainer.finetune;

import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a fine-tuning run's model comes from, as every fine-tuning job's flags say it: the architecture, the
 * vocabulary, and the starting weights: a Hugging Face folder or a pre-training checkpoint ({@code --electra_model}),
 * or a fine-tuned checkpoint ({@code --init_checkpoint}) of the same head.
 */
public record FinetuneSource(ElectraConfig config, String vocabFile, Path huggingFace, Path pretrainCheckpoint,
    Path initCheckpoint) {

  /**
   * Reads the flags: {@code electraModel} (or null), {@code initCheckpoint} (or null) and {@code vocabFile} (null:
   * the Hugging Face folder's vocab.txt if it has one, else bert-base-uncased).
   */
  public static FinetuneSource resolve(String electraModel, Path initCheckpoint, String vocabFile)
      throws IOException {
    ElectraConfig config = null;
    Path hf = null;
    Path pretrain = null;
    Path vocabDir = null;
    if (electraModel != null) {
      Path dir = Path.of(electraModel);
      if (Files.isRegularFile(dir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
        hf = dir;
        config = readConfig(dir.resolve(HuggingFaceWeights.CONFIG_FILE), "--electra_model");
        vocabDir = dir;
      } else if (Files.isRegularFile(dir.resolve(Checkpoints.MODEL + ".index"))) {
        pretrain = dir;
        config = readConfig(dir.toAbsolutePath().getParent().resolve("discriminator_config.json"), "--electra_model");
      } else {
        throw new UsageException("--electra_model " + dir + " is neither a Hugging Face folder (config.json + "
            + "model.safetensors) nor a pre-training checkpoint folder (model.index + state.json)");
      }
    }
    if (initCheckpoint != null) {
      if (!Files.isRegularFile(initCheckpoint.resolve(Checkpoints.MODEL + ".index"))) {
        throw new UsageException("--init_checkpoint " + initCheckpoint + " is not a checkpoint folder (needs "
            + "model.index)");
      }
      if (config == null) {
        config = readConfig(initCheckpoint.toAbsolutePath().getParent().resolve(HuggingFaceWeights.CONFIG_FILE),
            "--init_checkpoint");
      }
    }
    String vocab = vocabFile;
    if (vocab == null) {
      vocab = vocabDir != null && Files.isRegularFile(vocabDir.resolve("vocab.txt"))
          ? vocabDir.resolve("vocab.txt").toString() : VocabularyResolver.BERT_BASE_UNCASED;
    }
    return new FinetuneSource(config, vocab, hf, pretrain, initCheckpoint);
  }

  private static ElectraConfig readConfig(Path file, String flag) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new UsageException(flag + ": no model config at " + file);
    }
    try {
      return ElectraConfig.readJson(file);
    } catch (IllegalArgumentException e) {
      throw new UsageException(flag + ": " + file + ": " + e.getMessage());
    }
  }

  /**
   * The vocabulary, refused when a pre-training checkpoint was trained with another one (by fingerprint), when it was
   * built for the other casing than {@code doLowerCase}, or when the model's embeddings have fewer rows than it has
   * tokens.
   */
  public Vocabulary vocabulary(boolean doLowerCase) throws IOException {
    Vocabulary vocab = Vocabulary.resolve(vocabFile);
    if (pretrainCheckpoint != null) {
      String trainedWith = Checkpoints.readState(pretrainCheckpoint).vocabFingerprint();
      if (trainedWith != null && !trainedWith.equals(vocab.fingerprint())) {
        throw new UsageException("checkpoint " + pretrainCheckpoint + " was pre-trained with the vocabulary "
            + "sha256 " + trainedWith + " but --vocab_file " + vocab.source() + " has " + vocab.fingerprint()
            + ": give --vocab_file the vocab.txt its shards were ingested with");
      }
    }
    VocabularyInfo.requireCase(vocab, doLowerCase);
    if (vocab.size() > config.vocabSize()) {
      throw new UsageException("the vocabulary " + vocab.source() + " has " + vocab.size() + " tokens but the model's "
          + "vocab_size is " + config.vocabSize());
    }
    return vocab;
  }

  /**
   * Loads the starting weights of a fresh training run: the fine-tuned checkpoint if given, else the pre-trained
   * discriminator (the head keeps its seeded initial values unless the Hugging Face folder has it).
   */
  public void loadForTraining(FinetuneGraph graph, PrintStream out) throws IOException {
    if (initCheckpoint != null) {
      graph.loadFinetuned(initCheckpoint.resolve(Checkpoints.MODEL));
      out.println("initialized from fine-tuned checkpoint " + initCheckpoint);
    } else {
      loadPretrained(graph, out);
    }
  }

  /** Loads the model to predict with; returns the step it was trained to (0 for a Hugging Face folder). */
  public long loadForPrediction(FinetuneGraph graph, PrintStream out) throws IOException {
    if (initCheckpoint != null) {
      graph.loadFinetuned(initCheckpoint.resolve(Checkpoints.MODEL));
      out.println("evaluating checkpoint " + initCheckpoint);
      return Checkpoints.readState(initCheckpoint).step();
    }
    loadPretrained(graph, out);
    return 0;
  }

  private void loadPretrained(FinetuneGraph graph, PrintStream out) throws IOException {
    if (huggingFace != null) {
      HuggingFaceWeights.Report r = graph.loadHuggingFace(huggingFace);
      out.println("loaded " + r.loaded().size() + " tensors from " + huggingFace
          + (r.leftAsInitialised().isEmpty() ? "" : "; new: " + r.leftAsInitialised()));
    } else {
      graph.loadPretrained(pretrainCheckpoint.resolve(Checkpoints.MODEL));
      out.println("loaded the discriminator from pre-training checkpoint " + pretrainCheckpoint);
    }
  }
}
