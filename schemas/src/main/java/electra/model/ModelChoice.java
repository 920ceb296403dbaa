package electra.model;

import electra.cli.Flag;
import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The architecture a job builds, as its command line chooses it: a preset of Google's recipe or a config.json. */
public record ModelChoice(
    @Flag(value = "discriminator preset: small, base or large", defaultValue = "small") String modelSize,
    @Flag("Hugging Face config.json of the discriminator (instead of --model_size)") Path modelConfig) {

  /**
   * The chosen architecture for the English vocabulary; a missing or malformed file and an unknown preset are usage
   * errors naming the flag.
   */
  public ElectraConfig resolve() {
    return resolve(ElectraConfig.BERT_VOCAB_SIZE);
  }

  /**
   * The chosen architecture for a vocabulary of {@code vocabularySize} tokens: a preset, or a config.json without
   * {@code vocab_size}, gets one word embedding per token (a vocabulary built from another corpus decides); a
   * config.json's own {@code vocab_size} stays.
   */
  public ElectraConfig resolve(int vocabularySize) {
    if (modelConfig != null) {
      if (!Files.isRegularFile(modelConfig)) {
        throw new UsageException("--model_config " + modelConfig + ": no such file");
      }
      try {
        return ElectraConfig.readJson(modelConfig, vocabularySize);
      } catch (IllegalArgumentException e) {
        throw new UsageException("--model_config " + e.getMessage());
      } catch (IOException e) {
        throw new UsageException("--model_config " + e.getMessage());
      }
    }
    try {
      return ElectraConfig.preset(modelSize).withVocabSize(vocabularySize);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--model_size: " + e.getMessage());
    }
  }

  /** {@code ELECTRA-small}, or the config file's name. */
  public String label() {
    return modelConfig != null ? modelConfig.getFileName().toString()
        : "ELECTRA-" + modelSize.toLowerCase(Locale.ROOT);
  }
}
