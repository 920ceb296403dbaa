package electra.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.export.ExportMetadata;
import electra.export.InferenceEngine;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeature;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** QaModel, QaAnswerer and Infer on the golden tiny QA model, exported with ExportModel. */
class QaModelTest {

  private static Path export;
  private static QaModel model;
  private static JsonNode cases;

  @BeforeAll
  static void load() throws Exception {
    export = TestModels.export();
    model = QaModel.load(export, 4, InferenceEngine.TENSORFLOW);
    cases = new ObjectMapper().readTree(TestModels.golden().resolve("expected.json").toFile()).get("cases");
  }

  @AfterAll
  static void close() {
    if (model != null) {
      model.close();
    }
  }

  static String span(String context, int startChar, int endChar) {
    int from = context.offsetByCodePoints(0, startChar);
    return context.substring(from, context.offsetByCodePoints(from, endChar - startChar));
  }

  private static float[] floats(JsonNode a) {
    float[] out = new float[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) a.get(i).asDouble();
    }
    return out;
  }

  @Test
  void goldenCasesGiveTheReferenceLogitsAndTheAnswerTheReferenceLogitsDecodeTo() {
    QaAnswerer answerer = new QaAnswerer(model, RequestLimits.DEFAULTS);
    QaFeaturizer featurizer = new QaFeaturizer(model.tokenizer(), new QaFeaturizer.Options(96, 32, 24));
    AnswerDecoder decoder = new AnswerDecoder(model.tokenizer(), AnswerDecoder.Options.defaults(SquadVersion.V1_1));
    for (JsonNode c : cases) {
      String question = c.get("question").asText();
      String context = c.get("context").asText();
      List<QaFeature> features = featurizer.features("q", question, context);
      assertEquals(1, features.size());
      QaFeature f = features.get(0);
      int[] expectedIds = new int[96];
      for (int i = 0; i < 96; i++) {
        expectedIds[i] = c.get("input_ids").get(i).asInt();
      }
      assertArrayEquals(expectedIds, f.inputIds(), "the featurizer makes the reference's input");

      AnswerDecoder.WindowLogits actual = (AnswerDecoder.WindowLogits) model.predict(List.of(f)).get(0);
      float[] expectedStart = floats(c.get("start_logits"));
      float[] expectedEnd = floats(c.get("end_logits"));
      for (int t = 0; t < f.tokenCount(); t++) {
        assertEquals(expectedStart[t], actual.startLogits()[t], 1e-4, "start logit " + t);
        assertEquals(expectedEnd[t], actual.endLogits()[t], 1e-4, "end logit " + t);
      }

      AnswerDecoder.Candidate reference = decoder.decode(List.of(f),
          List.of(AnswerDecoder.WindowLogits.of(expectedStart, expectedEnd))).answer().orElseThrow();
      QaAnswerer.Answer a = answerer.answer("q", question, context);
      assertEquals(reference.text(), a.text());
      assertEquals(reference.span().orElseThrow().startChar(), a.startChar());
      assertEquals(reference.span().orElseThrow().endChar(), a.endChar());
      assertEquals(reference.startLogit() + reference.endLogit(), a.score(), 1e-3);
      assertTrue(!a.text().isEmpty());
      assertEquals(a.text(), span(context, a.startChar(), a.endChar()));
      assertEquals(a, answerer.answer("q", question, context), "deterministic");
      System.out.printf("golden: %s -> '%s' [%d, %d) score %.4f%n", question, a.text(), a.startChar(), a.endChar(),
          a.score());
    }
  }

  /** ONNX Runtime on the export's model.onnx: the reference logits, and TensorFlow's answers to every question. */
  @Test
  void onnxRuntimeGivesTheReferenceLogitsAndTensorFlowsAnswers() throws Exception {
    QaFeaturizer featurizer = new QaFeaturizer(model.tokenizer(), new QaFeaturizer.Options(96, 32, 24));
    String longContext = String.join(" ", java.util.Collections.nCopies(6, cases.get(0).get("context").asText()));
    List<QaAnswerer.Question> questions = new ArrayList<>(List.of(
        new QaAnswerer.Question("long", "Who won Super Bowl 50?", longContext)));
    try (QaModel onnx = QaModel.load(export, 4, InferenceEngine.ONNXRUNTIME)) {
      assertEquals(InferenceEngine.ONNXRUNTIME, onnx.engine());
      for (JsonNode c : cases) {
        QaFeature f = featurizer.features("q", c.get("question").asText(), c.get("context").asText()).get(0);
        AnswerDecoder.WindowLogits actual = (AnswerDecoder.WindowLogits) onnx.predict(List.of(f)).get(0);
        float[] expectedStart = floats(c.get("start_logits"));
        float[] expectedEnd = floats(c.get("end_logits"));
        for (int t = 0; t < f.tokenCount(); t++) {
          assertEquals(expectedStart[t], actual.startLogits()[t], 1e-4, "start logit " + t);
          assertEquals(expectedEnd[t], actual.endLogits()[t], 1e-4, "end logit " + t);
        }
        questions.add(new QaAnswerer.Question("q" + questions.size(), c.get("question").asText(),
            c.get("context").asText()));
      }
      List<QaAnswerer.Outcome> expected = new QaAnswerer(model, RequestLimits.DEFAULTS).answerAll(questions);
      List<QaAnswerer.Outcome> actual = new QaAnswerer(onnx, RequestLimits.DEFAULTS).answerAll(questions);
      for (int i = 0; i < questions.size(); i++) {
        QaAnswerer.Answer e = expected.get(i).answer();
        QaAnswerer.Answer a = actual.get(i).answer();
        assertEquals(e.text(), a.text(), questions.get(i).id());
        assertEquals(e.startChar(), a.startChar());
        assertEquals(e.windows(), a.windows());
        assertEquals(e.score(), a.score(), 1e-4);
      }
    }
  }

  /** An export from before model.onnx: TensorFlow serves it, also under auto; ONNX Runtime says what to do. */
  @Test
  void anExportWithoutAnOnnxModelIsRefusedByOnnxRuntimeOnly(@TempDir Path tmp) throws Exception {
    Path old = TestModels.exportWithoutOnnx(tmp.resolve("old-export"));
    assertNull(ExportMetadata.read(old).onnxFile());
    assertTrue(Files.notExists(old.resolve(ExportMetadata.ONNX_FILE)));
    try (QaModel tensorflow = QaModel.load(old, 4, InferenceEngine.TENSORFLOW)) {
      assertEquals(InferenceEngine.TENSORFLOW, tensorflow.engine());
    }
    try (QaModel auto = QaModel.load(old, 4, InferenceEngine.AUTO)) {
      assertEquals(InferenceEngine.TENSORFLOW, auto.engine(), "auto: no model.onnx, so TensorFlow");
    }
    IOException refused = assertThrows(IOException.class, () -> QaModel.load(old, 4, InferenceEngine.ONNXRUNTIME));
    assertTrue(refused.getMessage().contains("has no ONNX model") && refused.getMessage().contains("export it "
        + "again, or serve it with --engine=tensorflow"), refused.getMessage());

    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    new Infer(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {"--model=" + old,
        "--question=What food does Harry like?", "--context=My name is Harry and I grew up in Canada. I love apples."});
    assertTrue(printed.toString(StandardCharsets.UTF_8).matches("(?s).*\nwindows: 1, [0-9.,]+ ms on tensorflow\n"),
        printed.toString(StandardCharsets.UTF_8));
  }

  /** The default engine is auto: an ExportModel export has model.onnx, so ONNX Runtime runs it. */
  @Test
  void autoRunsAnExportWithAnOnnxModelOnOnnxRuntime() throws Exception {
    assertEquals(ExportMetadata.ONNX_FILE, ExportMetadata.read(export).onnxFile());
    try (QaModel auto = QaModel.load(export, 4, InferenceEngine.AUTO); QaModel plain = QaModel.load(export)) {
      assertEquals(InferenceEngine.ONNXRUNTIME, auto.engine());
      assertEquals(InferenceEngine.ONNXRUNTIME, plain.engine(), "QaModel.load(dir) picks as auto does");
      assertTrue(auto.toString().endsWith(", onnxruntime]"), auto.toString());
    }
    assertEquals(InferenceEngine.AUTO, Infer.flags().parse("--model=" + export, "--question=q", "--context=c")
        .record(Infer.Settings.class).engine());
  }

  @Test
  void batchesAcrossQuestionsGiveTheSameAnswersAsOneByOne() {
    QaAnswerer answerer = new QaAnswerer(model, new RequestLimits(1000, 0, 20_000, 64));
    List<QaAnswerer.Question> questions = new ArrayList<>();
    String longContext = String.join(" ", java.util.Collections.nCopies(6, cases.get(0).get("context").asText()));
    questions.add(new QaAnswerer.Question("long", "Who won Super Bowl 50?", longContext));
    for (JsonNode c : cases) {
      questions.add(new QaAnswerer.Question("q" + questions.size(), c.get("question").asText(),
          c.get("context").asText()));
    }
    questions.add(new QaAnswerer.Question("bad", "", "context"));
    List<QaAnswerer.Outcome> together = answerer.answerAll(questions);
    assertEquals(questions.size(), together.size());
    assertTrue(together.get(0).answered(), () -> together.get(0).rejection().reason());
    assertTrue(together.get(0).answer().windows() > 4, "a long context needs several windows: "
        + together.get(0).answer().windows());
    for (int i = 0; i < questions.size() - 1; i++) {
      QaAnswerer.Question q = questions.get(i);
      QaAnswerer.Answer alone = answerer.answer(q.id(), q.question(), q.context());
      QaAnswerer.Answer batched = together.get(i).answer();
      assertEquals(alone.text(), batched.text(), q.id());
      assertEquals(alone.startChar(), batched.startChar());
      assertEquals(alone.score(), batched.score(), 1e-4);
      assertEquals(alone.text(), span(q.context(), alone.startChar(), alone.endChar()));
    }
    assertEquals("empty field \"question\"", together.get(questions.size() - 1).rejection().reason());
  }

  @Test
  void limitsRefuseWithClearReasons() {
    QaAnswerer answerer = new QaAnswerer(model, new RequestLimits(200, 0, 2_000, 3));
    RejectedRequest tokens = assertThrows(RejectedRequest.class, () -> answerer.answer("a",
        "why " + "very ".repeat(30) + "long?", "some context"));
    assertTrue(tokens.reason().startsWith("question too long: 33 WordPieces, the limit is 24"), tokens.reason());
    RejectedRequest chars = assertThrows(RejectedRequest.class, () -> answerer.answer("b", "x".repeat(201), "c"));
    assertTrue(chars.reason().startsWith("question too long: 201 characters"), chars.reason());
    RejectedRequest context = assertThrows(RejectedRequest.class, () -> answerer.answer("c", "who?", "y ".repeat(1001)));
    assertTrue(context.reason().startsWith("context too long: 2002 characters"), context.reason());
    RejectedRequest windows = assertThrows(RejectedRequest.class, () -> answerer.answer("d", "who?",
        "word ".repeat(300)));
    assertTrue(windows.reason().matches("context too long: it needs \\d+ windows of 96 tokens, the limit is 3"),
        windows.reason());
    RejectedRequest empty = assertThrows(RejectedRequest.class, () -> answerer.answer("e", "who?", "   "));
    assertEquals("empty field \"context\"", empty.reason());
  }

  @Test
  void inferPrintsAnAnswerFoundAtItsOffsets() throws Exception {
    String context = "My name is Harry and I grew up in Canada. I love apples.";
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    new Infer(new PrintStream(buffer, true, StandardCharsets.UTF_8)).run(new String[] {"--model=" + export,
        "--question=What food does Harry like?", "--context=" + context});
    String printed = buffer.toString(StandardCharsets.UTF_8);
    assertTrue(printed.matches("(?s).*\nwindows: 1, [0-9.,]+ ms on onnxruntime\n"), "auto: " + printed);
    ByteArrayOutputStream tensorflow = new ByteArrayOutputStream();
    new Infer(new PrintStream(tensorflow, true, StandardCharsets.UTF_8)).run(new String[] {"--model=" + export,
        "--question=What food does Harry like?", "--context=" + context, "--engine=tensorflow"});
    assertTrue(tensorflow.toString(StandardCharsets.UTF_8).endsWith(" ms on tensorflow\n"), tensorflow.toString());
    assertEquals(printed.replaceFirst("windows: .*", "").replaceAll("score: .*\n", ""),
        tensorflow.toString(StandardCharsets.UTF_8).replaceFirst("windows: .*", "").replaceAll("score: .*\n", ""),
        "the same answer at the same offsets");
    System.out.print(printed);
    Matcher answer = Pattern.compile("answer: (.*)\n").matcher(printed);
    Matcher start = Pattern.compile("start_char: (\\d+)").matcher(printed);
    Matcher end = Pattern.compile("end_char: (\\d+)").matcher(printed);
    assertTrue(answer.find() && start.find() && end.find(), printed);
    assertTrue(!answer.group(1).isEmpty());
    assertEquals(answer.group(1), span(context, Integer.parseInt(start.group(1)), Integer.parseInt(end.group(1))));
    assertTrue(printed.contains("score: "), printed);

    UsageException tooLong = assertThrows(UsageException.class, () -> new Infer(new PrintStream(buffer)).run(
        new String[] {"--model=" + export, "--question=Who?", "--context=" + "a ".repeat(100), "--max_context_chars=50"}));
    assertTrue(tooLong.getMessage().contains("context too long"), tooLong.getMessage());
    UsageException noModel = assertThrows(UsageException.class, () -> new Infer().run(new String[] {
        "--question=Who?", "--context=x"}));
    assertTrue(noModel.getMessage().contains("--model"), noModel.getMessage());
  }
}
