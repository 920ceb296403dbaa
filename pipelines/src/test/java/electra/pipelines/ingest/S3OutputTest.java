package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.beam.BeamStorage;
import electra.beam.S3MockServer;
import electra.beam.ShardFiles;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.records.ShardManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards written to {@code s3://} through Beam's AWS IO, against S3Mock (a real S3 API server) on loopback, under the
 * same output rule as local folders.
 */
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

  private static List<String> common(Path dir) throws IOException {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Files.writeString(corpus.resolve("a.txt"), "The cat sat on the mat.\n\nDogs bark.\nThey run.\n\nBirds fly south.\n");
    return List.of("--input=" + corpus, "--vocab_file=" + VOCAB, "--runner=DirectRunner",
        "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1", "--test_fraction=0",
        "--aws_region=us-east-1", "--endpoint=" + server.endpoint(),
        "--s3_client_factory_class=electra.beam.PathStyleS3ClientBuilderFactory");
  }

  @Test
  void shardsAndManifestLandInTheBucketByteForByteAsLocally(@TempDir Path dir) throws Exception {
    List<String> common = common(dir);
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

  /**
   * The output rule in a bucket, where a folder is the objects under its prefix: an earlier run's output is refused
   * naming --overwrite, and --overwrite deletes the objects under {@code run2/} and none under {@code run2-beside/}.
   */
  @Test
  void anEarlierRunsShardsInTheBucketAreRefusedAndOverwriteReplacesOnlyThem(@TempDir Path dir) throws Exception {
    List<String> common = common(dir);
    run(common, "--output=s3://shards/run2");
    BeamStorage.INSTANCE.write("s3://shards/run2", "stale.txt", "left by the first run");
    BeamStorage.INSTANCE.write("s3://shards/run2-beside", "keep.txt", "another folder's");

    UsageException refused = assertThrows(UsageException.class, () -> run(common, "--output=s3://shards/run2"));
    assertEquals("s3://shards/run2 holds an earlier IngestText run's output; --overwrite replaces it (deletes it "
        + "first), or choose another folder", refused.getMessage());

    run(common, "--output=s3://shards/run2", "--overwrite");
    List<String> objects = objects("s3://shards/run2/");
    assertFalse(objects.contains("stale.txt"), objects.toString());
    assertTrue(objects.containsAll(List.of(OutputFolder.MARKER, "phase1/train/manifest.json")), objects.toString());
    assertEquals(Optional.of("another folder's"), BeamStorage.INSTANCE.read("s3://shards/run2-beside", "keep.txt"));
  }

  /** The objects under {@code prefix}, by their names below it. */
  private static List<String> objects(String prefix) throws IOException {
    return FileSystems.match(prefix + "**").metadata().stream()
        .map(m -> m.resourceId().toString().substring(prefix.length())).sorted().toList();
  }

  private static void run(List<String> common, String... more) throws Exception {
    String[] args = Stream.concat(common.stream(), Stream.of(more)).toArray(String[]::new);
    new IngestJobs.IngestText().run(args);
  }
}
