package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.ShardManifest;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards written to {@code s3://} through Beam's AWS IO, against S3Mock (a real S3 API server) on loopback. */
class S3OutputTest {

  private static final Path S3MOCK = Path.of("target/s3mock/s3mock.jar");
  private static final Path VOCAB =
      Path.of(System.getProperty("electra.shared.dir", "../shared"), "data/vocab/bert-base-uncased-vocab.txt");
  private static Process server;
  private static int port;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @BeforeAll
  static void startS3() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(S3MOCK), "S3Mock jar not at " + S3MOCK + " (the build copies it)");
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    port = freePort();
    Path store = Files.createTempDirectory("s3mock");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    server = new ProcessBuilder(java, "-Xmx384m", "-jar", S3MOCK.toString(),
        "--com.adobe.testing.s3mock.httpPort=" + port, "--server.port=" + freePort(),
        "--com.adobe.testing.s3mock.store.initialBuckets=shards", "--com.adobe.testing.s3mock.store.root=" + store)
        .redirectErrorStream(true).redirectOutput(store.resolveSibling(store.getFileName() + ".log").toFile()).start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
    while (true) {
      try (Socket ignored = new Socket("127.0.0.1", port)) {
        break;
      } catch (IOException notYet) {
        assertTrue(server.isAlive() && Instant.now().isBefore(deadline), "S3Mock did not start");
        Thread.sleep(250);
      }
    }
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (server != null) {
      server.destroy();
      server.waitFor();
    }
  }

  @Test
  void shardsAndManifestLandInTheBucketByteForByteAsLocally(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(corpus.resolve("a.txt"), "The cat sat on the mat.\n\nDogs bark.\nThey run.\n\nBirds fly south.\n");
    List<String> common = List.of("--input=" + corpus, "--vocab_file=" + VOCAB, "--runner=DirectRunner",
        "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1", "--test_fraction=0",
        "--awsRegion=us-east-1", "--endpoint=http://127.0.0.1:" + port,
        "--s3ClientFactoryClass=electra.pipelines.io.PathStyleS3ClientBuilderFactory");
    run(common, "--output=s3://shards/run1");
    run(common, "--output=" + dir.resolve("local"));

    ShardManifest remote = IngestJobs.readManifest("s3://shards/run1/phase1/train");
    ShardManifest local = ShardManifest.fromJson(Files.readString(dir.resolve("local/phase1/train/manifest.json")));
    assertEquals(local, remote);
    assertEquals(3, remote.records());
    for (ShardManifest.Shard shard : remote.shards()) {
      var file = FileSystems.matchNewResource("s3://shards/run1/phase1/train", true)
          .resolve(shard.file(), StandardResolveOptions.RESOLVE_FILE);
      try (InputStream in = Channels.newInputStream(FileSystems.open(file))) {
        assertArrayEquals(Files.readAllBytes(dir.resolve("local/phase1/train").resolve(shard.file())), in.readAllBytes(),
            shard.file());
      }
    }
  }

  private static void run(List<String> common, String output) throws Exception {
    String[] args = java.util.stream.Stream.concat(common.stream(), java.util.stream.Stream.of(output))
        .toArray(String[]::new);
    new IngestJobs.IngestText().run(args);
  }
}
