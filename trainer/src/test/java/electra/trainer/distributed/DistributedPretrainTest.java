package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.trainer.pretrain.BookShards;
import electra.trainer.pretrain.DataSharding;
import electra.trainer.pretrain.Pretrain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Pretrain job with two workers on loopback: sharding, chief-only checkpoints and logs, resuming, a stop that
 * reaches both workers, and {@code --follow} on a folder that continuous ingestion appends to.
 */
@Timeout(400)
class DistributedPretrainTest {

  @TempDir
  static Path tmp;

  private static DataParallelTest.Child worker(String workers, int task, String... more) throws IOException {
    return worker(tmp.resolve("shards"), tmp.resolve("runs"), 2, workers, task, more);
  }

  private static DataParallelTest.Child worker(Path shards, Path runs, int saveSteps, String workers, int task,
      String... more) throws IOException {
    List<String> a = new ArrayList<>(List.of(JobWorkerMain.class.getName(), Pretrain.class.getName(),
        "--model_name=tiny", "--model_config=" + BookShards.tinyConfig(tmp), "--generator_hidden_size=0.5",
        "--pretrain_tfrecords=" + shards, "--output_dir=" + runs,
        "--vocab_file=" + BookShards.vocabFile(BookShards.shared()), "--train_batch_size=4", "--log_freq=1",
        "--seed=11", "--num_warmup_steps=0", "--learning_rate=1e-3", "--save_checkpoints_steps=" + saveSteps,
        "--workers=" + workers, "--task_index=" + task, "--step_timeout_s=60"));
    a.addAll(Arrays.asList(more));
    return new DataParallelTest.Child(true, a.toArray(String[]::new));
  }

  @Test
  void twoWorkersTrainCheckpointOnTheChiefAndResume() throws Exception {
    writeShards();
    String workers = DataParallelTest.freeWorkers(2);
    DataParallelTest.Child w0 = worker(workers, 0, "--num_train_steps=3");
    DataParallelTest.Child w1 = worker(workers, 1, "--num_train_steps=3");
    assertEquals(0, w0.await(200), w0.output());
    assertEquals(0, w1.await(30), w1.output());
    assertTrue(w0.output().contains("worker 0 of 2 (" + workers.split(",")[0] + "), 2 of 4 shards, global batch 8"),
        w0.output());
    assertTrue(w1.output().contains("worker 1 of 2"), w1.output());
    assertTrue(w0.output().contains("step 3/3  loss "), "the chief logs: " + w0.output());
    assertTrue(!w1.output().contains("step 3/3  loss ") && !w1.output().contains("saved "),
        "worker 1 neither logs steps nor saves: " + w1.output());
    Path run = tmp.resolve("runs/tiny");
    assertEquals(3, Files.readAllLines(run.resolve("log.jsonl")).size());
    assertEquals(List.of("ckpt-000002", "ckpt-000003"), checkpoints(run));
    JsonNode positions = new ObjectMapper().readTree(run.resolve("ckpt-000003/" + DataSharding.WORKERS_FILE).toFile());
    assertEquals(2, positions.get("workers").asInt());
    for (int t = 0; t < 2; t++) {
      // 3 steps x 4 sequences from 24-record shards: record 12 of the first shard in each worker's order
      assertEquals(12, positions.get("positions").get(t).get("record").asLong(), positions.toString());
    }

    DataParallelTest.Child r0 = worker(workers, 0, "--num_train_steps=5", "--restore_checkpoint=latest");
    DataParallelTest.Child r1 = worker(workers, 1, "--num_train_steps=5", "--restore_checkpoint=latest");
    assertEquals(0, r0.await(200), r0.output());
    assertEquals(0, r1.await(30), r1.output());
    for (DataParallelTest.Child r : List.of(r0, r1)) {
      assertTrue(r.output().contains("resumed from " + run.resolve("ckpt-000003") + " at step 3"), r.output());
    }
    assertEquals(List.of("ckpt-000004", "ckpt-000005"), checkpoints(run).subList(2, 4));
    assertEquals(5, Files.readAllLines(run.resolve("log.jsonl")).size(), "the chief appends steps 4 and 5");
  }

