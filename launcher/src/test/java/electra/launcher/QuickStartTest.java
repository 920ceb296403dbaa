package electra.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import electra.serving.QaClient;
import electra.serving.QaMessages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole quick start with tiny settings: every stage's outputs exist and every question sent is answered. */
class QuickStartTest {

  @TempDir
  Path work;

  /** {@code shared/data} of a developer checkout: next to the repository, found from the module folder upwards. */
  static Path sharedData() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path data = dir.resolve("shared/data");
      if (Files.isDirectory(data.resolve("wikipedia")) && Files.isDirectory(data.resolve("squad"))) {
        return data;
      }
    }
    return null;
  }

  @Test
  void runsEveryStageAndAnswersEveryQuestion() throws Exception {
    Path data = sharedData();
    assumeTrue(data != null, "needs the shared/data folder next to the checkout");
    Path squad = data.resolve("squad/dev-v1.1.json.gz");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream tee = new PrintStream(new java.io.OutputStream() {
      @Override
      public void write(int b) {
        log.write(b);
        System.out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        log.write(b, off, len);
        System.out.write(b, off, len);
      }
    }, true, StandardCharsets.UTF_8);

    new QuickStart(tee).run(new String[] {"--work_dir=" + work, "--pretrain_steps=20", "--finetune_examples=24",
        "--questions=3", "--wiki=" + data.resolve(
            "wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"),
        "--squad=" + squad, "--vocab_file=" + data.resolve("vocab/bert-base-uncased-vocab.txt")});

    QuickStart.Layout l = new QuickStart.Layout(work);
    for (Path p : List.of(l.shards().resolve("manifest.json"), l.modelConfig(), l.discriminator().resolve(
        "model.safetensors"), l.finetunedHf().resolve("model.safetensors"), l.finetunedHf().resolve("config.json"),
        l.finetunedHf().resolve("vocab.txt"), l.export().resolve("export.json"), l.answers())) {
      assertTrue(Files.isRegularFile(p), "missing " + p);
    }
    try (var ckpts = Files.list(l.pretrainRun())) {
      assertTrue(ckpts.anyMatch(p -> p.getFileName().toString().startsWith("ckpt-")), "no pre-training checkpoint");
    }

    List<QaClient.Request> sent = QuickStart.questions(squad, 3);
    assertEquals(4, sent.size());
    Map<String, JsonNode> answers = new HashMap<>();
    for (String line : Files.readAllLines(l.answers(), StandardCharsets.UTF_8)) {
      JsonNode a = QaMessages.read(line);
      answers.put(a.get("id").asText(), a);
    }
    for (QaClient.Request q : sent) {
      JsonNode a = answers.get(q.id());
      assertTrue(a != null, "no answer for " + q.id() + " in " + answers.keySet());
      String text = a.get("answer").asText();
      assertFalse(text.isEmpty(), a.toString());
      int start = a.get("start_char").asInt();
      int end = a.get("end_char").asInt();
      int chars = q.context().codePointCount(0, q.context().length());
      assertTrue(0 <= start && start < end && end <= chars, a.toString());
      int from = q.context().offsetByCodePoints(0, start); // offsets count code points
      assertEquals(q.context().substring(from, q.context().offsetByCodePoints(from, end - start)), text,
          "the answer is a span of its context: " + a);
      assertTrue(a.get("latency_ms").asLong() >= 0, a.toString());
    }
    String out = log.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("QuickStart: done in"), out);
    assertTrue(out.contains("stopped the streaming job and the Kafka broker"), out);
  }
}
