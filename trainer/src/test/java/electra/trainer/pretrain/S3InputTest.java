package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.beam.S3MockServer;
import electra.beam.ShardFiles;
import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.trainer.runtime.DataPosition;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Pretrain --pretrain_tfrecords=s3://...} against S3Mock (a real S3 API server): the same as a local folder. */
class S3InputTest {

  private static final String BUCKET_DIR = "s3://shards/run1/phase1/train";

  @TempDir
  Path tmp;

  @Test
  void trainingFromS3GivesTheLossesOfTheSameShardsReadLocally() throws Exception {
    Path local = BookShards.write(tmp.resolve("phase1"), 64, 2, 24, null);
    Path config = BookShards.tinyConfig(tmp);
    Path vocab = BookShards.vocabFile(BookShards.shared());
    try (S3MockServer s3 = S3MockServer.start("shards")) {
      ShardFiles.use(s3.objectStores());
      try (var files = Files.list(local)) {
        for (Path file : files.toList()) {
          upload(file);
        }
      }

      List<Double> fromS3 = train(config, vocab, "s3", BUCKET_DIR, "--endpoint=" + s3.endpoint(),
          "--aws_region=us-east-1", "--s3_client_factory_class=electra.beam.PathStyleS3ClientBuilderFactory");
      List<Double> fromDisk = train(config, vocab, "local", local.toString());
      System.out.println("losses from s3:// " + fromS3 + ", from the local folder " + fromDisk);
      assertEquals(3, fromS3.size());
      assertEquals(fromDisk, fromS3, "same records, same seed: the same losses to the last bit");

      // a resumed run opens its shard at the checkpoint's byte offset: seek in the S3 object
      ShardFiles.use(s3.objectStores()); // the local run set Beam's file systems back to the defaults
      ShardManifest manifest = ShardStream.readManifest(BUCKET_DIR);
      assertEquals(ShardStream.readManifest(local.toString()), manifest);
      DataPosition middle;
      List<PretrainingExample> expected = new ArrayList<>();
      try (ShardStream disk = new ShardStream(local.toString(), manifest, 3, DataPosition.START)) {
        for (int i = 0; i < 30; i++) { // into the second shard of the epoch
          disk.next();
        }
        middle = disk.position();
        for (int i = 0; i < 5; i++) {
          expected.add(disk.next());
        }
      }
      try (ShardStream remote = new ShardStream(BUCKET_DIR, manifest, 3, middle)) {
        for (PretrainingExample e : expected) {
          PretrainingExample got = remote.next();
          assertArrayEquals(e.inputIds(), got.inputIds(), "record after " + middle);
          assertArrayEquals(e.segmentIds(), got.segmentIds(), "record after " + middle);
        }
      }
    } finally {
      ShardFiles.use(ShardFiles.ObjectStores.DEFAULTS);
    }
  }

  private static void upload(Path file) throws Exception {
    var target = FileSystems.matchNewResource(BUCKET_DIR, true)
        .resolve(file.getFileName().toString(), StandardResolveOptions.RESOLVE_FILE);
    try (OutputStream out = Channels.newOutputStream(FileSystems.create(target, "application/octet-stream"))) {
      Files.copy(file, out);
    }
  }

  private List<Double> train(Path config, Path vocab, String name, String shards, String... objectStore)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("--model_name=" + name, "--model_config=" + config,
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + shards, "--output_dir=" + tmp.resolve("runs"),
        "--vocab_file=" + vocab, "--train_batch_size=8", "--num_train_steps=3", "--num_warmup_steps=0",
        "--learning_rate=1e-2", "--seed=3"));
    args.addAll(List.of(objectStore));
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return new Trainer(PretrainConfig.parse(args.toArray(String[]::new)), quiet).run().losses();
  }
}