  @Test
  void aStopAskedOfOneWorkerStopsBothAfterTheSameStepAndTheChiefSaves() throws Exception {
    writeShards();
    Path runs = tmp.resolve("stop");
    String workers = DataParallelTest.freeWorkers(2);
    // with accumulation: the stop flags are gathered only by the micro-step that applies
    String[] flags = {"--num_train_steps=1000", "--gradient_accumulation_steps=2"};
    DataParallelTest.Child w0 = worker(tmp.resolve("shards"), runs, 1000, workers, 0, flags);
    DataParallelTest.Child w1 = worker(tmp.resolve("shards"), runs, 1000, workers, 1, flags);
    try {
      awaitPrinted(w0, "step 3/1000 ", w0, w1);
      w1.process.toHandle().destroy(); // SIGTERM to worker 1 only
      assertEquals(0, w0.await(120), w0.output());
      assertEquals(0, w1.await(60), "a stop asked by a signal ends the job: " + w1.output());
    } finally {
      w0.process.destroyForcibly();
      w1.process.destroyForcibly();
    }
    Pattern stoppedAt = Pattern.compile("stopped at step (\\d+) of 1000");
    Matcher m0 = stoppedAt.matcher(w0.output());
    Matcher m1 = stoppedAt.matcher(w1.output());
    assertTrue(m0.find(), "the chief hears the stop through the gathered flags: " + w0.output());
    assertTrue(m1.find(), w1.output());
    assertEquals(m0.group(1), m1.group(1), "both stop after the same step");
    long n = Long.parseLong(m0.group(1));
    assertTrue(n >= 3 && n < 100, "stopped soon after the signal: " + w0.output());
    Path checkpoint = runs.resolve("tiny").resolve(String.format("ckpt-%06d", n));
    assertTrue(w0.output().contains("saved " + checkpoint), w0.output());
    assertTrue(!w1.output().contains("saved ") && !w1.output().contains("TensorBoard:"),
        "only the chief saves and writes events: " + w1.output());
    assertTrue(Files.isRegularFile(checkpoint.resolve(DataSharding.WORKERS_FILE)));
    assertTrue(Files.isRegularFile(runs.resolve("tiny/loss_curves.png")), "the chief draws the loss curves");
    for (String line : Files.readAllLines(runs.resolve("tiny/log.jsonl"))) {
      JsonNode logged = new ObjectMapper().readTree(line);
      for (String metric : List.of("total_loss", "disc_accuracy", "grad_norm")) {
        double v = logged.get(metric).asDouble();
        assertTrue(Double.isFinite(v) && v > 0, metric + " of every step: the applying micro-step's mean over "
            + "the step's micro-batches of both workers, weighted: " + line);
      }
    }
  }

