package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The EvalSquad job on the real dev sets and leaderboard predictions reproduces the official scripts' output
 * (the scores listed in the shared data README), compared as printed text.
 */
class OfficialScoresTest {

  @TempDir
  Path temp;

  /** What one run printed. */
  private record Printed(String stdout, String stderr) {}

  private static Printed evalSquad(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    new EvalSquad(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
        .run(args);
    return new Printed(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void bertEnsembleOnDevV11() throws Exception {
    Printed printed = evalSquad("--data_file=" + SquadData.devV11(),
        "--predictions_file=" + SquadData.predictions("v1.1-dev.bert-ensemble-google"));
    assertEquals("{\"exact_match\": 86.20624408703878, \"f1\": 92.19557978351145}\n", printed.stdout());
    assertEquals("", printed.stderr());
  }

  @Test
  void logisticRegressionBaselineWithThirteenUnansweredQuestions() throws Exception {
    Printed printed = evalSquad("--data_file=" + SquadData.devV11(),
        "--predictions_file=" + SquadData.predictions("v1.1-dev.logistic-regression-baseline-stanford"));
    assertEquals("{\"exact_match\": 40.14191106906339, \"f1\": 50.98153647324461}\n", printed.stdout());
    List<String> warnings = printed.stderr().lines().toList();
    assertEquals(13, warnings.size(), printed.stderr());
    warnings.forEach(w -> assertEquals(true, w.matches("Unanswered question [0-9a-f]{24} will receive score 0\\."), w));
  }

  @Test
  void firstGoldAnswerScoresFullMarks() throws Exception {
    Map<String, String> firstAnswers = new LinkedHashMap<>();
    SquadDataset.read(SquadData.devV11()).examples()
        .forEach(example -> firstAnswers.put(example.id(), example.answers().get(0).text()));
    Path predictions = temp.resolve("first-answers.json");
    new ObjectMapper().writeValue(predictions.toFile(), firstAnswers);
    assertEquals("{\"exact_match\": 100.0, \"f1\": 100.0}\n",
        evalSquad("--data_file=" + SquadData.devV11(), "--predictions_file=" + predictions).stdout());
  }

  /** The predictions cover all 11873 dev-v2.0 questions; those outside the five articles are ignored. */
  @Test
  void bertSingleOnTheFirstFiveArticlesOfDevV20() throws Exception {
    Printed printed = evalSquad("--data_file=" + SquadData.devV20First5Articles(),
        "--predictions_file=" + SquadData.predictions("v2.0-dev.bert-single-google"));
    assertEquals("""
        {
          "exact": 75.55081734186211,
          "f1": 78.83251404548824,
          "total": 1407,
          "HasAns_exact": 70.35460992907801,
          "HasAns_f1": 76.9040386695064,
          "HasAns_total": 705,
          "NoAns_exact": 80.76923076923077,
          "NoAns_f1": 80.76923076923077,
          "NoAns_total": 702
        }
        """, printed.stdout());
    assertEquals("", printed.stderr());
  }

  @Test
  void noAnswerForEveryQuestionOfTheFirstFiveArticles() throws Exception {
    Map<String, String> empty = new LinkedHashMap<>();
    SquadDataset.read(SquadData.devV20First5Articles()).examples().forEach(example -> empty.put(example.id(), ""));
    Path predictions = temp.resolve("empty.json");
    Files.writeString(predictions, new ObjectMapper().writeValueAsString(empty));
    assertEquals("""
        {
          "exact": 49.89339019189765,
          "f1": 49.89339019189765,
          "total": 1407,
          "HasAns_exact": 0.0,
          "HasAns_f1": 0.0,
          "HasAns_total": 705,
          "NoAns_exact": 100.0,
          "NoAns_f1": 100.0,
          "NoAns_total": 702
        }
        """, evalSquad("--data_file=" + SquadData.devV20First5Articles(), "--predictions_file=" + predictions).stdout());
  }
}
