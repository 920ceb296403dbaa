package electra.tokenization;

import electra.data.SampleData;
import electra.data.SampleFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Finds a vocabulary by path or by the name {@value #BERT_BASE_UNCASED}, which {@link SampleData} finds: the
 * checkout's {@code shared/data} copy, the cached download, or a new download verified against its SHA-256.
 *
 * @param data where named vocabularies come from
 */
public record VocabularyResolver(SampleData data) {

  /** The uncased English BERT vocabulary that every released ELECTRA model uses. */
  public static final String BERT_BASE_UNCASED = "bert-base-uncased";

  public VocabularyResolver {
    Objects.requireNonNull(data, "data");
  }

  /** The resolver a user's environment describes ({@link SampleData#fromEnvironment()}). */
  public static VocabularyResolver fromEnvironment() {
    return new VocabularyResolver(SampleData.fromEnvironment());
  }

  /**
   * Loads the named vocabulary or the file at the path.
   *
   * @throws NoSuchFileException when a path (not the known name) does not exist
   * @throws IOException when the download fails or a copy has the wrong checksum
   */
  public Vocabulary resolve(String nameOrPath) throws IOException {
    if (BERT_BASE_UNCASED.equals(nameOrPath)) {
      return Vocabulary.load(data.locate(SampleFile.BERT_VOCABULARY).file());
    }
    Path file = Path.of(nameOrPath);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(nameOrPath, null,
          "no vocabulary file there; give the path of a vocab.txt or the name " + BERT_BASE_UNCASED);
    }
    return Vocabulary.load(file);
  }
}
