package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.Directories;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinuousIngestTest {

  private static final Path VOCAB =
      Path.of(System.getProperty("electra.shared.dir", "../shared"), "data/vocab/bert-base-uncased-vocab.txt");

  private static String[] watchArgs(Path corpus, Path out, int maxIdleSeconds) {
    return new String[] {"--input=" + corpus, "--output=" + out, "--vocab_file=" + VOCAB, "--runner=DirectRunner",
        "--watch", "--poll_interval=1", "--max_idle=" + maxIdleSeconds, "--max_seq_length_p2=0",
        "--test_fraction=0", "--num_train_shards=2", "--num_test_shards=1"};
  }

  /** Lands a file the way well-behaved producers do: written elsewhere, then moved in. */
  private static void land(Path corpus, String name, String text) throws Exception {
    Path staging = Files.writeString(corpus.resolveSibling(name + ".part"), text);
    Files.move(staging, corpus.resolve(name), StandardCopyOption.ATOMIC_MOVE);
  }

  private static IngestLedger ledger(Path out) throws Exception {
    return IngestLedger.read(out.toString());
  }

  private static void awaitBatches(Path out, int batches) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
    while (ledger(out).batches().size() < batches) {
      assertTrue(Instant.now().isBefore(deadline), "batch " + batches + " did not finish in time");
      Thread.sleep(200);
    }
  }

  private static ShardManifest manifest(Path out) throws Exception {
    return ShardManifest.fromJson(Files.readString(out.resolve("phase1/train/manifest.json")));
  }

  private static Thread start(String[] args, AtomicReference<Throwable> failure) {
    Thread t = new Thread(() -> {
      try {
        new IngestJobs.IngestText().run(args);
      } catch (Throwable e) {
        failure.set(e);
      }
    });
    t.start();
    return t;
  }

  @Test
  void eachFileIsIngestedOnceAsItLandsAndRestartsPickUpWhereTheyStopped(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path out = dir.resolve("out");
    land(corpus, "a.txt", "The cat sat.\n\nA dog ran home.\n\nBirds sing in spring.\n");
    AtomicReference<Throwable> failure = new AtomicReference<>();

    Thread job = start(watchArgs(corpus, out, 4), failure);
    awaitBatches(out, 1);
    assertEquals(3, manifest(out).records(), "three short documents, one example each");
    land(corpus, "b.txt", "Rivers flow to the sea.\n\nMountains are tall.\n");
    awaitBatches(out, 2);
    job.join(60_000);
    assertTrue(!job.isAlive() && failure.get() == null, "stops after --max_idle: " + failure.get());
    assertEquals(5, manifest(out).records());
    assertEquals(List.of("pretrain_data.tfrecord-b00001-00000-of-00002", "pretrain_data.tfrecord-b00001-00001-of-00002",
        "pretrain_data.tfrecord-b00002-00000-of-00002", "pretrain_data.tfrecord-b00002-00001-of-00002"),
        manifest(out).shards().stream().map(ShardManifest.Shard::file).toList());
    assertEquals(List.of(List.of(corpus.resolve("a.txt").toString()), List.of(corpus.resolve("b.txt").toString())),
        ledger(out).batches().stream().map(IngestLedger.Batch::files).toList());

    // Restarted with nothing new: nothing is ingested twice.
    job = start(watchArgs(corpus, out, 2), failure);
    job.join(60_000);
    assertEquals(2, ledger(out).batches().size());
    assertEquals(5, manifest(out).records());

    // A ledger from before pending batches were recorded, cut short after batch 2's manifests: the restart cannot
    // know which files batch 2 held, so it ingests b and c as batch 3 (b twice) rather than reuse listed names.
    new IngestLedger(List.of(ledger(out).batches().get(0)), null).write(out.toString());
    land(corpus, "c.txt", "Stars shine at night.\n");
    job = start(watchArgs(corpus, out, 3), failure);
    job.join(90_000);
    assertTrue(failure.get() == null, String.valueOf(failure.get()));
    assertEquals(List.of(1, 3), ledger(out).batches().stream().map(IngestLedger.Batch::batch).toList());
    assertEquals(8, manifest(out).records(), "a (3) + b (2) in batch 2 + b (2) and c (1) in batch 3");
  }

  /**
   * Continuous ingestion dying at each step of a batch, then restarted after another file landed. A step's writes
   * are atomic renames, so what a death after step s leaves on disk is the files of steps up to s and none after:
   * each state is made from the files of a finished batch and of the one before it. The batch is then repeated over
   * exactly its own files (or, when one of them changed, its files go into a new batch), and no shard name a
   * manifest listed ever gets other bytes.
   */
  @Test
  void aBatchCutShortAtAnyStepIsRepeatedAndListedShardsKeepTheirBytes(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path out = dir.resolve("out");
    AtomicReference<Throwable> failure = new AtomicReference<>();
    land(corpus, "a.txt", "The cat sat.\n\nA dog ran home.\n\nBirds sing in spring.\n");
    runUntilIdle(corpus, out, failure);
    Path before = copy(out, dir.resolve("after-batch-1"));
    land(corpus, "b.txt", "Rivers flow to the sea.\n\nMountains are tall.\n");
    runUntilIdle(corpus, out, failure);
    Path finished = copy(out, dir.resolve("after-batch-2"));
    Map<String, String> listedBytes = listedShardHashes(finished);
    IngestLedger.Pending batch2 = new IngestLedger.Pending(2,
        Map.of(corpus.resolve("b.txt").toString(), Files.size(corpus.resolve("b.txt"))));
    String train = "phase1/train/" + ShardManifest.FILE_NAME;
    String test = "phase1/test/" + ShardManifest.FILE_NAME;

    record Death(String afterStep, boolean shardsWritten, List<String> manifestsWritten, boolean bChanged) {}
    for (Death death : List.of(
        new Death("the pending record", false, List.of(), false),
        new Death("the shards", true, List.of(), false),
        new Death("the first manifest", true, List.of(train), false),
        new Death("the last manifest", true, List.of(train, test), false),
        new Death("the last manifest, and b.txt changed while down", true, List.of(train, test), true))) {
      Directories.deleteRecursively(out);
      copy(finished, out);
      IngestLedger.read(before.toString()).starting(batch2).write(out.toString());
      for (String manifest : List.of(train, test)) {
        if (!death.manifestsWritten().contains(manifest)) {
          Files.copy(before.resolve(manifest), out.resolve(manifest), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      if (!death.shardsWritten()) {
        try (Stream<Path> files = Files.walk(out)) {
          for (Path f : files.filter(f -> f.getFileName().toString().contains("-b00002-")).toList()) {
            Files.delete(f);
          }
        }
      }
      Map<String, String> listedWhenItDied = listedShardHashes(out);
      Files.deleteIfExists(corpus.resolve("c.txt"));
      if (death.bChanged()) {
        land(corpus, "b.txt", "Rivers flow to the sea, slowly.\n\nMountains are tall.\n");
      }
      land(corpus, "c.txt", "Stars shine at night.\n");

      runUntilIdle(corpus, out, failure);

      Map<String, String> now = listedShardHashes(out);
      assertTrue(listedBytes.keySet().containsAll(listedWhenItDied.keySet()));
      listedBytes.forEach((name, hash) -> assertEquals(hash, now.get(name), "after a death after "
          + death.afterStep() + ", " + name + " (listed by the finished batch) has the same bytes"));
      List<List<String>> files = ledger(out).batches().stream().map(IngestLedger.Batch::files).toList();
      String a = corpus.resolve("a.txt").toString();
      String b = corpus.resolve("b.txt").toString();
      String c = corpus.resolve("c.txt").toString();
      if (death.bChanged()) {
        assertEquals(List.of(List.of(a), List.of(b, c)), files, death.afterStep());
        assertEquals(List.of(1, 3), ledger(out).batches().stream().map(IngestLedger.Batch::batch).toList());
        assertEquals(3 + 2 + 2 + 1, manifest(out).records(), "batch 2 stays listed; b again and c in batch 3");
      } else {
        assertEquals(List.of(List.of(a), List.of(b), List.of(c)), files, death.afterStep());
        assertEquals(3 + 2 + 1, manifest(out).records(), "each file once, after a death after " + death.afterStep());
      }
      assertEquals(null, ledger(out).pending(), "nothing left pending");
    }
  }

  private static void runUntilIdle(Path corpus, Path out, AtomicReference<Throwable> failure) throws Exception {
    Thread job = start(watchArgs(corpus, out, 3), failure);
    job.join(120_000);
    assertTrue(!job.isAlive() && failure.get() == null, "the watching job stops when idle: " + failure.get());
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return to;
  }

  /** Set folder + shard name -> SHA-256 of the file, for every shard some manifest under {@code out} lists. */
  private static Map<String, String> listedShardHashes(Path out) throws Exception {
    Map<String, String> hashes = new TreeMap<>();
    for (String set : List.of("phase1/train", "phase1/test")) {
      Path manifest = out.resolve(set).resolve(ShardManifest.FILE_NAME);
      for (ShardManifest.Shard shard : ShardManifest.fromJson(Files.readString(manifest)).shards()) {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(out.resolve(set)
            .resolve(shard.file())));
        hashes.put(set + "/" + shard.file(), HexFormat.of().formatHex(digest));
      }
    }
    return hashes;
  }

  /** {@code ./electra IngestText ...} in a JVM of its own for the SIGTERM test: runs the job, exits as Main does. */
  public static final class IngestTextMain {
    public static void main(String[] args) throws Exception {
      new IngestJobs.IngestText().run(args);
      System.exit(0);
    }
  }

  @Test
  void sigtermDuringABatchLetsItFinishListedThenStops(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB), "reference data not found (" + VOCAB + "): skipping");
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path out = dir.resolve("out");
    land(corpus, "a.txt", "The cat sat.\n\nA dog ran home.\n\nBirds sing in spring.\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", IngestTextMain.class.getName()));
    command.addAll(List.of(watchArgs(corpus, out, 0))); // --max_idle=0: runs until stopped
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    long signalled = 0;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
        if (line.equals("batch 1: done")) {
          land(corpus, "b.txt", "Rivers flow to the sea.\n\nMountains are tall.\n");
        } else if (line.startsWith("batch 2: 1 new file")) {
          signalled = System.nanoTime();
          p.toHandle().destroy(); // SIGTERM while batch 2 runs
        }
        if (System.nanoTime() > deadline) {
          p.destroyForcibly();
          throw new AssertionError("the watching job did not get through two batches and stop: " + lines);
        }
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not exit after SIGTERM: " + lines);
    System.out.printf("ContinuousIngestTest: exited %d ms after SIGTERM%n", (System.nanoTime() - signalled) / 1_000_000);
    // the JVM's own shutdown on SIGTERM would end it with status 143, its hooks running beside the batch
    assertEquals(0, p.exitValue(), "exit status after SIGTERM: " + lines);
    assertTrue(lines.contains("IngestText: stop requested: ending after the batch in progress (a second Ctrl-C exits "
        + "at once)"), lines.toString());
    assertTrue(signalled > 0 && lines.contains("batch 2: done"), "batch 2 finished before the exit: " + lines);
    assertEquals(List.of("  text       documents 3, sentences 3, tokens 14, unknown tokens 0",
        "  text       documents 2, sentences 2, tokens 10, unknown tokens 0"),
        lines.stream().filter(line -> line.startsWith("  text ")).toList(), "each batch prints its own counters");
    assertEquals(List.of(List.of(corpus.resolve("a.txt").toString()), List.of(corpus.resolve("b.txt").toString())),
        ledger(out).batches().stream().map(IngestLedger.Batch::files).toList());
    ShardManifest manifest = manifest(out);
    assertEquals(5, manifest.records(), "a (3) + b (2), each once");
    long read = 0;
    for (ShardManifest.Shard shard : manifest.shards()) {
      try (TfRecordReader records = TfRecordReader.open(out.resolve("phase1/train").resolve(shard.file()))) {
        for (byte[] record : records) {
          read += record.length > 0 ? 1 : 0;
        }
      }
    }
    assertEquals(manifest.records(), read, "every listed shard is complete");
  }
}
