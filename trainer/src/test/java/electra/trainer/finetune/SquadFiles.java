package electra.trainer.finetune;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared reference folder's files these tests use; a test is skipped, saying why, when they are absent. */
final class SquadFiles {

  private SquadFiles() {}

  static Path shared(String relative) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (reference data lives there)");
    Path p = Path.of(shared, relative);
    assumeTrue(Files.exists(p), "skipped: " + p + " not found (electra.shared.dir=" + shared + ")");
    return p;
  }

  static Path goldenQa() {
    return shared("golden/tiny-discriminator-qa");
  }

  static Path vocab() {
    return shared("data/vocab/bert-base-uncased-vocab.txt");
  }

  static Path devV1() {
    return shared("data/squad/dev-v1.1.json.gz");
  }

  static Path devV2() {
    return shared("data/squad/dev-v2.0.first5articles.UNVERIFIED.json.gz");
  }
}
