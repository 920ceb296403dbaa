package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The EvalSquad job's command line: versions, warnings, and one-line errors. */
class EvalSquadJobTest {

  @TempDir
  Path temp;
  private Path data;
  private Path predictions;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @BeforeEach
  void writeFiles() throws Exception {
    data = Files.writeString(temp.resolve("dev.json"), SquadDatasetTest.V20);
    predictions = Files.writeString(temp.resolve("preds.json"), "{\"q1\": \"France\", \"q2\": \"Normans\"}");
  }

  private String run(String... args) throws Exception {
    new EvalSquad(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
        .run(args);
    return out.toString(StandardCharsets.UTF_8);
  }

  private String usageError(String... args) {
    UsageException e = assertThrows(UsageException.class, () -> run(args));
    assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  @Test
  void v20WithNoAnswerProbabilities() throws Exception {
    Path naProbs = Files.writeString(temp.resolve("na.json"), "{\"q1\": 0.25, \"q2\": 1}");
    assertEquals("""
        {
          "exact": 50.0,
          "f1": 50.0,
          "total": 2,
          "HasAns_exact": 100.0,
          "HasAns_f1": 100.0,
          "HasAns_total": 1,
          "NoAns_exact": 0.0,
          "NoAns_f1": 0.0,
          "NoAns_total": 1,
          "best_exact": 100.0,
          "best_exact_thresh": 0.25,
          "best_f1": 100.0,
          "best_f1_thresh": 0.25
        }
        """, run("--data_file", data.toString(), "--predictions_file", predictions.toString(),
        "--na_prob_file", naProbs.toString()));
    out.reset();
    assertTrue(run("--data_file=" + data, "--predictions_file=" + predictions, "--na_prob_file=" + naProbs,
        "--na_prob_thresh=0.5").contains("\"exact\": 100.0,"), out.toString());
  }

  @Test
  void versionCanBeForcedAndV11WarnsLikeTheScript() throws Exception {
    Path v11 = Files.writeString(temp.resolve("v11.json"), SquadDatasetTest.V20
        .replace(", \"is_impossible\": true, \"answers\": []", ", \"answers\": [{\"text\": \"Normans\", \"answer_start\": 4}]")
        .replace("\"is_impossible\": false,", ""));
    assertEquals("{\"exact_match\": 100.0, \"f1\": 100.0}\n",
        run("--data_file=" + v11, "--predictions_file=" + predictions, "--version=1.1"));
    assertEquals("Evaluation expects v-1.1, but got dataset with v-v2.0\n", err.toString(StandardCharsets.UTF_8));
    assertTrue(usageError("--data_file=" + data, "--predictions_file=" + predictions, "--version=1.1")
        .contains("question q2 has no gold answer"));
  }

  @Test
  void mistakesAreOneLineUsageErrors() throws Exception {
    assertEquals("--data_file: no such file: " + temp.resolve("missing.json"),
        usageError("--data_file=" + temp.resolve("missing.json"), "--predictions_file=" + predictions));
    assertEquals("--predictions_file: no such file: " + temp,
        usageError("--data_file=" + data, "--predictions_file=" + temp));
    assertTrue(usageError("--predictions_file=" + predictions).contains("needs --data_file"));
    assertTrue(usageError("--data_file=" + data, "--predictions_file=" + predictions, "--version=3")
        .startsWith("--version: unknown SQuAD version '3'"));
    Path v11 = Files.writeString(temp.resolve("v11.json"), "{\"version\": \"1.1\", \"data\": []}");
    assertTrue(usageError("--data_file=" + v11, "--predictions_file=" + predictions, "--na_prob_thresh=0.5")
        .contains("are for SQuAD 2.0"));
    Path list = Files.writeString(temp.resolve("list.json"), "[\"France\"]");
    assertEquals(list + ": expected a JSON object (question id → value), got an array",
        usageError("--data_file=" + data, "--predictions_file=" + list));
    Path partial = Files.writeString(temp.resolve("partial.json"), "{\"q1\": \"France\"}");
    assertTrue(usageError("--data_file=" + data, "--predictions_file=" + partial).startsWith("no prediction for 1"));
  }

  @Test
  void helpAndRegistration() {
    HelpRequested help = assertThrows(HelpRequested.class, () -> run("--help"));
    assertTrue(help.getMessage().contains("--na_prob_thresh") && help.getMessage().contains("./electra EvalSquad"),
        help.getMessage());
    List<String> names = ServiceLoader.load(Job.class).stream().map(p -> p.get().name()).toList();
    assertTrue(names.containsAll(List.of("EvalSquad", "Tokenize", "BenchmarkTokenizer")), names.toString());
  }
}
