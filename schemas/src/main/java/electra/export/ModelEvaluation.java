package electra.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;

/**
 * {@code eval.json} beside a published model version: how good it is and where it came from, so that a policy
 * ("publish when F1 is higher") and a person can compare versions without running them.
 *
 * @param scores metric name -> value as the official script names them ({@code exact_match}, {@code f1}, ...);
 *     empty when the version was published without an evaluation
 * @param data what the scores were measured on, for people (file, its SHA-256, how many questions); empty when
 *     there are no scores
 * @param questions how many questions were scored
 * @param checkpoint the pre-training checkpoint the model was fine-tuned from; empty when unknown
 * @param pretrainingStep that checkpoint's global step; -1 when unknown
 * @param source what made this version (the job and its fine-tuning folder), for people
 */
public record ModelEvaluation(Map<String, Double> scores, String data, int questions, String checkpoint,
    long pretrainingStep, String source) {

  public static final String FILE = "eval.json";
  public static final String EXACT_MATCH = "exact_match";
  public static final String F1 = "f1";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ModelEvaluation {
    scores = Map.copyOf(scores);
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(checkpoint, "checkpoint");
    Objects.requireNonNull(source, "source");
    if (questions < 0 || pretrainingStep < -1) {
      throw new IllegalArgumentException("an evaluation of " + questions + " questions at pre-training step "
          + pretrainingStep + " (questions >= 0, step >= 0 or -1 for unknown)");
    }
    if (!scores.isEmpty() && (data.isEmpty() || questions == 0)) {
      throw new IllegalArgumentException("scores without the data they were measured on: " + scores);
    }
  }

  /** A version published without being evaluated (ExportModel of a fine-tuning folder with no scores). */
  public static ModelEvaluation unevaluated(String checkpoint, long pretrainingStep, String source) {
    return new ModelEvaluation(Map.of(), "", 0, checkpoint, pretrainingStep, source);
  }

  /** The F1 score, if this version was evaluated. */
  public OptionalDouble f1() {
    Double f1 = scores.get(F1);
    return f1 == null ? OptionalDouble.empty() : OptionalDouble.of(f1);
  }

  public void write(Path dir) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    ObjectNode s = n.putObject("scores");
    new TreeMap<>(scores).forEach(s::put);
    n.put("data", data);
    n.put("questions", questions);
    n.put("checkpoint", checkpoint);
    n.put("pretraining_step", pretrainingStep);
    n.put("source", source);
    Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(n) + "\n");
  }

  /** Reads {@code dir/eval.json}; errors name the file. */
  public static ModelEvaluation read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " has no " + FILE + " (a model version records its evaluation there)");
    }
    try {
      JsonNode n = JSON.readTree(file.toFile());
      Map<String, Double> scores = new TreeMap<>();
      n.path("scores").fields().forEachRemaining(e -> scores.put(e.getKey(), e.getValue().asDouble()));
      return new ModelEvaluation(scores, n.path("data").asText(""), n.path("questions").asInt(0),
          n.path("checkpoint").asText(""), n.path("pretraining_step").asLong(-1), n.path("source").asText(""));
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
