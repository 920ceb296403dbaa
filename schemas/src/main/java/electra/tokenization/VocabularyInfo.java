package electra.tokenization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code BuildVocab} records beside the {@code vocab.txt} it writes ({@value #FILE_NAME}): among the settings,
 * whether the words it learnt from were lower-cased. A job that tokenizes with such a vocabulary must do the same, or
 * a cased vocabulary's capitals (or an uncased one's lower-case pieces for capitalised words) silently go unused.
 */
public final class VocabularyInfo {

  public static final String FILE_NAME = "vocab_info.json";

  private VocabularyInfo() {}

  /**
   * Refuses {@code doLowerCase} when the vocabulary was built with the other setting, as its {@value #FILE_NAME}
   * says; a vocabulary without one (the English one, any downloaded one) is not checked.
   */
  public static void requireCase(Vocabulary vocabulary, boolean doLowerCase) throws IOException {
    Path parent = Path.of(vocabulary.source()).toAbsolutePath().getParent();
    Path info = parent == null ? null : parent.resolve(FILE_NAME);
    if (info == null || !Files.isRegularFile(info)) {
      return;
    }
    JsonNode recorded = new ObjectMapper().readTree(info.toFile()).get("do_lower_case");
    if (recorded != null && recorded.isBoolean() && recorded.asBoolean() != doLowerCase) {
      throw new UsageException("the vocabulary " + vocabulary.source() + " was built with --do_lower_case="
          + recorded.asBoolean() + " (" + info + "): tokenize with --do_lower_case=" + recorded.asBoolean());
    }
  }
}
