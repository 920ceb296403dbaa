package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.LossCurvesTest;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/**
 * What a Pretrain run leaves besides checkpoints: TensorBoard event files and loss_curves.png; training on shards
 * that arrive while it runs ({@code --follow}); and a SIGTERM that ends the job with a checkpoint.
 */
class PretrainOutputsTest {

  @TempDir
  static Path tmp;
  static Path shards;
  static Path config;
  static Path vocab;

  @BeforeAll
  static void shards() throws Exception {
    shards = BookShards.write(tmp.resolve("phase1"), 64, 2, 48, null);
    config = BookShards.tinyConfig(tmp);
    vocab = BookShards.vocabFile(BookShards.shared());
  }

  private static String[] args(Path data, Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("--model_name=tiny", "--model_config=" + config,
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + data, "--output_dir=" + out,
        "--vocab_file=" + vocab, "--train_batch_size=8", "--log_freq=1", "--seed=11", "--num_warmup_steps=2",
        "--learning_rate=1e-3"));
    a.addAll(Arrays.asList(more));
    return a.toArray(String[]::new);
  }

  private static Trainer trainer(ByteArrayOutputStream console, String... args) throws Exception {
    return new Trainer(PretrainConfig.parse(args), new PrintStream(console, true, StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------------------------------------------------
  // TensorBoard and the PNG

  /** TFRecord frames read by hand, both masked CRC32C checked (TensorFlow's crc32c.h Mask, written out again). */
  static List<byte[]> frames(Path file) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    List<byte[]> records = new ArrayList<>();
    while (b.hasRemaining()) {
      byte[] lengthBytes = new byte[8];
      b.get(lengthBytes);
      long length = ByteBuffer.wrap(lengthBytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
      assertEquals(maskedCrc(lengthBytes), b.getInt(), "length CRC of record " + records.size());
      byte[] data = new byte[(int) length];
      b.get(data);
      assertEquals(maskedCrc(data), b.getInt(), "data CRC of record " + records.size());
      records.add(data);
    }
    return records;
  }

  static int maskedCrc(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    int c = (int) crc.getValue();
    return Integer.rotateRight(c, 15) + 0xa282ead8;
  }

  static List<Path> eventFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith("events.out.tfevents.")).sorted().toList();
    }
  }

  @Test
  void tensorBoardEventsHoldEveryLoggedMetricAndThePngShowsTheCurves() throws Exception {
    Path out = tmp.resolve("outputs");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Trainer trainer = trainer(console, args(shards, out, "--num_train_steps=8", "--log_freq=2",
        "--save_checkpoints_steps=100"));
    trainer.run();
    Path run = out.resolve("tiny");

    JsonNode settings = new ObjectMapper().readTree(run.resolve("settings.json").toFile());
    assertEquals(1e-3, settings.at("/pretrain/learning_rate").asDouble(), "a flag given");
    assertEquals(0.878, settings.at("/pretrain/beta1").asDouble(), "a default the optimizer implied");
    assertEquals(8, settings.at("/pretrain/num_train_steps").asLong());
    assertEquals("auto", settings.at("/data_parallel/collective").asText(), settings.toString());

    List<Path> files = eventFiles(run);
    assertEquals(1, files.size(), files.toString());
    assertTrue(files.get(0).getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+"),
        files.get(0).toString());
    List<byte[]> records = frames(files.get(0));
    Event first = Event.parseFrom(records.get(0));
    assertEquals("brain.Event:2", first.getFileVersion());
    assertTrue(first.getWallTime() > 1.6e9, "wall time in seconds since 1970: " + first.getWallTime());

    List<String> lines = Files.readAllLines(run.resolve("log.jsonl"));
    assertEquals(4, lines.size());
    assertEquals(lines.size() + 1, records.size(), "the file-version event, then one event per log line");
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < lines.size(); i++) {
      JsonNode line = json.readTree(lines.get(i));
      Event e = Event.parseFrom(records.get(i + 1));
      assertEquals(line.get("step").asLong(), e.getStep());
      assertEquals(line.get("wall_time").asDouble(), e.getWallTime());
      assertTrue(e.hasSummary());
      Map<String, Double> metrics = new LinkedHashMap<>(); // every number of the line but step, phase, wall time
      line.fields().forEachRemaining(f -> {
        if (f.getValue().isNumber() && !List.of("step", "phase", "wall_time").contains(f.getKey())) {
          metrics.put(f.getKey(), f.getValue().asDouble());
        }
      });
      assertTrue(metrics.keySet().containsAll(List.of("total_loss", "masked_lm_loss", "disc_loss",
          "masked_lm_accuracy", "disc_accuracy", "learning_rate", "sequences_per_second", "eta_seconds")), metrics
          .toString());
      assertEquals(new ArrayList<>(metrics.keySet()), e.getSummary().getValueList().stream()
          .map(Summary.Value::getTag).toList(), "one scalar per metric of log.jsonl");
      for (Summary.Value v : e.getSummary().getValueList()) {
        assertEquals(Summary.Value.ValueCase.SIMPLE_VALUE, v.getValueCase());
        assertEquals(metrics.get(v.getTag()).floatValue(), v.getSimpleValue(), v.getTag() + " at line " + i);
      }
    }
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(Pattern.compile("(?m)^step 8/8  loss \\d+\\.\\d{4} \\(mlm \\d+\\.\\d{4}, disc \\d+\\.\\d{4}\\)  "
        + "gen_acc \\d\\.\\d{3}  disc_acc \\d\\.\\d{3}  lr \\d\\.\\d{3}e-\\d\\d  \\d+\\.\\d seq/s  ETA 0m00s$")
        .matcher(text).find(), text);
    assertTrue(text.contains("TensorBoard: tensorboard --logdir " + out), text);
    assertTrue(text.contains("loss curves: " + run.resolve("loss_curves.png")), text);
    LossCurvesTest.assertCurvesDrawn(run.resolve("loss_curves.png"), TrainingLog.CURVES, run.resolve("log.jsonl"), 1,
        "ELECTRA pre-training: tiny, phase 1");
  }

  // ---------------------------------------------------------------------------------------------------------
  // --follow

  @Test
  void followTrainsOnShardsListedWhileRunningAndResumesExactly() throws Exception {
    Path staging = BookShards.write(tmp.resolve("staging"), 64, 2, 48, null); // 2 shards x 6 batches of 8
    Path data = BookShards.followedFolder(staging, tmp.resolve("followed"));
    BookShards.publish(staging, data, 0);
    String b0 = BookShards.batchName(0);
    String b1 = BookShards.batchName(1);

    String[] common = {"--num_train_steps=10", "--save_checkpoints_steps=3", "--keep_checkpoint_max=5", "--follow",
        "--follow_timeout=60"};
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Trainer a = trainer(console, args(data, tmp.resolve("followA"), common));
    List<String> shardAfter = new ArrayList<>();
    a.onBatch(p -> {
      shardAfter.add(p.after().order().get(p.after().shardIndex()) + "@" + p.after().epoch());
      if (p.microStep() == 1) { // while training on shard 0, ingestion lists shard 1
        try {
          BookShards.publish(staging, data, 1);
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      }
    });
    long t0 = System.nanoTime();
    Trainer.Summary whole = a.run();
    assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(50).toNanos(), "did not wait out --follow_timeout");
    assertEquals(10, whole.losses().size());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      expected.add((i < 6 ? b0 : b1) + "@0");
    }
    assertEquals(expected, shardAfter, "batches 7..10 come from the shard listed while training, in epoch 0");
    String text = console.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("follow: 1 new shard(s) listed in " + data + " (" + b1 + ")"), text);

    Path runA = tmp.resolve("followA/tiny");
    Checkpoints.State at9 = Checkpoints.readState(runA.resolve("ckpt-000009"));
    assertEquals(List.of(b0, b1), at9.dataOrder());
    assertEquals(b1, at9.dataShard());
    assertEquals(24, at9.dataRecord());
    Checkpoints.State at3 = Checkpoints.readState(runA.resolve("ckpt-000003"));
    assertEquals(List.of(b0), at3.dataOrder(), "at step 3 only shard 0 was listed");

    // Resume from step 3 (shard 1 is listed from the start now): the same losses as the uninterrupted run.
    String[] resume = Arrays.copyOf(common, common.length + 1);
    resume[common.length] = "--restore_checkpoint=" + runA.resolve("ckpt-000003");
    Trainer.Summary resumed = trainer(new ByteArrayOutputStream(), args(data, tmp.resolve("followB"), resume)).run();
    assertEquals(3, resumed.firstStep());
    assertEquals(whole.losses().subList(3, 10), resumed.losses(), "steps 4..10 after resuming from step 3");

    // TensorBoard hears of the restart at step 3.
    List<byte[]> records = frames(eventFiles(tmp.resolve("followB/tiny")).get(0));
    Event restart = Event.parseFrom(records.get(1));
    assertEquals(SessionLog.SessionStatus.START, restart.getSessionLog().getStatus());
    assertEquals(3, restart.getStep());
    assertEquals(4, Event.parseFrom(records.get(2)).getStep());
  }

  @Test
  void followFlags() throws Exception {
    var help = org.junit.jupiter.api.Assertions.assertThrows(electra.cli.HelpRequested.class,
        () -> new Pretrain().run(new String[] {"--help"}));
    assertTrue(help.getMessage().contains("--follow") && help.getMessage().contains("--follow_timeout"),
        help.getMessage());
    PretrainConfig c = PretrainConfig.parse(args(shards, tmp, "--follow", "--follow_timeout=2.5"));
    assertTrue(c.follow());
    assertEquals(2.5, c.followTimeoutSeconds());
    assertFalse(PretrainConfig.parse(args(shards, tmp)).follow());
    var e = org.junit.jupiter.api.Assertions.assertThrows(electra.cli.UsageException.class,
        () -> PretrainConfig.parse(args(shards, tmp, "--follow_timeout=-1")));
    assertTrue(e.getMessage().contains("--follow_timeout must be >= 0"), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------------------
  // SIGTERM

  @Test
  void sigtermSavesACheckpointThatLatestContinues() throws Exception {
    Path out = tmp.resolve("sigterm");
    String[] common = {"--num_train_steps=1000", "--save_checkpoints_steps=1000", "--gradient_accumulation_steps=2"};
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        PretrainMain.class.getName()));
    command.addAll(List.of(args(shards, out, common)));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process p = pb.start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      // a bound on a stuck start, not a timing target: a loaded 2-core machine takes minutes to the first steps
      long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
      boolean signalled = false;
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
        if (line.startsWith("step 3/1000 ")) {
          signalled = true;
          p.toHandle().destroy(); // SIGTERM, as `kill` or a scheduler's stop sends it
          assertTrue(p.waitFor(60, TimeUnit.SECONDS), "Pretrain did not exit after SIGTERM: " + lines);
        }
        assertTrue(signalled || System.nanoTime() < deadline, "Pretrain did not train: " + lines);
      }
      // the JVM's own shutdown on SIGTERM would end it with status 143, TensorFlow's clean-up beside the checkpoint
      assertEquals(0, p.waitFor(), "exit status after SIGTERM: " + lines);
    } finally {
      p.destroyForcibly();
    }
    String text = String.join("\n", lines);
    Matcher stopped = Pattern.compile("stopped at step (\\d+) of 1000").matcher(text);
    assertTrue(stopped.find(), text);
    assertTrue(text.contains("Pretrain: stop requested: finishing the step in progress and saving a checkpoint"), text);
    long n = Long.parseLong(stopped.group(1));
    assertTrue(n >= 3 && n < 10, "stopped soon after the signal: " + text);
    Path run = out.resolve("tiny");
    Path checkpoint = run.resolve(String.format("ckpt-%06d", n));
    assertTrue(text.contains("saved " + checkpoint), text);
    assertFalse(text.contains("Exception"), text);
    assertEquals(n, Checkpoints.readState(checkpoint).step());
    assertEquals(2 * n, Checkpoints.readState(checkpoint).microStep(), "stopped between optimizer steps");
    try (Stream<Path> s = Files.list(run)) {
      assertEquals(List.of(), s.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".tmp")).toList(),
          "no half-written checkpoint");
    }
    LossCurvesTest.assertCurvesDrawn(run.resolve("loss_curves.png"), TrainingLog.CURVES, run.resolve("log.jsonl"), 1,
        "ELECTRA pre-training: tiny, phase 1");

    // The data position is after the records the n steps consumed (2 x 8 per step), not after what was read ahead;
    // that such a position resumes on the same losses is PretrainTest.killedRunResumesWithTheSameLosses.
    Checkpoints.State state = Checkpoints.readState(checkpoint);
    long consumed = 16 * n;
    assertEquals(consumed / 96, state.dataEpoch());
    assertEquals((int) (consumed % 96 / 48), state.dataShardIndex());
    assertEquals(consumed % 48, state.dataRecord());

    // --restore_checkpoint=latest continues where it stopped.
    String[] resume = Arrays.copyOf(common, common.length + 1);
    resume[common.length] = "--restore_checkpoint=latest";
    Trainer.Summary continued = trainer(new ByteArrayOutputStream(), args(shards, out, resume)).run(n + 2);
    assertEquals(n, continued.firstStep());
    assertEquals(2, continued.losses().size());
    continued.losses().forEach(l -> assertTrue(Double.isFinite(l) && l > 0, "loss " + l));
  }
}
