package electra.trainer.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tokenizer half of a Hugging Face folder: {@code vocab.txt} and {@code tokenizer_config.json}, which tells
 * {@code AutoTokenizer} whether to lower-case; without it, it lower-cases, and a cased vocabulary's capitals would
 * silently go unused.
 */
public final class HuggingFaceTokenizer {

  public static final String VOCAB_FILE = "vocab.txt";
  public static final String CONFIG_FILE = "tokenizer_config.json";

  private HuggingFaceTokenizer() {}

  /** Writes the vocabulary and the settings it was used with; {@code strip_accents} follows the lower-casing. */
  public static void write(Path dir, Vocabulary vocabulary, boolean doLowerCase) throws IOException {
    Files.write(dir.resolve(VOCAB_FILE), vocabulary.fileBytes());
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = json.createObjectNode();
    config.put("tokenizer_class", "ElectraTokenizer");
    config.put("do_lower_case", doLowerCase);
    config.putNull("strip_accents");
    config.put("tokenize_chinese_chars", true);
    Files.writeString(dir.resolve(CONFIG_FILE), config.toPrettyString() + "\n");
  }
}
