package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.beam.S3MockServer;
import electra.beam.ShardFiles;
import electra.records.ShardManifest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shards written to {@code s3://} through Beam's AWS IO, against S3Mock (a real S3 API server) on loopback. */
class S3OutputTest {

  private static final Path VOCAB =
      Path.of(System.getProperty("electra.shared.dir", "../shared"), "data/vocab/bert-base-uncased-vocab.txt");
  private static S3MockServer server;

  @BeforeAll
  static void startS3() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    server = S3MockServer.start("shards");
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void shardsAndManifestLandInTheBucketByteForByteAsLocally(@TempDir Path dir) throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(corpus.resolve("a.txt"), "The cat sat on the mat.\n\nDogs bark.\nThey run.\n\nBirds fly south.\n");
    List<String> common = List.of("--input=" + corpus, "--vocab_file=" + VOCAB, "--runner=DirectRunner",
        "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1", "--test_fraction=0",
        "--aws_region=us-east-1", "--endpoint=" + server.endpoint(),
        "--s3_client_factory_class=electra.beam.PathStyleS3ClientBuilderFactory");
    run(common, "--output=s3://shards/run1");
    run(common, "--output=" + dir.resolve("local"));

    ShardManifest remote = ShardFiles.readManifest("s3://shards/run1/phase1/train");
    ShardManifest local = ShardManifest.fromJson(Files.readString(dir.resolve("local/phase1/train/manifest.json")));
    assertEquals(local, remote);
    assertEquals(3, remote.records());
    for (ShardManifest.Shard shard : remote.shards()) {
      try (InputStream in = ShardFiles.open("s3://shards/run1/phase1/train", shard.file(), 0)) {
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
