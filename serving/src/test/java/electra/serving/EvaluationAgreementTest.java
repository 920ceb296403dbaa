package electra.serving;

import electra.export.QaHead;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.export.ExportMetadata;
import electra.export.InferenceEngine;
import electra.squad.PredictionFiles;
import electra.squad.SquadDataset;
import electra.squad.SquadExample;
import electra.trainer.export.ExportModel;
import electra.trainer.finetune.FinetuneConfig;
import electra.trainer.finetune.FinetuneSquad;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serving path decides as the evaluation path does: the golden tiny model is fine-tuned on SQuAD 2.0 questions
 * by FinetuneSquad (which writes predictions.json and null_odds.json), exported with ExportModel, and QaAnswerer's
 * answer to every question (text or "no answer", and the null odds) must equal FinetuneSquad's prediction.
 */
class EvaluationAgreementTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int QUESTIONS = 24;
  /** Each engine named, not auto: both must agree with evaluation. */
  private static final List<InferenceEngine> RUNTIMES =
      List.of(InferenceEngine.TENSORFLOW, InferenceEngine.ONNXRUNTIME);
  private static final String[] WINDOWS = {"--max_seq_length=128", "--doc_stride=64", "--max_query_length=32"};

  @Test
  void simpleHeadServesSquad2AsEvaluationPredicts(@TempDir Path tmp) throws Exception {
    // The simple head comes to ExportModel as FinetuneSquad's Hugging Face folder.
    Path hf = tmp.resolve("hf");
    finetune(tmp, QaHead.SIMPLE, "--num_train_epochs=30", "--export_hf_dir=" + hf);
    checkAgreement(tmp, hf, QaHead.SIMPLE);
  }

  @Test
  void jointHeadServesSquad2AsEvaluationPredicts(@TempDir Path tmp) throws Exception {
    // The joint head has no Hugging Face form: ExportModel reads FinetuneSquad's last checkpoint, and the head that
    // checkpoint records.
    // The golden model is narrow (H=32) and keeps its dropout: its joint head needs more epochs to answer at all.
    FinetuneSquad.Summary s = finetune(tmp, QaHead.JOINT, "--num_train_epochs=80", "--beam_size=5");
    Path checkpoint = tmp.resolve("finetune/checkpoints").resolve(String.format("ckpt-%06d", s.lastStep()));
    checkAgreement(tmp, checkpoint, QaHead.JOINT, "--beam_size=5");
  }

  private static FinetuneSquad.Summary finetune(Path tmp, QaHead head, String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("--mode=train_eval", "--electra_model=" + TestModels.golden(),
        "--vocab_file=" + vocab(), "--train_file=" + squad2(), "--predict_file=" + squad2(),
        "--output_dir=" + tmp.resolve("finetune"), "--max_examples=" + QUESTIONS, "--version_2_with_negative",
        "--head=" + head.id(), "--train_batch_size=8", "--learning_rate=1e-3",
        "--seed=12439", "--log_freq=1000"));
    args.addAll(List.of(WINDOWS));
    args.addAll(List.of(extra));
    long t0 = System.nanoTime();
    FinetuneSquad.Summary s = new FinetuneSquad(new PrintStream(new ByteArrayOutputStream()))
        .run(FinetuneConfig.parse(args.toArray(String[]::new)));
    System.out.printf("v2.0 %s head fine-tuned: %d steps in %.1f s, %s%n", head.id(), s.lastStep(),
        (System.nanoTime() - t0) / 1e9, s.results());
    return s;
  }

  private static void checkAgreement(Path tmp, Path source, QaHead head, String... extra) throws Exception {
    Path export = tmp.resolve("export");
    List<String> args = new ArrayList<>(List.of("--electra_model=" + source, "--vocab_file=" + vocab(),
        "--output_dir=" + export, "--version_2_with_negative"));
    args.addAll(List.of(WINDOWS));
    args.addAll(List.of(extra));
    new ExportModel(new PrintStream(new ByteArrayOutputStream())).run(args.toArray(String[]::new));
    ExportMetadata meta = ExportMetadata.read(export);
    assertEquals(head, meta.head(), "no --head: the checkpoint's recorded head, else simple");
    assertTrue(meta.version2WithNegative());
    assertEquals(head.defaultNullScoreDiffThreshold(), meta.decoding().nullScoreDiffThreshold());

    JsonNode predictions = JSON.readTree(tmp.resolve("finetune").resolve(PredictionFiles.PREDICTIONS).toFile());
    JsonNode nullOdds = JSON.readTree(tmp.resolve("finetune").resolve(PredictionFiles.NULL_ODDS).toFile());
    List<QaAnswerer.Question> questions = new ArrayList<>();
    for (SquadExample e : SquadDataset.read(squad2()).examples().subList(0, QUESTIONS)) {
      questions.add(new QaAnswerer.Question(e.id(), e.question(), e.context()));
    }
    for (InferenceEngine engine : RUNTIMES) {
      int abstained = 0;
      double closest = Double.POSITIVE_INFINITY;
      try (QaModel model = QaModel.load(export, 8, engine)) {
        List<QaAnswerer.Outcome> outcomes = new QaAnswerer(model, new RequestLimits(1_000, 0, 20_000, 64))
            .answerAll(questions);
        for (QaAnswerer.Outcome o : outcomes) {
          assertTrue(o.answered(), () -> o.id() + ": " + o.rejection().reason());
          QaAnswerer.Answer a = o.answer();
          String evaluated = predictions.get(o.id()).asText();
          assertEquals(evaluated, a.text(), engine.id() + " " + o.id());
          assertEquals(!evaluated.isEmpty(), a.answerable(), o.id());
          assertEquals(nullOdds.get(o.id()).asDouble(), a.nullScoreDiff().orElseThrow(), 1e-3, o.id());
          JsonNode message = QaMessages.read(QaMessages.answer(a, "tiny", ServedModel.EXPORT_FOLDER_VERSION,
              model.engine(), 0));
          assertEquals(engine.id(), message.get("engine").asText());
          assertEquals(a.answerable(), message.get("answerable").asBoolean());
          assertEquals(a.text(), message.get("answer").asText());
          abstained += a.answerable() ? 0 : 1;
          closest = Math.min(closest, Math.abs(a.nullScoreDiff().getAsDouble()
              - meta.decoding().nullScoreDiffThreshold()));
        }
      }
      System.out.printf("%s head, %s: %d of %d questions served as \"no answer\", as evaluated; closest null odds to "
          + "the threshold: %.4f%n", head.id(), engine.id(), abstained, QUESTIONS, closest);
      assertTrue(abstained > 0 && abstained < QUESTIONS, "the test needs both decisions, got " + abstained
          + " abstentions of " + QUESTIONS);
    }

    // Infer says so for a question the model declines.
    QaAnswerer.Question declined = null;
    for (QaAnswerer.Question q : questions) {
      if (predictions.get(q.id()).asText().isEmpty()) {
        declined = q;
        break;
      }
    }
    for (InferenceEngine engine : RUNTIMES) {
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      new Infer(new PrintStream(printed, true, StandardCharsets.UTF_8)).run(new String[] {"--model=" + export,
          "--question=" + declined.question(), "--context=" + declined.context(), "--engine=" + engine.id()});
      String text = printed.toString(StandardCharsets.UTF_8);
      assertTrue(text.startsWith("no answer (null score diff "), engine.id() + ": " + text);
    }
  }

  private static Path vocab() {
    return TestModels.shared("data/vocab/bert-base-uncased-vocab.txt");
  }

  private static Path squad2() {
    return TestModels.shared("data/squad/dev-v2.0.first5articles.UNVERIFIED.json.gz");
  }
}
