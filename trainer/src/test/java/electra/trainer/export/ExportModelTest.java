package electra.trainer.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.tokenization.Vocabulary;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class ExportModelTest {

  @TempDir
  Path tmp;

  static Path shared(String relative) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (golden models live there)");
    Path p = Path.of(shared, relative);
    assumeTrue(Files.exists(p), "skipped: " + p + " not found");
    return p;
  }

  @Test
  void goldenQaModelExportsAndTheSavedModelReproducesItsLogits() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    Path out = tmp.resolve("export");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new ExportModel(new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
        "--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + out, "--max_seq_length=96"});
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("exported"), log.toString(StandardCharsets.UTF_8));
    for (String f : new String[] {"saved_model.pb", "variables", "vocab.txt", "config.json", "export.json"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    try (var siblings = Files.list(tmp)) {
      assertEquals(1, siblings.count(), "no staging folder is left behind");
    }
    ExportMetadata meta = ExportMetadata.read(out);
    assertEquals("simple", meta.head());
    assertEquals(96, meta.maxSeqLength());
    assertEquals(128, meta.docStride());
    assertTrue(meta.doLowerCase());
    assertFalse(meta.hasAnswerableLogit());
    assertEquals(Vocabulary.load(vocab).fingerprint(), meta.vocabFingerprint());
    assertEquals(meta.vocabFingerprint(), Vocabulary.load(out.resolve("vocab.txt")).fingerprint());

    JsonNode cases = new ObjectMapper().readTree(golden.resolve("expected.json").toFile()).get("cases");
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      for (JsonNode c : cases) {
        try (TInt32 ids = row(c.get("input_ids")); TInt32 mask = row(c.get("attention_mask"));
            TInt32 seg = row(c.get("token_type_ids"));
            Result r = bundle.function("serving_default").call(Map.<String, Tensor>of(
                "input_ids", ids, "input_mask", mask, "segment_ids", seg))) {
          for (String key : new String[] {"start_logits", "end_logits"}) {
            TFloat32 t = (TFloat32) r.get(key).orElseThrow();
            float[] actual = new float[Math.toIntExact(t.size())];
            t.copyTo(DataBuffers.of(actual, false, false));
            double max = 0;
            for (int i = 0; i < actual.length; i++) {
              max = Math.max(max, Math.abs(actual[i] - c.get(key).get(i).asDouble()));
            }
            assertTrue(max <= 1e-4, key + " max error " + max);
          }
        }
      }
    }

    // A second export into the same, now full, folder is refused.
    UsageException e = assertThrows(UsageException.class, () -> new ExportModel(new PrintStream(log)).run(
        new String[] {"--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + out}));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
  }

  @Test
  void unknownHeadAndFolderWithoutWeightsAreRefused() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    UsageException head = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + tmp.resolve("x"), "--head=joint"}));
    assertTrue(head.getMessage().contains("joint"), head.getMessage());
    UsageException folder = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + tmp, "--output_dir=" + tmp.resolve("y")}));
    assertTrue(folder.getMessage().contains("config.json"), folder.getMessage());
  }

  private static TInt32 row(JsonNode values) {
    int[] v = new int[values.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = values.get(i).asInt();
    }
    return TInt32.tensorOf(Shape.of(1, v.length), DataBuffers.of(v, true, false));
  }
}
