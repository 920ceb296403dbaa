package electra.tokenization;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The read-only reference data in {@code ../shared} (system property electra.shared.dir); tests skip without it. */
final class SharedData {

  private static Vocabulary vocabulary;

  private SharedData() {}

  static Path dir() {
    String property = System.getProperty("electra.shared.dir");
    Path dir = property == null ? null : Path.of(property);
    assumeTrue(dir != null && Files.isDirectory(dir.resolve("data")),
        "skipped: reference data folder not found (electra.shared.dir=" + property
            + "); it is ../shared beside the repository");
    return dir;
  }

  static Path vocabFile() {
    return dir().resolve("data/vocab/bert-base-uncased-vocab.txt");
  }

  static Path booksDir() {
    return dir().resolve("data/books");
  }

  /** The real uncased BERT vocabulary, loaded once per test JVM. */
  static synchronized Vocabulary vocabulary() {
    Path file = vocabFile();
    if (vocabulary == null) {
      try {
        vocabulary = Vocabulary.load(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return vocabulary;
  }
}
