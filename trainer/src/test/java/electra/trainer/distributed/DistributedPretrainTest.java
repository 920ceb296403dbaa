package electra.trainer.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.trainer.pretrain.BookShards;
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
 * reaches both workers, and the refusal of {@code --follow}.
 */
@Timeout(400)
class DistributedPretrainTest {

  @TempDir
  static Path tmp;

  private static DataParallelTest.Child worker(String workers, int task, String... more) throws IOException {
    return worker(tmp.resolve("runs"), 2, workers, task, more);
  }

  private static DataParallelTest.Child worker(Path runs, int saveSteps, String workers, int task, String... more)
      throws IOException {
    List<String> a = new ArrayList<>(List.of(PretrainWorkerMain.class.getName(), "--model_name=tiny",
        "--model_config=" + BookShards.tinyConfig(tmp), "--generator_hidden_size=0.5",
        "--pretrain_tfrecords=" + tmp.resolve("shards"), "--output_dir=" + runs,
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
    DataParallelTest.Child w0 = worker(runs, 1000, workers, 0, "--num_train_steps=1000");
    DataParallelTest.Child w1 = worker(runs, 1000, workers, 1, "--num_train_steps=1000");
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
      while (!w0.output().contains("step 3/1000 ")) {
        assertTrue(System.nanoTime() < deadline && w0.process.isAlive(), "the workers did not train: " + w0.output()
            + "\n--- worker 1:\n" + w1.output());
        Thread.sleep(50);
      }
      w1.process.toHandle().destroy(); // SIGTERM to worker 1 only
      assertEquals(0, w0.await(120), w0.output());
      w1.await(60); // 0 or 143, depending on whether its shutdown hook or the halt ends the JVM
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
  }

  @Test
  void followIsRefusedWithWorkers() throws Exception {
    writeShards();
    DataParallelTest.Child w = worker(tmp.resolve("follow"), 2, DataParallelTest.freeWorkers(2), 0,
        "--num_train_steps=1", "--follow");
    assertEquals(1, w.await(120), w.output());
    assertTrue(w.output().contains("--follow is not supported with --workers"), w.output());
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
