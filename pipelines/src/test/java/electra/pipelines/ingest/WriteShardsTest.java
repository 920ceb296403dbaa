package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WriteShardsTest {

  private static final String FINGERPRINT = "ab".repeat(32);

  private static List<KV<String, byte[]>> records(int n) {
    List<KV<String, byte[]>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(KV.of("doc" + (i / 7) + "#" + (i % 7), ("record-" + i).getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  private static void write(PipelineOptions options, Path dir, int shards, List<KV<String, byte[]>> records) {
    Pipeline p = Pipeline.create(options);
    p.apply(Create.of(records).withCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of())))
        .apply(WriteShards.toOneSet())
        .apply(new WriteShards(dir.toString(), ShardNames.batch(shards),
            new ShardManifest(16, FINGERPRINT, Map.of("k", "v"), List.of()), false));
    p.run().waitUntilFinish();
  }

  private static PipelineOptions direct() {
    PipelineOptions o = PipelineOptionsFactory.create();
    o.setRunner(DirectRunner.class);
    return o;
  }

  private static PipelineOptions flink(int parallelism) {
    FlinkPipelineOptions o = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    o.setRunner(FlinkRunner.class);
    o.setParallelism(parallelism);
    return o;
  }

  @Test
  void everyRecordLandsOnceAndTheManifestCountsThem(@TempDir Path dir) throws Exception {
    List<KV<String, byte[]>> input = records(500);
    write(direct(), dir, 4, input);

    ShardManifest manifest = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)));
    assertEquals(List.of("pretrain_data.tfrecord-00000-of-00004", "pretrain_data.tfrecord-00001-of-00004",
        "pretrain_data.tfrecord-00002-of-00004", "pretrain_data.tfrecord-00003-of-00004"),
        manifest.shards().stream().map(ShardManifest.Shard::file).toList());
    assertEquals(500, manifest.records());
    assertEquals(FINGERPRINT, manifest.vocabFingerprint());
    assertEquals(Map.of("k", "v"), manifest.parameters());

    Set<String> seen = new HashSet<>();
    for (ShardManifest.Shard shard : manifest.shards()) {
      long count = 0;
      try (TfRecordReader reader = TfRecordReader.open(dir.resolve(shard.file()))) {
        for (byte[] r : reader) {
          assertTrue(seen.add(new String(r, StandardCharsets.UTF_8)), "duplicate record");
          count++;
        }
      }
      assertEquals(shard.records(), count, shard.file());
      assertTrue(count > 60, "hash spreads records over shards: " + shard);
    }
    assertEquals(500, seen.size());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(5, files.count(), "no temporary files are left behind");
    }
  }

  @Test
  void shardsWithoutRecordsAreNeitherWrittenNorListed(@TempDir Path dir) throws Exception {
    write(direct(), dir, 8, records(2));
    ShardManifest manifest = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)));
    assertTrue(manifest.shards().size() <= 2 && !manifest.shards().isEmpty(), manifest.toString());
    assertEquals(2, manifest.records());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(manifest.shards().size() + 1, files.count(), "listed shards and the manifest, nothing else");
    }
    write(direct(), dir.resolve("none"), 4, List.of());
    assertEquals(List.of(), ShardManifest.fromJson(Files.readString(dir.resolve("none").resolve(ShardManifest.FILE_NAME)))
        .shards(), "no records: an empty manifest still marks the set as done");
  }

  @Test
  void bytesAreIdenticalOnEveryRunnerAndParallelism(@TempDir Path dir) throws Exception {
    List<KV<String, byte[]>> input = records(300);
    Path a = dir.resolve("direct");
    Path b = dir.resolve("flink1");
    Path c = dir.resolve("flink2");
    write(direct(), a, 3, input);
    write(flink(1), b, 3, input);
    List<KV<String, byte[]>> reversed = new ArrayList<>(input);
    Collections.reverse(reversed);
    write(flink(2), c, 3, reversed);
    for (int i = 0; i < 3; i++) {
      String name = ShardNames.batch(3).name(i);
      byte[] expected = Files.readAllBytes(a.resolve(name));
      assertArrayEquals(expected, Files.readAllBytes(b.resolve(name)), name);
      assertArrayEquals(expected, Files.readAllBytes(c.resolve(name)), name);
    }
    assertEquals(Files.readString(a.resolve(ShardManifest.FILE_NAME)), Files.readString(c.resolve(ShardManifest.FILE_NAME)));
  }

  @Test
  void severalShardSetsGoThroughOneWriteEachIntoItsOwnFolderAndManifest(@TempDir Path dir) throws Exception {
    List<KV<Integer, KV<String, byte[]>>> input = new ArrayList<>();
    for (KV<String, byte[]> r : records(90)) {
      input.add(KV.of(r.getKey().hashCode() % 2 == 0 ? 0 : 2, r)); // set 1 gets no record
    }
    List<WriteShards.Target> targets = new ArrayList<>();
    for (int set = 0; set < 3; set++) {
      WriteShards.RecordFormat format = set == 2
          ? bytes -> (new String(bytes, StandardCharsets.UTF_8) + "!").getBytes(StandardCharsets.UTF_8)
          : WriteShards.RecordFormat.AS_IS;
      targets.add(new WriteShards.Target(dir.resolve("set" + set).toString(), ShardNames.batch(2 + set),
          new ShardManifest(16 * (set + 1), FINGERPRINT, Map.of(), List.of()), format));
    }
    Pipeline p = Pipeline.create(direct());
    p.apply(Create.of(input).withCoder(PackExamples.RECORD_CODER)).apply(new WriteShards(targets, false));
    p.run().waitUntilFinish();

    long total = 0;
    for (int set = 0; set < 3; set++) {
      ShardManifest m = ShardManifest.fromJson(Files.readString(dir.resolve("set" + set).resolve(ShardManifest.FILE_NAME)));
      assertEquals(16 * (set + 1), m.maxSeqLength());
      int s = set;
      long expected = input.stream().filter(r -> r.getKey() == s).count();
      assertEquals(expected, m.records(), "set " + set);
      for (ShardManifest.Shard shard : m.shards()) {
        assertTrue(shard.file().endsWith("-of-0000" + (2 + set)), shard.file());
        try (TfRecordReader reader = TfRecordReader.open(dir.resolve("set" + set).resolve(shard.file()))) {
          for (byte[] written : reader) {
            String text = new String(written, StandardCharsets.UTF_8);
            assertEquals(set == 2, text.endsWith("!"), "set 2 writes its records in its own format: " + text);
            byte[] record = (set == 2 ? text.substring(0, text.length() - 1) : text).getBytes(StandardCharsets.UTF_8);
            String key = input.stream().filter(r -> Arrays.equals(r.getValue().getValue(), record)).findFirst()
                .orElseThrow().getValue().getKey();
            assertEquals(set, input.stream().filter(r -> r.getValue().getKey().equals(key)).findFirst()
                .orElseThrow().getKey(), "record of " + key + " written to its own set");
            total++;
          }
        }
      }
    }
    assertEquals(90, total);
    assertEquals(List.of(), ShardManifest.fromJson(Files.readString(dir.resolve("set1").resolve(ShardManifest.FILE_NAME)))
        .shards(), "a set without records still gets its (empty) manifest");
  }
}
