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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The Pretrain job with two workers on loopback: sharding, chief-only checkpoints and logs, resuming. */
@Timeout(400)
class DistributedPretrainTest {

  @TempDir
  static Path tmp;

  private static DataParallelTest.Child worker(String workers, int task, String... more) throws IOException {
    List<String> a = new ArrayList<>(List.of(PretrainWorkerMain.class.getName(), "--model_name=tiny",
        "--model_config=" + BookShards.tinyConfig(tmp), "--generator_hidden_size=0.5",
        "--pretrain_tfrecords=" + tmp.resolve("shards"), "--output_dir=" + tmp.resolve("runs"),
        "--vocab_file=" + BookShards.vocabFile(BookShards.shared()), "--train_batch_size=4", "--log_freq=1",
        "--seed=11", "--num_warmup_steps=0", "--learning_rate=1e-3", "--save_checkpoints_steps=2",
        "--workers=" + workers, "--task_index=" + task, "--step_timeout_s=60"));
    a.addAll(Arrays.asList(more));
    return new DataParallelTest.Child(true, a.toArray(String[]::new));
  }

  @Test
  void twoWorkersTrainCheckpointOnTheChiefAndResume() throws Exception {
    BookShards.write(tmp.resolve("shards"), 64, 4, 24, null);
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

  private static List<String> checkpoints(Path run) throws IOException {
    try (Stream<Path> s = Files.list(run)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ckpt-")).sorted().toList();
    }
  }
}
