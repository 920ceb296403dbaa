package electra.squad;

import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code EvalSquad} job: the official SQuAD evaluation of a predictions file, printed exactly as
 * {@code evaluate-v1.1.py} or {@code evaluate-v2.0.py} prints it, so the numbers can be compared digit for digit
 * with published ones.
 */
public final class EvalSquad implements Job {

  private final PrintStream stdout;
  private final PrintStream stderr;

  /** The job as the launcher starts it, printing to the process's stdout and stderr. */
  public EvalSquad() {
    this(System.out, System.err);
  }

  /** The job printing the metrics to {@code stdout} and the scripts' warnings to {@code stderr}. */
  public EvalSquad(PrintStream stdout, PrintStream stderr) {
    this.stdout = stdout;
    this.stderr = stderr;
  }

  @Override
  public String name() {
    return "EvalSquad";
  }

  @Override
  public String description() {
    return "official SQuAD v1.1/v2.0 EM and F1 of a predictions file, printed as the official scripts print them";
  }

  static Flags flags() {
    return Flags.forJob("EvalSquad",
            "scores predictions (question id → answer text, \"\" = no answer) against a SQuAD dev file with the "
                + "official metrics; JSON and .gz files are read alike")
        .example("./electra EvalSquad --data_file=dev-v1.1.json --predictions_file=squad_preds.json")
        .example("./electra EvalSquad --data_file=dev-v2.0.json.gz --predictions_file=squad_preds.json"
            + " --na_prob_file=squad_null_odds.json --na_prob_thresh=-2.75")
        .text("data_file", null, "the SQuAD dataset, e.g. dev-v1.1.json or dev-v2.0.json")
        .text("predictions_file", null, "JSON object: question id → predicted answer text")
        .text("na_prob_file", null, "SQuAD 2.0: JSON object: question id → no-answer score; adds the best-threshold"
            + " metrics")
        .decimal("na_prob_thresh", 1.0, "SQuAD 2.0: predict no answer where the no-answer score is above this")
        .text("version", "auto", "1.1, 2.0, or auto: the dataset's version field, else 2.0 when questions carry"
            + " is_impossible");
  }

  @Override
  public void run(String[] args) throws IOException {
    Flags.Values flags = flags().parse(args);
    Path dataFile = existingFile(flags, "data_file");
    Path predictionsFile = existingFile(flags, "predictions_file");
    Optional<Path> naProbFile = flags.text("na_prob_file") == null
        ? Optional.empty() : Optional.of(existingFile(flags, "na_prob_file"));
    double naProbThresh = flags.decimal("na_prob_thresh");
    Optional<SquadVersion> requested = requestedVersion(flags.text("version"));
    try {
      SquadDataset dataset = SquadDataset.read(dataFile);
      SquadVersion version = requested.orElseGet(() -> SquadVersion.of(dataset));
      Map<String, String> predictions = SquadFiles.predictions(predictionsFile);
      if (version == SquadVersion.V1_1) {
        if (naProbFile.isPresent() || naProbThresh != 1.0) {
          throw new UsageException("--na_prob_file and --na_prob_thresh are for SQuAD 2.0; " + dataFile
              + " is scored as 1.1 (see --version)");
        }
        warnIfNotVersion1(dataset);
        print(PythonJson.dumps(SquadMetrics.evaluateV1(dataset.examples(), predictions, stderr::println)));
      } else {
        Optional<Map<String, ? extends Number>> naProbs = naProbFile.isPresent()
            ? Optional.of(SquadFiles.noAnswerProbabilities(naProbFile.get())) : Optional.empty();
        print(PythonJson.dumpsIndented(
            SquadMetrics.evaluateV2(dataset.examples(), predictions, naProbs, naProbThresh)));
      }
    } catch (SquadInputException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /** The version --version asks for; empty for auto. */
  private static Optional<SquadVersion> requestedVersion(String flag) {
    if (flag.equals("auto")) {
      return Optional.empty();
    }
    try {
      return Optional.of(SquadVersion.parse(flag));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--version: " + e.getMessage() + " or auto");
    }
  }

  /** evaluate-v1.1.py's warning (it scores the file anyway). */
  private void warnIfNotVersion1(SquadDataset dataset) {
    String version = dataset.version().orElse("(none)");
    if (!version.equals("1.1")) {
      stderr.println("Evaluation expects v-1.1, but got dataset with v-" + version);
    }
  }

  /** Python's {@code print}: the text and a newline, whatever the platform's line separator. */
  private void print(String text) {
    stdout.print(text + "\n");
    stdout.flush();
  }

  private static Path existingFile(Flags.Values flags, String flag) {
    Path file = Path.of(flags.required(flag));
    if (!Files.isRegularFile(file)) {
      throw new UsageException("--" + flag + ": no such file: " + file);
    }
    return file;
  }
}
