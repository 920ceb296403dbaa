package electra.pipelines.download;

import electra.data.FileServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** What the download jobs' tests share: a local server per test, a folder to download into, and the job's output. */
abstract class LocalServerTest {

  @TempDir Path dir;
  FileServer server;
  ByteArrayOutputStream out;

  @BeforeEach
  void start() throws IOException {
    server = new FileServer();
    out = new ByteArrayOutputStream();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** What the job printed so far. */
  String out() {
    return out.toString(StandardCharsets.UTF_8);
  }
}
