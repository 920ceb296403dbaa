package electra.tagging;

import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code EvalTagging} job: scores predicted tags against a tagged CoNLL file by chunks, as conlleval counts them,
 * and prints one JSON object: {@code precision}, {@code recall}, {@code f1} (fractions) and the chunk counts.
 */
public final class EvalTagging implements Job {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream out;

  public EvalTagging() {
    this(System.out);
  }

  public EvalTagging(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "EvalTagging";
  }

  @Override
  public String description() {
    return "chunk-level precision, recall and F1 (as conlleval counts them) of predicted tags, as JSON";
  }

  /** What {@code EvalTagging} scores. */
  record Settings(
      @Flag(value = "the tagged CoNLL file (word first, gold tag last; blank line between sentences), e.g. "
          + "conll2003/dev.txt", required = true)
      Path dataFile,
      @Flag(value = "the predictions: the same words in the same sentences, the predicted tag last on each line (as "
          + "FinetuneTagging writes <split>_predictions.txt: word gold predicted)", required = true)
      Path predictionsFile) {

    Settings {
      UsageException.requireFile(dataFile, "data_file");
      UsageException.requireFile(predictionsFile, "predictions_file");
    }
  }

  static Flags flags() {
    return Flags.forJob("EvalTagging", "scores predicted tags against a tagged CoNLL file by chunks (entities), as "
            + "conlleval counts them (IOB1, BIO2 and IOBES tags alike), and prints precision, recall and f1 "
            + "(fractions: conlleval prints them times 100) with the chunk counts as one JSON object")
        .example("./electra EvalTagging --data_file=data/conll2003/dev.txt "
            + "--predictions_file=runs/ner/dev_predictions.txt")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings s = flags().parse(args).record(Settings.class);
    out.println(JSON.writeValueAsString(evaluate(s.dataFile(), s.predictionsFile())));
  }

  /** The scores of the predictions file's tags against the data file's. */
  public static Map<String, Number> evaluate(Path dataFile, Path predictionsFile) throws IOException {
    List<TaggedSentence> gold = ConllFiles.read(dataFile);
    List<TaggedSentence> predicted = ConllFiles.read(predictionsFile);
    if (gold.isEmpty() || !ConllFiles.tagged(gold)) {
      throw new UsageException(dataFile + " holds no tagged sentence (word first, tag last on every line)");
    }
    if (predicted.size() != gold.size()) {
      throw new UsageException(predictionsFile + " has " + predicted.size() + " sentences, " + dataFile + " "
          + gold.size());
    }
    List<List<String>> goldTags = new ArrayList<>();
    List<List<String>> predictedTags = new ArrayList<>();
    for (int i = 0; i < gold.size(); i++) {
      if (!gold.get(i).words().equals(predicted.get(i).words()) || predicted.get(i).tags() == null) {
        throw new UsageException("sentence " + (i + 1) + " of " + predictionsFile + " is not sentence " + (i + 1)
            + " of " + dataFile + " with a tag on every word: " + String.join(" ", predicted.get(i).words()));
      }
      goldTags.add(gold.get(i).tags());
      predictedTags.add(predicted.get(i).tags());
    }
    return TaggingScores.count(goldTags, predictedTags).asMap();
  }
}
