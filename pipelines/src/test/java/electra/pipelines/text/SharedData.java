package electra.pipelines.text;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The reference files in the shared folder ({@code -Delectra.shared.dir}, set by surefire); tests skip without it. */
public final class SharedData {

  static final String WIKI_SAMPLE =
      "data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2";
  static final String WIKI_TABLES = "data/wikipedia/enwiki-table-markup.xml.bz2";

  private SharedData() {}

  /** The shared file at {@code relative}, or a skipped test saying why it is not there. */
  public static Path file(String relative) {
    String dir = System.getProperty("electra.shared.dir");
    assumeTrue(dir != null, "system property electra.shared.dir is not set: test needs the shared reference data");
    Path file = Path.of(dir).resolve(relative);
    assumeTrue(Files.isRegularFile(file), "shared reference file " + file + " is absent: test skipped");
    return file;
  }
}
