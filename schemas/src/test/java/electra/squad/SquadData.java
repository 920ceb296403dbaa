package electra.squad;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The SQuAD files in the read-only reference data ({@code electra.shared.dir}); tests skip without them. */
final class SquadData {

  private SquadData() {}

  static Path devV11() {
    return file("squad/dev-v1.1.json.gz");
  }

  /** The first five articles of dev-v2.0 (1407 questions; see ../shared/data/README.md). */
  static Path devV20First5Articles() {
    return file("squad/dev-v2.0.first5articles.UNVERIFIED.json.gz");
  }

  /** The uncased BERT vocabulary of every released ELECTRA. */
  static Path vocab() {
    return file("vocab/bert-base-uncased-vocab.txt");
  }

  static Path predictions(String name) {
    return file("squad-predictions/" + name + ".predictions.json.gz");
  }

  private static Path file(String relative) {
    String property = System.getProperty("electra.shared.dir");
    Path file = property == null ? null : Path.of(property, "data", relative);
    assumeTrue(file != null && Files.isRegularFile(file), "skipped: reference file " + relative
        + " not found (electra.shared.dir=" + property + "); it is ../shared beside the repository");
    return file;
  }
}
