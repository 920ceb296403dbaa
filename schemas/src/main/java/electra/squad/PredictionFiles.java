package electra.squad;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The prediction files of SQuAD fine-tuning, in the reference's layout ({@code json.dumps(..., indent=4)} plus a
 * newline, as BERT's and NVIDIA's {@code run_squad} write them), question ids in the order given:
 * {@code predictions.json} (id → answer, {@code ""} for "no answer"; what {@code EvalSquad} scores),
 * {@code nbest_predictions.json} (id → [{text, probability, start_logit, end_logit}, ...]) and, for SQuAD 2.0,
 * {@code null_odds.json} (id → null-odds score; {@code EvalSquad --na_prob_file} sweeps its threshold).
 */
public final class PredictionFiles {

  public static final String PREDICTIONS = "predictions.json";
  public static final String NBEST = "nbest_predictions.json";
  public static final String NULL_ODDS = "null_odds.json";

  private PredictionFiles() {}

  /** Writes the files into {@code directory}: {@code null_odds.json} only when the predictions carry null odds. */
  public static void write(Path directory, List<AnswerDecoder.Prediction> predictions) throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve(PREDICTIONS), predictionsJson(predictions));
    Files.writeString(directory.resolve(NBEST), nbestJson(predictions));
    if (!predictions.isEmpty() && predictions.get(0).nullOdds().isPresent()) {
      Files.writeString(directory.resolve(NULL_ODDS), nullOddsJson(predictions));
    }
  }

  public static String predictionsJson(List<AnswerDecoder.Prediction> predictions) {
    Map<String, Object> byId = new LinkedHashMap<>();
    predictions.forEach(p -> byId.put(p.exampleId(), p.text()));
    return dumps(byId);
  }

  public static String nbestJson(List<AnswerDecoder.Prediction> predictions) {
    Map<String, Object> byId = new LinkedHashMap<>();
    for (AnswerDecoder.Prediction p : predictions) {
      byId.put(p.exampleId(), p.nbest().stream().map(c -> {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("text", c.text());
        entry.put("probability", c.probability());
        entry.put("start_logit", (double) c.startLogit());
        entry.put("end_logit", (double) c.endLogit());
        return entry;
      }).toList());
    }
    return dumps(byId);
  }

  /** Fails for a prediction without null odds (SQuAD 1.1 has none). */
  public static String nullOddsJson(List<AnswerDecoder.Prediction> predictions) {
    Map<String, Object> byId = new LinkedHashMap<>();
    for (AnswerDecoder.Prediction p : predictions) {
      byId.put(p.exampleId(), p.nullOdds().orElseThrow(() -> new IllegalArgumentException(
          "question " + p.exampleId() + " has no null odds: decode with SQuAD version 2.0")));
    }
    return dumps(byId);
  }

  private static String dumps(Map<String, Object> byId) {
    return PythonJson.dumps(byId, 4) + "\n";
  }
}
