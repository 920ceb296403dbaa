package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.export.ClassifierExport;
import electra.glue.GlueExample;
import electra.glue.GlueFeaturizer;
import electra.glue.GlueTask;
import electra.model.ElectraConfig;
import electra.tagging.TaggingFeaturizer;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.trainer.finetune.ClassifierGraph;
import electra.trainer.finetune.FinetuneGlue;
import electra.trainer.finetune.FinetuneGraph;
import electra.trainer.finetune.FinetuneTagging;
import electra.trainer.finetune.GlueConfig;
import electra.trainer.finetune.TaggerGraph;
import electra.trainer.finetune.TaggingConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code Infer --task=classify|tag} with the exports FinetuneGlue and FinetuneTagging write ({@code --export_dir}):
 * the folder is a Hugging Face classifier with its labels, and Infer's SavedModel gives what the fine-tuning graph
 * computes on the same weights.
 */
class InferLabelsTest {

  private static final ElectraConfig TINY = new ElectraConfig(64, 32, 64, 2, 2, 128, "gelu", 0, 0, 64, 2, 0.02,
      1e-12);
  private static final List<String> TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat",
      "sat", "on", "mat", "harry", "grew", "up", "in", "canada", ".", "a", "dog", "ran", "can", "##ada");
  private static final int LENGTH = 16;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true,
      StandardCharsets.UTF_8);

  private static Vocabulary vocab(Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("vocab.txt"), String.join("\n", TOKENS) + "\n");
    return Vocabulary.load(file);
  }

  /** A random classifier of {@code outputs} as a Hugging Face folder with the vocabulary. */
  private static Path classifier(Path dir, int outputs, boolean regression) throws Exception {
    try (ClassifierGraph g = new ClassifierGraph(TINY, outputs, regression, null, null)) {
      g.initialize();
      g.saveHuggingFace(dir);
    }
    vocab(dir);
    return dir;
  }

  private static String infer(String... args) throws Exception {
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    new Infer(new PrintStream(console, true, StandardCharsets.UTF_8)).run(args);
    return console.toString(StandardCharsets.UTF_8);
  }

  private static float[] logits(FinetuneGraph g, GlueFeaturizer.Inputs in) {
    FinetuneGraph.Tokens tokens = new FinetuneGraph.Tokens(1, LENGTH, in.inputIds(), in.inputMask(),
        in.segmentIds());
    return g instanceof ClassifierGraph c ? c.logits(tokens) : ((TaggerGraph) g).logits(tokens);
  }

  @Test
  void classifiesAPairWithTheLabelsAndProbabilitiesOfTheGraph(@TempDir Path tmp) throws Exception {
    Path hf = classifier(Files.createDirectories(tmp.resolve("hf")), 3, false);
    Path mnli = Files.createDirectories(tmp.resolve("MNLI"));
    List<String> rows = List.of("index\tpromptID\tpairID\tgenre\tb1\tb2\tp1\tp2\tsentence1\tsentence2\tgold_label",
        "0\t1\t1n\tslate\t.\t.\t.\t.\tthe cat sat\ta dog ran\tneutral");
    Files.write(mnli.resolve("dev_matched.tsv"), rows);
    Files.write(mnli.resolve("dev_mismatched.tsv"), rows);
    Path export = tmp.resolve("export");
    new FinetuneGlue(QUIET).run(GlueConfig.parse("--task_name=mnli", "--mode=eval", "--electra_model=" + hf,
        "--data_dir=" + mnli, "--max_seq_length=" + LENGTH, "--output_dir=" + tmp.resolve("out"),
        "--export_dir=" + export));

    JsonNode config = JSON.readTree(export.resolve("config.json").toFile());
    assertEquals("ElectraForSequenceClassification", config.get("architectures").get(0).asText());
    assertEquals("{\"0\":\"contradiction\",\"1\":\"entailment\",\"2\":\"neutral\"}", config.get("id2label")
        .toString());
    assertEquals(2, config.get("label2id").get("neutral").asInt());
    assertEquals("single_label_classification", config.get("problem_type").asText());
    JsonNode tokenizer = JSON.readTree(export.resolve("tokenizer_config.json").toFile());
    assertTrue(tokenizer.get("do_lower_case").asBoolean());
    assertEquals(LENGTH, tokenizer.get("model_max_length").asInt());
    assertTrue(Files.isRegularFile(export.resolve("vocab.txt")) && Files.isRegularFile(export.resolve(
        "model.safetensors")) && Files.isRegularFile(export.resolve("saved_model.pb")));

    String printed = infer("--task=classify", "--model=" + export, "--text=The cat sat.", "--text_b=A dog ran.");
    GlueFeaturizer.Inputs in = new GlueFeaturizer(BertTokenizer.uncased(vocab(tmp)), LENGTH).inputs(
        new GlueExample(0, "The cat sat.", "A dog ran.", null));
    float[] logits;
    try (ClassifierGraph g = new ClassifierGraph(TINY, 3, false, null, null)) {
      g.loadHuggingFace(hf);
      logits = logits(g, in);
    }
    double max = Math.max(logits[0], Math.max(logits[1], logits[2]));
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l - max);
    }
    int best = 0;
    for (int k = 0; k < 3; k++) {
      best = logits[k] > logits[best] ? k : best;
      String label = GlueTask.MNLI.labels().get(k);
      assertTrue(printed.contains(String.format(Locale.ROOT, "  %s %.4f", label, Math.exp(logits[k] - max) / sum)),
          label + "\n" + printed);
    }
    assertTrue(printed.startsWith("label: " + GlueTask.MNLI.labels().get(best) + "\n"), printed);
    assertTrue(printed.endsWith(" ms on tensorflow\n"), "the default, auto, runs a classifier export (no model.onnx) "
        + "on TensorFlow: " + printed);

    UsageException tag = assertThrows(UsageException.class, () -> infer("--task=tag", "--model=" + export,
        "--text=the cat"));
    assertTrue(tag.getMessage().contains("use --task=classify"), tag.getMessage());
    UsageException onnx = assertThrows(UsageException.class, () -> infer("--task=classify", "--model=" + export,
        "--text=the cat", "--engine=onnxruntime"));
    assertTrue(onnx.getMessage().contains("QA exports only"), onnx.getMessage());
    assertThrows(UsageException.class, () -> infer("--task=classify", "--model=" + export, "--question=who?"));
  }

  @Test
  void aRegressionAnswersOnStsBsScale(@TempDir Path tmp) throws Exception {
    Path hf = classifier(Files.createDirectories(tmp.resolve("hf")), 1, true);
    Path sts = Files.createDirectories(tmp.resolve("STS-B"));
    Files.write(sts.resolve("dev.tsv"), List.of(
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore",
        "0\tmain-captions\tMSRvid\t2012test\t0\tnone\tnone\tthe cat sat\ta cat sat\t4.000"));
    Path export = tmp.resolve("export");
    new FinetuneGlue(QUIET).run(GlueConfig.parse("--task_name=sts-b", "--mode=eval", "--electra_model=" + hf,
        "--data_dir=" + sts, "--max_seq_length=" + LENGTH, "--output_dir=" + tmp.resolve("out"),
        "--export_dir=" + export));
    assertEquals("regression", JSON.readTree(export.resolve("config.json").toFile()).get("problem_type").asText());
    assertEquals(ClassifierExport.regression(true, LENGTH), ClassifierExport.read(export));

    String printed = infer("--task=classify", "--model=" + export, "--text=the cat sat", "--text_b=a cat sat");
    GlueFeaturizer.Inputs in = new GlueFeaturizer(BertTokenizer.uncased(vocab(tmp)), LENGTH).inputs(
        new GlueExample(0, "the cat sat", "a cat sat", null));
    try (ClassifierGraph g = new ClassifierGraph(TINY, 1, true, null, null)) {
      g.loadHuggingFace(hf);
      // trained on score / 5, so the export's output layer is scaled back to 0-5
      assertTrue(printed.startsWith("score: "), printed);
      double score = Double.parseDouble(printed.lines().findFirst().orElseThrow().substring("score: ".length()));
      assertEquals(logits(g, in)[0] * 5, score, 1e-4, printed);
    }
  }

  @Test
  void tagsEachWordAtItsFirstPieceAndListsTheChunks(@TempDir Path tmp) throws Exception {
    Path hf = classifier(Files.createDirectories(tmp.resolve("hf")), 2, false); // only its encoder is used
    Path conll = Files.createDirectories(tmp.resolve("ner"));
    Files.write(conll.resolve("train.txt"), List.of("harry I-PER", "grew O", "up O", "in O", "canada I-LOC", "",
        "the O", "dog O", "ran O", ""));
    Path export = tmp.resolve("export");
    new FinetuneTagging(QUIET).run(TaggingConfig.parse("--task_name=ner", "--mode=train", "--electra_model=" + hf,
        "--data_dir=" + conll, "--max_seq_length=" + LENGTH, "--num_train_epochs=1", "--train_batch_size=2",
        "--output_dir=" + tmp.resolve("out"), "--export_dir=" + export));
    ClassifierExport read = ClassifierExport.read(export);
    assertEquals(ClassifierExport.Kind.TOKEN, read.kind());
    List<String> labels = List.of("O", "B-LOC", "I-LOC", "B-PER", "I-PER");
    assertEquals(labels, read.labels());

    List<String> words = List.of("Harry", "grew", "up", "in", "Canada", ".");
    String printed = infer("--task=tag", "--model=" + export, "--text=" + String.join(" ", words));
    TaggingFeaturizer.Features f = new TaggingFeaturizer(BertTokenizer.uncased(vocab(tmp)), LENGTH).features(
        words, null);
    List<String> expected = new ArrayList<>();
    try (TaggerGraph g = new TaggerGraph(TINY, labels.size(), null, null)) {
      g.loadHuggingFace(export);
      float[] logits = logits(g, f.inputs());
      for (int position : f.firstPieces()) {
        int best = 0;
        for (int k = 1; k < labels.size(); k++) {
          best = logits[position * labels.size() + k] > logits[position * labels.size() + best] ? k : best;
        }
        expected.add(labels.get(best));
      }
    }
    List<String> lines = printed.lines().toList();
    for (int w = 0; w < words.size(); w++) {
      assertTrue(lines.get(w).startsWith(words.get(w) + "\t" + expected.get(w) + "\t"), w + ": " + printed);
    }
    assertTrue(lines.get(words.size()).startsWith("chunks: "), printed);
  }
}
