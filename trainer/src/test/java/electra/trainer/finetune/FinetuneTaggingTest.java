package electra.trainer.finetune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tagging.ConllFiles;
import electra.tagging.EvalTagging;
import electra.tagging.TaggedSentence;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Safetensors;
import electra.trainer.model.TokenClassificationHead;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tagging fine-tuning end to end on a tiny random model and a synthetic named-entity task written as CoNLL files:
 * learned to near-perfect dev F1 (the training file in IOB1, the dev file in BIO2; a name of two WordPieces is
 * labelled at its first); the checkpoint scores the same in a fresh graph and tags an untagged test file; the golden
 * model's weights load into the tagger's encoder.
 */
class FinetuneTaggingTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final List<String> FILLER = List.of("the", "a", "cat", "dog", "sat", "ran", "on", "mat", "park",
      "today", "house", "tree", "big", "small", "slowly", "we", "they", "saw", "it", "again");
  private static final List<String> PEOPLE = List.of("alice", "bob", "carol");
  /** Places of two WordPieces each: paris = par ##is, london = lon ##don. */
  private static final List<String> PLACES = List.of("paris", "london");

  private static Path model(Path dir) throws Exception {
    FinetuneGlueTest.tinyModel(dir);
    List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
    tokens.addAll(FILLER);
    tokens.addAll(PEOPLE);
    tokens.addAll(List.of("par", "##is", "lon", "##don", "acme", "corp"));
    Files.writeString(dir.resolve("vocab.txt"), String.join("\n", tokens) + "\n");
    return dir;
  }

  /**
   * Sentences of filler words with people (PER, one word), places (LOC, one word of two pieces) and "acme corp"
   * (ORG, two words); two people in a row are two chunks. IOB1 writes I- but for a chunk right after one of its
   * type, BIO2 writes B- at every chunk's start.
   */
  private static List<TaggedSentence> sentences(int n, long seed, boolean iob1) {
    Random r = new Random(seed);
    List<TaggedSentence> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<String> words = new ArrayList<>();
      List<String> tags = new ArrayList<>();
      int length = 3 + r.nextInt(6);
      String previousType = "";
      for (int w = 0; w < length; w++) {
        int kind = r.nextInt(6);
        String type = kind == 0 ? "PER" : kind == 1 ? "LOC" : kind == 2 ? "ORG" : "";
        if (type.isEmpty()) {
          words.add(FILLER.get(r.nextInt(FILLER.size())));
          tags.add("O");
        } else {
          String first = (iob1 && !type.equals(previousType) ? "I-" : "B-") + type;
          switch (type) {
            case "PER" -> {
              words.add(PEOPLE.get(r.nextInt(PEOPLE.size())));
              tags.add(first);
            }
            case "LOC" -> {
              words.add(PLACES.get(r.nextInt(PLACES.size())));
              tags.add(first);
            }
            default -> {
              words.addAll(List.of("acme", "corp"));
              tags.addAll(List.of(first, "I-ORG"));
            }
          }
        }
        previousType = type;
      }
      out.add(new TaggedSentence(words, tags));
    }
    return out;
  }

  private static void write(Path file, List<TaggedSentence> sentences, boolean tagged) throws Exception {
    List<String> lines = new ArrayList<>(List.of("-DOCSTART- -X- -X- O", ""));
    for (TaggedSentence s : sentences) {
      for (int w = 0; w < s.words().size(); w++) {
        lines.add(s.words().get(w) + (tagged ? " NN I-NP " + s.tags().get(w) : ""));
      }
      lines.add("");
    }
    Files.createDirectories(file.getParent());
    Files.write(file, lines);
  }

  private static FinetuneTagging.Summary run(ByteArrayOutputStream console, String... args) throws Exception {
    return new FinetuneTagging(new PrintStream(console, true, StandardCharsets.UTF_8))
        .run(TaggingConfig.parse(args));
  }

  @Test
  void learnsANamedEntityTaskThenEvaluatesAndTagsFromItsCheckpoint(@TempDir Path tmp) throws Exception {
    Path model = model(tmp.resolve("model"));
    Path data = tmp.resolve("ner");
    write(data.resolve("train.txt"), sentences(240, 1, true), true);
    write(data.resolve("dev.txt"), sentences(64, 2, false), true);
    List<TaggedSentence> test = sentences(8, 3, false);
    write(data.resolve("test.txt"), test, false);
    Path out = tmp.resolve("out");
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    FinetuneTagging.Summary s = run(console, "--task_name=ner", "--electra_model=" + model, "--data_dir=" + data,
        "--output_dir=" + out, "--max_seq_length=24", "--train_batch_size=16", "--learning_rate=1e-3",
        "--num_train_epochs=5", "--log_freq=10", "--seed=7");
    System.out.printf("NER-like: %d steps in %.1f s, %s%n", s.lastStep(), (System.nanoTime() - t0) / 1e9,
        s.results());
    Map<String, Number> dev = s.results().get("dev");
    assertTrue(dev.get("f1").doubleValue() >= 0.95, dev + "\n" + console);
    assertEquals(75, s.lastStep(), "5 epochs of 15 batches");
    assertTrue(console.toString(StandardCharsets.UTF_8).contains(
        "7 labels [O, B-LOC, I-LOC, B-ORG, I-ORG, B-PER, I-PER]"), console.toString(StandardCharsets.UTF_8));
    assertEquals(dev.get("f1").doubleValue(), JSON.readTree(out.resolve("eval_results.json").toFile()).get("dev")
        .get("f1").asDouble(), 1e-12);
    assertEquals(dev.get("f1").doubleValue(), EvalTagging.evaluate(data.resolve("dev.txt"),
        out.resolve("dev_predictions.txt")).get("f1").doubleValue(), 1e-12, "EvalTagging scores the file alike");
    assertTrue(Files.isRegularFile(out.resolve("loss_curves.png")));

    // the checkpoint records its labels, scores the same in a fresh inference graph and tags the test file
    Path ckpt = out.resolve("checkpoints/ckpt-000075");
    JsonNode head = JSON.readTree(ckpt.resolve("finetune.json").toFile());
    assertEquals("tagger", head.get("head").asText());
    assertEquals(7, head.get("labels").size());
    Path export = tmp.resolve("export");
    FinetuneTagging.Summary eval = run(new ByteArrayOutputStream(), "--task_name=ner", "--mode=eval",
        "--init_checkpoint=" + ckpt, "--vocab_file=" + model.resolve("vocab.txt"), "--data_dir=" + data,
        "--max_seq_length=24", "--output_dir=" + tmp.resolve("eval"), "--export_dir=" + export);
    assertEquals(s.results(), eval.results());
    // its export is a Hugging Face token classifier with the labels, which evaluates alike
    JsonNode config = JSON.readTree(export.resolve("config.json").toFile());
    assertEquals("ElectraForTokenClassification", config.get("architectures").get(0).asText());
    assertEquals("B-LOC", config.get("id2label").get("1").asText());
    assertEquals(6, config.get("label2id").get("I-PER").asInt());
    assertTrue(JSON.readTree(export.resolve("tokenizer_config.json").toFile()).get("do_lower_case").asBoolean());
    FinetuneTagging.Summary exported = run(new ByteArrayOutputStream(), "--task_name=ner", "--mode=eval",
        "--electra_model=" + export, "--data_dir=" + data, "--max_seq_length=24",
        "--output_dir=" + tmp.resolve("eval-export"));
    assertEquals(s.results(), exported.results());
    run(new ByteArrayOutputStream(), "--task_name=ner", "--mode=prediction", "--init_checkpoint=" + ckpt,
        "--vocab_file=" + model.resolve("vocab.txt"), "--data_dir=" + data, "--max_seq_length=24",
        "--output_dir=" + tmp.resolve("test"));
    List<TaggedSentence> tagged = ConllFiles.read(tmp.resolve("test/test_predictions.txt"));
    assertEquals(test.stream().map(TaggedSentence::words).toList(), tagged.stream().map(TaggedSentence::words)
        .toList());
    int right = 0;
    int words = 0;
    for (int i = 0; i < test.size(); i++) {
      for (int w = 0; w < test.get(i).words().size(); w++) {
        right += test.get(i).tags().get(w).equals(tagged.get(i).tags().get(w)) ? 1 : 0;
        words++;
      }
    }
    assertTrue(right >= words * 0.95, right + " of " + words + " test tags right");
    // a tagger checkpoint is refused as another task's
    UsageException other = assertThrows(UsageException.class, () -> run(new ByteArrayOutputStream(),
        "--task_name=chunk", "--mode=eval", "--init_checkpoint=" + ckpt, "--data_dir=" + data,
        "--output_dir=" + tmp.resolve("other")));
    assertTrue(other.getMessage().contains("holds the tagger of task ner"), other.getMessage());
  }

  @Test
  void flagsAreCheckedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
    TaggingConfig c = TaggingConfig.parse("--task_name=chunk", "--electra_model=m", "--data_dir=d",
        "--output_dir=o");
    assertEquals(List.of(3, 32, 128), List.of(c.numTrainEpochs(), c.trainBatchSize(), c.maxSeqLength()));
    assertEquals(List.of(3e-4, 0.8, 0.1, 0.01), List.of(c.learningRate(), c.training().layerwiseLrDecay(),
        c.training().warmupProportion(), c.training().weightDecay()));
    Path model = model(tmp.resolve("model"));
    write(tmp.resolve("dev/dev.txt"), sentences(2, 1, false), true);
    UsageException eval = assertThrows(UsageException.class, () -> run(new ByteArrayOutputStream(),
        "--task_name=ner", "--mode=eval", "--electra_model=" + model, "--data_dir=" + tmp.resolve("dev"),
        "--output_dir=" + tmp.resolve("out")));
    assertTrue(eval.getMessage().contains("needs the tagger's labels: give --init_checkpoint"), eval.getMessage());
    UsageException noData = assertThrows(UsageException.class, () -> run(new ByteArrayOutputStream(),
        "--task_name=ner", "--electra_model=" + model, "--data_dir=" + tmp.resolve("ner"),
        "--output_dir=" + tmp.resolve("out")));
    assertTrue(noData.getMessage().contains(tmp.resolve("ner/train.txt").toString()), noData.getMessage());
    assertTrue(!Files.exists(tmp.resolve("out")), "nothing written");
  }

  @Test
  void theTaggerSavesAsAHuggingFaceTokenClassifier(@TempDir Path tmp) throws Exception {
    ElectraConfig c = new ElectraConfig(64, 32, 64, 2, 2, 128, "gelu", 0, 0, 64, 2, 0.02, 1e-12);
    Path dir = tmp.resolve("hf");
    float[] kernel;
    try (TaggerGraph g = new TaggerGraph(c, 5, null, null)) {
      g.initialize();
      g.saveHuggingFace(dir);
      kernel = g.value(TokenClassificationHead.KERNEL);
    }
    assertEquals("ElectraForTokenClassification", JSON.readTree(dir.resolve("config.json").toFile())
        .get("architectures").get(0).asText());
    try (Safetensors file = Safetensors.open(dir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      HostTensor weight = file.read("classifier.weight");
      assertArrayEquals(new long[] {5, 64}, weight.shape(), "PyTorch's [out, in]");
      assertArrayEquals(kernel, weight.transposed().values());
      assertEquals(5, file.read("classifier.bias").values().length);
    }
    try (TaggerGraph g = new TaggerGraph(c, 5, null, null)) {
      HuggingFaceWeights.Report r = g.loadHuggingFace(dir);
      assertTrue(r.leftAsInitialised().isEmpty() && r.ignored().isEmpty(), r.toString());
      assertArrayEquals(kernel, g.value(TokenClassificationHead.KERNEL));
    }
  }

  @Test
  void goldenWeightsLoadIntoTheTaggersEncoder() throws Exception {
    Path golden = SquadFiles.goldenQa();
    ElectraConfig config = HuggingFaceWeights.readConfig(golden);
    try (TaggerGraph g = new TaggerGraph(config, 9, null, null);
        Safetensors file = Safetensors.open(golden.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      HuggingFaceWeights.Report report = g.loadHuggingFace(golden);
      List<String> encoder = g.model().parameters().stream().map(ModelGraph.Parameter::name)
          .filter(n -> n.startsWith("electra/")).toList();
      assertEquals(encoder, report.loaded(), "every embedding and encoder variable, nothing else");
      assertEquals(List.of("classifier/kernel", "classifier/bias"), report.leftAsInitialised());
      assertTrue(report.ignored().containsAll(List.of("qa_outputs.weight", "qa_outputs.bias")), report.toString());
      HostTensor query = file.read("electra.encoder.layer.1.attention.self.query.weight").transposed();
      assertArrayEquals(query.values(), g.value("electra/encoder/layer_1/attention/self/query/kernel"));
      // the loaded encoder feeds the head: one finite logit per position and label
      JsonNode first = JSON.readTree(golden.resolve("expected.json").toFile()).get("cases").get(0);
      int[] ids = ints(first.get("input_ids"));
      float[] logits = g.logits(new FinetuneGraph.Tokens(1, ids.length, ids, ints(first.get("attention_mask")),
          ints(first.get("token_type_ids"))));
      assertEquals(ids.length * 9, logits.length);
      for (float v : logits) {
        assertTrue(Float.isFinite(v));
      }
    }
  }

  private static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }
}
