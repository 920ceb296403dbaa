package electra.glue;

import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code EvalGlue} job: scores a predictions file in GLUE's submission format against a labeled split of a
 * task and prints the task's metrics as one JSON object (e.g. {@code {"matthews_correlation":0.57,"accuracy":0.82}}).
 */
public final class EvalGlue implements Job {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;

  public EvalGlue() {
    this(System.out);
  }

  public EvalGlue(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "EvalGlue";
  }

  @Override
  public String description() {
    return "GLUE metrics (accuracy, F1, Matthews, Pearson/Spearman) of a predictions TSV against a dev file, as JSON";
  }

  /** What {@code EvalGlue} scores. */
  record Settings(
      @Flag(value = "the GLUE task; its folder name (SST-2, STS-B, ...) works too", required = true)
      GlueTask taskName,
      @Flag(value = "the task's labeled TSV as GLUE ships it, e.g. glue/MRPC/dev.tsv", required = true)
      Path dataFile,
      @Flag(value = "TSV with a header and rows 'index<TAB>prediction' (GLUE's submission format, as FinetuneGlue "
          + "writes it); every example of --data_file needs one", required = true)
      Path predictionsFile) {

    Settings {
      UsageException.requireFile(dataFile, "data_file");
      UsageException.requireFile(predictionsFile, "predictions_file");
    }
  }

  static Flags flags() {
    return Flags.forJob("EvalGlue", "scores GLUE predictions against a labeled split and prints the task's metrics "
            + "as one JSON object: accuracy; f1 too for MRPC and QQP; matthews_correlation for CoLA; pearson and "
            + "spearman for STS-B (fractions: the GLUE leaderboard shows them times 100)")
        .example("./electra EvalGlue --task_name=mrpc --data_file=data/glue/MRPC/dev.tsv "
            + "--predictions_file=runs/mrpc/dev_predictions.tsv")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings s = flags().parse(args).record(Settings.class);
    out.println(JSON.writeValueAsString(evaluate(s.taskName(), s.dataFile(), s.predictionsFile())));
  }

  /** The task's metrics of the predictions for every example of {@code dataFile}. */
  public static Map<String, Double> evaluate(GlueTask task, Path dataFile, Path predictionsFile) throws IOException {
    List<GlueExample> examples = GlueData.read(dataFile, task, true).examples();
    if (examples.isEmpty()) {
      throw new UsageException(dataFile + " holds no labeled " + task.folder() + " example");
    }
    Map<Integer, String> predicted = GlueSubmission.read(predictionsFile);
    List<String> gold = new ArrayList<>();
    List<String> mine = new ArrayList<>();
    for (GlueExample e : examples) {
      String p = predicted.get(e.index());
      if (p == null) {
        throw new UsageException(predictionsFile + " has no prediction for index " + e.index() + " of " + dataFile);
      }
      gold.add(e.label());
      mine.add(p);
    }
    try {
      return task.score(GluePredictions.parse(task, gold), GluePredictions.parse(task, mine));
    } catch (IllegalArgumentException e) {
      throw new UsageException(predictionsFile + ": " + e.getMessage());
    }
  }
}
