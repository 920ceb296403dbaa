package electra.tokenization;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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
    Optional<Boolean> recorded = recordedLowerCase(vocabulary);
    if (recorded.isPresent() && recorded.get() != doLowerCase) {
      throw new UsageException("the vocabulary " + vocabulary.source() + " was built with --do_lower_case="
          + recorded.get() + " (" + file(vocabulary) + "): tokenize with --do_lower_case=" + recorded.get());
    }
  }

  /**
   * Whether the vocabulary was built from lower-cased words, as its {@value #FILE_NAME} says; empty for a vocabulary
   * without one.
   */
  public static Optional<Boolean> recordedLowerCase(Vocabulary vocabulary) throws IOException {
    Path info = file(vocabulary);
    if (info == null || !Files.isRegularFile(info)) {
      return Optional.empty();
    }
    JsonNode recorded = new ObjectMapper().readTree(info.toFile()).get("do_lower_case");
    return recorded != null && recorded.isBoolean() ? Optional.of(recorded.asBoolean()) : Optional.empty();
  }

  /** Where the vocabulary's {@value #FILE_NAME} would be: next to its file; null for one without a folder. */
  private static Path file(Vocabulary vocabulary) {
    Path parent = Path.of(vocabulary.source()).toAbsolutePath().getParent();
    return parent == null ? null : parent.resolve(FILE_NAME);
  }
}
