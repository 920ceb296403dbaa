package electra.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Hugging Face folder's {@code tokenizer_config.json}, which tells {@code AutoTokenizer} whether to lower-case;
 * without it, it lower-cases, and a cased vocabulary's capitals would silently go unused. Every folder the project
 * writes for Hugging Face (pre-training's, SQuAD's, the classifiers') writes it here.
 */
public final class TokenizerConfig {

  public static final String FILE = "tokenizer_config.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TokenizerConfig() {}

  /**
   * Writes the settings the vocabulary was used with; {@code strip_accents} follows the lower-casing;
   * {@code modelMaxLength} is the tokens per input the model was fine-tuned with, 0 when it has none.
   */
  public static void write(Path dir, boolean doLowerCase, int modelMaxLength) throws IOException {
    ObjectNode config = JSON.createObjectNode();
    config.put("tokenizer_class", "ElectraTokenizer");
    config.put("do_lower_case", doLowerCase);
    config.putNull("strip_accents");
    config.put("tokenize_chinese_chars", true);
    if (modelMaxLength > 0) {
      config.put("model_max_length", modelMaxLength);
    }
    Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(config) + "\n");
  }
}
