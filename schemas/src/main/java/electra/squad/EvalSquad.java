package electra.squad;

import electra.cli.Flag;
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

  /** The files {@code EvalSquad} scores and how. */
  record Settings(
      @Flag(value = "the SQuAD dataset, e.g. dev-v1.1.json or dev-v2.0.json", required = true)
      Path dataFile,
      @Flag(value = "JSON object: question id → predicted answer text", required = true)
      Path predictionsFile,
      @Flag("SQuAD 2.0: JSON object: question id → no-answer score; adds the best-threshold metrics")
      Path naProbFile,
      @Flag(value = "SQuAD 2.0: predict no answer where the no-answer score is above this", defaultValue = "1.0")
      double naProbThresh,
      @Flag(value = "1.1, 2.0, or auto: the dataset's version field, else 2.0 when questions carry is_impossible",
          defaultValue = "auto")
      String version,
      SquadVersion forcedVersion) { // derived from version: null for auto

    Settings {
      UsageException.requireFile(dataFile, "data_file");
      UsageException.requireFile(predictionsFile, "predictions_file");
      if (naProbFile != null) {
        UsageException.requireFile(naProbFile, "na_prob_file");
      }
      if (!version.equals("auto")) {
        try {
          forcedVersion = SquadVersion.parse(version);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--version: " + e.getMessage() + " or auto");
        }
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("EvalSquad",
            "scores predictions (question id → answer text, \"\" = no answer) against a SQuAD dev file with the "
                + "official metrics; JSON and .gz files are read alike")
        .example("./electra EvalSquad --data_file=dev-v1.1.json --predictions_file=squad_preds.json")
        .example("./electra EvalSquad --data_file=dev-v2.0.json.gz --predictions_file=squad_preds.json"
            + " --na_prob_file=squad_null_odds.json --na_prob_thresh=-2.75")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings settings = flags().parse(args).record(Settings.class);
    try {
      SquadDataset dataset = SquadDataset.read(settings.dataFile());
      SquadVersion version = settings.forcedVersion() != null ? settings.forcedVersion() : SquadVersion.of(dataset);
      Map<String, String> predictions = SquadFiles.predictions(settings.predictionsFile());
      if (version == SquadVersion.V1_1) {
        if (settings.naProbFile() != null || settings.naProbThresh() != 1.0) {
          throw new UsageException("--na_prob_file and --na_prob_thresh are for SQuAD 2.0; " + settings.dataFile()
              + " is scored as 1.1 (see --version)");
        }
        warnIfNotVersion1(dataset);
        print(PythonJson.dumps(SquadMetrics.evaluateV1(dataset.examples(), predictions, stderr::println)));
      } else {
        Optional<Map<String, ? extends Number>> naProbs = settings.naProbFile() != null
            ? Optional.of(SquadFiles.noAnswerProbabilities(settings.naProbFile())) : Optional.empty();
        print(PythonJson.dumpsIndented(
            SquadMetrics.evaluateV2(dataset.examples(), predictions, naProbs, settings.naProbThresh())));
      }
    } catch (SquadInputException e) {
      throw new UsageException(e.getMessage());
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
}
