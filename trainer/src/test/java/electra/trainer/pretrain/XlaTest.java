package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.trainer.runtime.XlaClusters;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Pretrain --xla} on the CPU natives: XLA really compiles the training step, and trains like TensorFlow. */
class XlaTest {

  @TempDir
  Path tmp;

  @Test
  void xlaCompilesTheTrainingStepAndGivesTheSameLosses() throws Exception {
    Path shards = BookShards.write(tmp.resolve("phase1"), 64, 1, 32, null);
    Path config = BookShards.tinyConfig(tmp);
    Path vocab = BookShards.vocabFile(BookShards.shared());
    Trainer.Summary plain = train(shards, config, vocab, "plain", false);
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    Trainer.Summary xla = train(shards, config, vocab, "xla", true, console);

    assertNull(plain.xla(), "without --xla nothing is inspected");
    XlaClusters clusters = xla.xla();
    System.out.println("xla: " + clusters + "; losses without " + plain.losses() + ", with " + xla.losses());
    assertTrue(clusters.clusters() > 0, "XLA compiled clusters: " + clusters);
    assertTrue(console.toString(StandardCharsets.UTF_8).contains("xla: the training step runs "
        + clusters.clusters() + " XLA-compiled clusters"), console.toString(StandardCharsets.UTF_8));

    List<Double> a = plain.losses();
    List<Double> b = xla.losses();
    assertEquals(a.size(), b.size());
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i), b.get(i), TOLERANCE * Math.abs(a.get(i)), "loss of step " + (i + 1));
    }
  }

  /**
   * Relative tolerance on a step's loss. XLA fuses elementwise ops and sums in its own order, so fp32 results move
   * by a few ulps (~1e-7 relative each); through two layers, a softmax over 30522 words and two optimizer updates
   * that stays far below 1e-5 (measured: at most 1e-7). A different computation (another sampled replacement of
   * one token, a skipped update) moves the loss by more than 1e-3.
   */
  private static final double TOLERANCE = 1e-5;

  private Trainer.Summary train(Path shards, Path config, Path vocab, String name, boolean xla) throws Exception {
    return train(shards, config, vocab, name, xla, new ByteArrayOutputStream());
  }

  private Trainer.Summary train(Path shards, Path config, Path vocab, String name, boolean xla,
      ByteArrayOutputStream console) throws Exception {
    PretrainConfig c = PretrainConfig.parse("--model_name=" + name, "--model_config=" + config,
        "--generator_hidden_size=0.5", "--pretrain_tfrecords=" + shards, "--output_dir=" + tmp.resolve("runs"),
        "--vocab_file=" + vocab, "--train_batch_size=8", "--num_train_steps=3", "--num_warmup_steps=0",
        "--learning_rate=1e-2", "--seed=7", "--xla=" + xla);
    return new Trainer(c, new PrintStream(console, true, StandardCharsets.UTF_8)).run();
  }
}
