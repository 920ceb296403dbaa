package electra.squad;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Reading the JSON files of SQuAD evaluation: plain or gzipped (recognised by the gzip magic number, whatever the
 * file is called), parsed the way Python's {@code json.load} parses them: a repeated key keeps its first position
 * and its last value, and {@code NaN}/{@code Infinity} are accepted.
 */
public final class SquadFiles {

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();
  private static final int GZIP_MAGIC = 0x8b1f;

  private SquadFiles() {}

  /**
   * A predictions file: question id → answer text, {@code ""} meaning "no answer" (SQuAD 2.0), in file order.
   */
  public static Map<String, String> predictions(Path file) throws IOException {
    JsonNode root = object(file);
    Map<String, String> predictions = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : root.properties()) {
      if (!entry.getValue().isTextual()) {
        throw new SquadInputException(file + ": the prediction for question " + entry.getKey()
            + " must be a string, got " + describe(entry.getValue()));
      }
      predictions.put(entry.getKey(), entry.getValue().textValue());
    }
    return Collections.unmodifiableMap(predictions);
  }

  /**
   * A no-answer probability file of SQuAD 2.0: question id → the model's score that the question has no answer,
   * in file order (which decides ties in the best-threshold search). Integers stay {@link Long} or
   * {@link java.math.BigInteger} and fractions {@link Double}, because the official script prints a threshold
   * taken from this file as Python read it: {@code 1} and {@code 1.0} are printed differently.
   */
  public static Map<String, Number> noAnswerProbabilities(Path file) throws IOException {
    JsonNode root = object(file);
    Map<String, Number> probabilities = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : root.properties()) {
      JsonNode value = entry.getValue();
      // NaN compares false with everything, so Python's sort order around it is an accident of its sort.
      if (!value.isNumber() || Double.isNaN(value.doubleValue())) {
        throw new SquadInputException(file + ": the no-answer probability of question " + entry.getKey()
            + " must be a number, got " + describe(value));
      }
      probabilities.put(entry.getKey(), value.isIntegralNumber() ? integer(value) : value.doubleValue());
    }
    return Collections.unmodifiableMap(probabilities);
  }

  private static Number integer(JsonNode value) {
    return value.canConvertToLong() ? (Number) value.longValue() : value.bigIntegerValue();
  }

  private static JsonNode object(Path file) throws IOException {
    JsonNode root = json(file);
    if (!root.isObject()) {
      throw new SquadInputException(file + ": expected a JSON object (question id → value), got " + describe(root));
    }
    return root;
  }

  /**
   * The whole file, plain or gzipped, as a JSON tree; malformed JSON is a {@link SquadInputException} naming file,
   * line and column.
   */
  public static JsonNode json(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return json(in, file.toString());
    }
  }

  /** The whole stream, plain or gzipped, as a JSON tree, then closes it; {@code source} names it in messages. */
  static JsonNode json(InputStream stream, String source) throws IOException {
    try (JsonParser parser = JSON.createParser(decompressed(stream))) {
      JsonNode root = JSON.readTree(parser);
      if (root == null) {
        throw new SquadInputException(source + ": empty file, expected JSON");
      }
      if (parser.nextToken() != null) {
        throw new SquadInputException(source + ": more than one JSON value (line "
            + parser.currentLocation().getLineNr() + ")");
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new SquadInputException(source + ": not valid JSON: " + e.getOriginalMessage()
          + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
    }
  }

  /** What a JSON value is, for messages: {@code a string}, {@code NaN}, {@code an array}... */
  static String describe(JsonNode value) {
    if (value == null) {
      return "nothing";
    }
    return switch (value.getNodeType()) {
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case STRING -> "a string";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case NUMBER -> value.isNumber() && Double.isNaN(value.doubleValue()) ? "NaN" : "a number";
      default -> value.getNodeType().name();
    };
  }

  private static InputStream decompressed(InputStream stream) throws IOException {
    InputStream in = new BufferedInputStream(stream, 1 << 16);
    in.mark(2);
    int magic = in.read() | (in.read() << 8);
    in.reset();
    return magic == GZIP_MAGIC ? new GZIPInputStream(in, 1 << 16) : in;
  }
}
