package electra.trainer.model;

import electra.export.TokenizerConfig;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenizer half of a Hugging Face folder: {@code vocab.txt} and {@code tokenizer_config.json}
 * ({@link TokenizerConfig}).
 */
public final class HuggingFaceTokenizer {

  public static final String VOCAB_FILE = "vocab.txt";
  public static final String CONFIG_FILE = TokenizerConfig.FILE;

  private HuggingFaceTokenizer() {}

  /** Writes the vocabulary and the settings it was used with; {@code strip_accents} follows the lower-casing. */
  public static void write(Path dir, Vocabulary vocabulary, boolean doLowerCase) throws IOException {
    Files.write(dir.resolve(VOCAB_FILE), vocabulary.fileBytes());
    TokenizerConfig.write(dir, doLowerCase, 0);
  }
}
