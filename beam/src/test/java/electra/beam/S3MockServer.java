package electra.beam;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Assumptions;

/**
 * S3Mock (a real S3 API server) in a child JVM on loopback, for tests of {@code s3://} paths; each module that uses
 * it copies the jar to {@code target/s3mock/s3mock.jar} (the root pom's {@code s3mock-for-tests} execution).
 */
public final class S3MockServer implements AutoCloseable {

  private static final Path JAR = Path.of("target/s3mock/s3mock.jar");

  private final Process process;
  private final int port;

  private S3MockServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts a server holding the empty {@code bucket} and sets dummy AWS credentials for this JVM; skips the test
   * when the jar is missing.
   */
  public static S3MockServer start(String bucket) throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(JAR), "S3Mock jar not at " + JAR + " (the build copies it)");
    int port = freePort();
    Path store = Files.createTempDirectory("s3mock");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-Xmx384m", "-jar", JAR.toString(),
        "--com.adobe.testing.s3mock.httpPort=" + port, "--server.port=" + freePort(),
        "--com.adobe.testing.s3mock.store.initialBuckets=" + bucket, "--com.adobe.testing.s3mock.store.root=" + store)
        .redirectErrorStream(true).redirectOutput(store.resolveSibling(store.getFileName() + ".log").toFile()).start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException notYet) {
        assertTrue(process.isAlive() && Instant.now().isBefore(deadline), "S3Mock did not start");
        Thread.sleep(250);
      }
    }
    // the AWS SDK's default credential chain reads these; S3Mock accepts any
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
    return new S3MockServer(process, port);
  }

  /** The endpoint for {@code --endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  /** How every job reaches this server: endpoint, a region, and path-style bucket addressing. */
  public ShardFiles.ObjectStores objectStores() {
    return new ShardFiles.ObjectStores(endpoint(), "us-east-1", PathStyleS3ClientBuilderFactory.class.getName());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    process.waitFor();
  }
}
