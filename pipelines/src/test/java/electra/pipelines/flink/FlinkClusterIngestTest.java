package electra.pipelines.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.pipelines.ingest.IngestJobs;
import electra.records.ShardManifest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --flink_master=host:port}: an ingest job submitted to a Flink session cluster in another JVM (through its
 * REST endpoint, with the job's class path shipped as jars) writes the same bytes as Beam's DirectRunner.
 */
class FlinkClusterIngestTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));
  private static final Path VOCAB = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");

  @Test
  void aJobSubmittedToASessionClusterWritesTheSameShardsAsTheDirectRunner(@TempDir Path out) throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process cluster = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", FlinkSessionCluster.class.getName(), "2")
        .redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try {
      int port = restPort(cluster, lines);
      String input = SHARED.resolve("data/books") + "/{blake-poems,shakespeare-hamlet}.txt";
      for (String runner : List.of("DirectRunner", "FlinkRunner")) {
        List<String> args = new ArrayList<>(List.of("--input=" + input, "--output=" + out.resolve(runner),
            "--vocab_file=" + VOCAB, "--runner=" + runner, "--num_train_shards=2", "--num_test_shards=1",
            "--max_seq_length_p2=0", "--test_fraction=0.5", "--seed=7"));
        if (runner.equals("FlinkRunner")) {
          args.addAll(List.of("--flink_master=localhost:" + port, "--parallelism=2"));
        }
        long t0 = System.nanoTime();
        new IngestJobs.IngestBooks().run(args.toArray(String[]::new));
        System.out.printf("FlinkClusterIngestTest: %s in %.1f s%n", runner, (System.nanoTime() - t0) / 1e9);
      }

      JsonNode jobs = new ObjectMapper().readTree(HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/jobs/overview")).build(),
          HttpResponse.BodyHandlers.ofString()).body()).get("jobs");
      assertEquals(1, jobs.size(), "the cluster ran the job: " + jobs);
      assertEquals("FINISHED", jobs.get(0).get("state").asText(), jobs.toString());
      assertTrue(jobs.get(0).get("tasks").get("finished").asInt() > 5, "tasks ran on the cluster: " + jobs);

      long records = 0;
      for (String split : List.of("train", "test")) {
        Path direct = out.resolve("DirectRunner/phase1").resolve(split);
        Path onCluster = out.resolve("FlinkRunner/phase1").resolve(split);
        String manifest = Files.readString(direct.resolve(ShardManifest.FILE_NAME));
        assertEquals(manifest,
            Files.readString(onCluster.resolve(ShardManifest.FILE_NAME)));
        List<ShardManifest.Shard> shards = ShardManifest.fromJson(manifest).shards();
        records += ShardManifest.fromJson(manifest).records();
        for (ShardManifest.Shard shard : shards) {
          assertArrayEquals(Files.readAllBytes(direct.resolve(shard.file())),
              Files.readAllBytes(onCluster.resolve(shard.file())), split + "/" + shard.file());
        }
      }
      assertTrue(records > 300, "two books give hundreds of 128-token examples: " + records);
    } finally {
      cluster.toHandle().destroy();
      if (!cluster.waitFor(30, TimeUnit.SECONDS)) {
        cluster.destroyForcibly();
      }
    }
  }

  /** Reads the cluster's output until it says its REST port. */
  private static int restPort(Process cluster, List<String> lines) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(cluster.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      lines.add(line);
      if (line.startsWith("REST port ")) {
        Thread drain = new Thread(() -> r.lines().forEach(l -> { }), "flink-cluster-output");
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(line.substring("REST port ".length()).strip());
      }
      assertTrue(System.nanoTime() < deadline, "the cluster did not start: " + lines);
    }
    throw new AssertionError("the cluster exited: " + lines);
  }
}