  @Test
  void withFollowEachWorkerTakesUpItsDealtShardsAStopEndsTheWaitAndTheOrdersResume() throws Exception {
    // 5 shards of 24 sequences (6 steps of 4); the followed folder lists b0 (worker 0's) and b1 (worker 1's)
    Path staging = BookShards.write(tmp.resolve("followStaging"), 64, 5, 24, null);
    Path data = BookShards.followedFolder(staging, tmp.resolve("followed"));
    BookShards.publish(staging, data, 0, 1);
    Path runs = tmp.resolve("follow");
    String workers = DataParallelTest.freeWorkers(2);
    // 14 steps in both runs (the learning rate decays over them); the stop comes after step 13
    String[] follow = {"--num_train_steps=14", "--follow", "--follow_timeout=120"};
    DataParallelTest.Child w0 = worker(data, runs, 4, workers, 0, follow);
    DataParallelTest.Child w1 = worker(data, runs, 4, workers, 1, follow);
    try {
      awaitPrinted(w0, "step 1/14 ", w0, w1);
      // one manifest update while they train: b2 and b4 go to worker 0, b3 to worker 1
      BookShards.publish(staging, data, 2, 3, 4);
      // worker 1 has read b1 and b3 after step 12 and waits for new shards; worker 0 has b4 left and waits for
      // worker 1 in the all-reduce of step 13
      awaitPrinted(w0, "step 12/14 ", w0, w1);
      awaitPrinted(w1, "follow: read all 2 shard(s) for worker 1 of 2 of epoch 0; waiting up to 120 s", w0, w1);
      w1.process.toHandle().destroy(); // SIGTERM to the waiting worker only
      assertEquals(0, w0.await(60), "the stop ended the 120 s wait: " + w0.output());
      assertEquals(0, w1.await(60), "a stop asked by a signal ends the job: " + w1.output());
    } finally {
      w0.process.destroyForcibly();
      w1.process.destroyForcibly();
    }
    for (DataParallelTest.Child w : List.of(w0, w1)) {
      assertTrue(w.output().contains("follow: a worker waiting for new shards holds up every worker's step, so a "
          + "step waiting for its peers fails after 180 s (--step_timeout_s 60 + --follow_timeout 120)"), w.output());
      assertTrue(w.output().contains("stopped at step 13 of 14"), "both stop after step 13: " + w.output());
    }
    assertTrue(w0.output().contains("follow: 2 new shard(s) for worker 0 of 2 listed in " + data + " ("
        + BookShards.batchName(2) + ", " + BookShards.batchName(4) + ")"), w0.output());
    assertTrue(w1.output().contains("follow: 1 new shard(s) for worker 1 of 2 listed in " + data + " ("
        + BookShards.batchName(3) + ")"), w1.output());
    assertTrue(w1.output().contains("follow: stop requested, no longer waiting for new shards in " + data
        + "; starting epoch 1 over the 2 listed shard(s) for worker 1 of 2"), w1.output());
    Path run = runs.resolve("tiny");
    assertTrue(w0.output().contains("saved " + run.resolve("ckpt-000013")), w0.output());
    // at step 8 both read their second shard, in epoch 0 dealt from the 2 shards listed at its start
    assertEquals(List.of(List.of(0L, 1L, 8L, 2L), List.of(0L, 1L, 8L, 2L)), positions(run.resolve("ckpt-000008")));
    // at step 13 worker 0 is in b4 (its third shard); worker 1 started epoch 1 over the 5 shards listed then
    assertEquals(List.of(List.of(0L, 2L, 4L, 2L), List.of(1L, 0L, 4L, 5L)), positions(run.resolve("ckpt-000013")));

    // Resumed from step 8 with all 5 shards listed: each worker rebuilds its order from the listed count; worker 1
    // waits 1 s at the end of b3 and starts epoch 1 as the first run did.
    Path resumedRuns = tmp.resolve("followResumed");
    String again = DataParallelTest.freeWorkers(2);
    String[] resume = {"--num_train_steps=14", "--follow", "--follow_timeout=1",
        "--restore_checkpoint=" + run.resolve("ckpt-000008")};
    DataParallelTest.Child r0 = worker(data, resumedRuns, 4, again, 0, resume);
    DataParallelTest.Child r1 = worker(data, resumedRuns, 4, again, 1, resume);
    assertEquals(0, r0.await(200), r0.output());
    assertEquals(0, r1.await(30), r1.output());
    assertTrue(r1.output().contains("follow: no new shard for worker 1 of 2 in " + data + " for 1 s; starting epoch "
        + "1 over the 2 listed shard(s) for worker 1 of 2"), r1.output());
    Path resumed = resumedRuns.resolve("tiny");
    assertEquals(positions(run.resolve("ckpt-000012")), positions(resumed.resolve("ckpt-000012")));
    assertEquals(List.of(List.of(0L, 2L, 8L, 2L), List.of(1L, 0L, 8L, 5L)), positions(resumed.resolve("ckpt-000014")),
        "one step past the first run's step 13, in the same shards and epochs");
    assertEquals(losses(run).subList(8, 13), losses(resumed).subList(0, 5), "the same losses for steps 9..13");
  }

  /** Waits until {@code child} has printed {@code text}; fails when a worker ends first or after 200 s. */
  private static void awaitPrinted(DataParallelTest.Child child, String text, DataParallelTest.Child w0,
      DataParallelTest.Child w1) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
    while (!child.output().contains(text)) {
      assertTrue(System.nanoTime() < deadline && w0.process.isAlive() && w1.process.isAlive(), "no '" + text
          + "' from the workers: " + w0.output() + "\n--- worker 1:\n" + w1.output());
      Thread.sleep(50);
    }
  }

  /** Each worker's epoch, shard index, record and listed count in a checkpoint's workers.json. */
  private static List<List<Long>> positions(Path checkpoint) throws IOException {
    JsonNode root = new ObjectMapper().readTree(checkpoint.resolve(DataSharding.WORKERS_FILE).toFile());
    List<List<Long>> out = new ArrayList<>();
    for (JsonNode p : root.get("positions")) {
      out.add(List.of(p.get("epoch").asLong(), p.get("shard_index").asLong(), p.get("record").asLong(),
          p.get("listed_at_epoch_start").asLong()));
    }
    return out;
  }

  /** The total loss of every step in a run's log.jsonl, in order. */
  private static List<Double> losses(Path run) throws IOException {
    List<Double> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("log.jsonl"))) {
      out.add(new ObjectMapper().readTree(line).get("total_loss").asDouble());
    }
    return out;
  }

  private static synchronized void writeShards() throws IOException {
    if (!Files.isDirectory(tmp.resolve("shards"))) {
      BookShards.write(tmp.resolve("shards"), 64, 4, 24, null);
    }
  }

  private static List<String> checkpoints(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ckpt-")).sorted().toList();
    }
  }
}
