package electra.serving;

import electra.serving.RejectedRequest.Cause;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.export.InferenceEngine;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The JSON messages of the serving topics (ARCHITECTURE.md at the repository root, "QA messages"):
 * <ul>
 *   <li>request on {@code qa-requests}: {@code {"id": "...", "question": "...", "context": "..."}}, UTF-8;</li>
 *   <li>answer on {@code qa-answers}, keyed by id:
 *       {@code {"id", "answer", "score", "start_char", "end_char", "answerable", ["null_score_diff",] "model",
 *       ["model_version",] "engine", "latency_ms"}}: {@code model_version} is the model repository's version that
 *       answered (absent when ServeQA serves an export folder), {@code engine} the runtime that ran it
 *       ({@code tensorflow} or {@code onnxruntime}); a SQuAD 2.0 model adds its null odds and may answer
 *       {@code "answerable": false} with {@code "answer": ""} (start and end 0); a SQuAD 1.1 model always answers,
 *       without null odds;</li>
 *   <li>error on {@code qa-errors}, keyed by id when there is one: {@code {"id": "..." or null, "error": reason}}.</li>
 * </ul>
 */
public final class QaMessages {

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** For reading the id out of a broken message: duplicate keys are the scan's own business there. */
  private static final JsonFactory LENIENT = new JsonFactory();

  private QaMessages() {}

  /**
   * Reads a request, or throws {@link RejectedRequest} with the id whenever one could be read (also from a message
   * broken after it): not UTF-8, not JSON, not an object, a missing, non-text or empty field, or text with unpaired
   * surrogates (\\ud800 escapes).
   */
  public static QaAnswerer.Question parseRequest(byte[] value) {
    if (value == null || value.length == 0) {
      throw new RejectedRequest(null, Cause.EMPTY_MESSAGE,
          "empty message: expected a JSON object {\"id\", \"question\", \"context\"}");
    }
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
    } catch (CharacterCodingException e) {
      throw new RejectedRequest(idBeforeTheDamage(new String(value, StandardCharsets.UTF_8)), Cause.BAD_ENCODING,
          "bad encoding: the message is not valid UTF-8");
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new RejectedRequest(idBeforeTheDamage(text), Cause.NOT_JSON, "not JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new RejectedRequest(null, Cause.NOT_AN_OBJECT,
          "not a JSON object: expected {\"id\", \"question\", \"context\"}");
    }
    JsonNode idNode = node.get("id");
    String id = idNode != null && (idNode.isTextual() || idNode.isIntegralNumber()) ? idNode.asText() : null;
    if (idNode == null || idNode.isNull()) {
      throw new RejectedRequest(null, Cause.MISSING_FIELD, "missing field \"id\"");
    }
    if (id == null) {
      throw new RejectedRequest(null, Cause.WRONG_TYPE, "field \"id\" must be a string, got "
          + idNode.getNodeType().name().toLowerCase());
    }
    if (id.isBlank()) {
      throw new RejectedRequest(null, Cause.EMPTY_FIELD, "empty field \"id\"");
    }
    checkUnicode(null, "id", id);
    String question = field(id, node, "question");
    String context = field(id, node, "context");
    return new QaAnswerer.Question(id, question, context);
  }

  /**
   * The request's id from a message that does not parse (cut off, nested too deep, a key twice, bad bytes), when the
   * top-level object names one before the damage: read token by token up to the first error, so the error can
   * still go out keyed by the id its sender waits for. Null when there is none, or two, or it is not plain text.
   */
  static String idBeforeTheDamage(String text) {
    String id = null;
    try (JsonParser p = LENIENT.createParser(text)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (!name.equals("id")) {
          p.skipChildren();
        } else if (id != null || (value != JsonToken.VALUE_STRING && value != JsonToken.VALUE_NUMBER_INT)) {
          return null; // two ids, or one that is not an id: none is the sender's
        } else {
          id = p.getText();
        }
      }
    } catch (IOException | RuntimeException damage) {
      // the message ends here for us: keep the id read before it
    }
    return id != null && !id.isBlank() && id.indexOf('\uFFFD') < 0 && isWellFormed(id) ? id : null;
  }

  private static boolean isWellFormed(String s) {
    try {
      checkUnicode(null, "id", s);
      return true;
    } catch (RejectedRequest e) {
      return false;
    }
  }

  private static String field(String id, JsonNode node, String name) {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw new RejectedRequest(id, Cause.MISSING_FIELD, "missing field \"" + name + "\"");
    }
    if (!v.isTextual()) {
      throw new RejectedRequest(id, Cause.WRONG_TYPE, "field \"" + name + "\" must be a string, got "
          + v.getNodeType().name().toLowerCase());
    }
    String s = v.asText();
    if (s.isBlank()) {
      throw new RejectedRequest(id, Cause.EMPTY_FIELD, "empty field \"" + name + "\"");
    }
    checkUnicode(id, name, s);
    return s;
  }

  private static void checkUnicode(String id, String name, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new RejectedRequest(id, Cause.BAD_ENCODING, "bad encoding: field \"" + name
            + "\" holds an unpaired surrogate at " + i);
      }
    }
  }

  /** A request message (for clients, tests and benchmarks). */
  public static String request(String id, String question, String context) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", id);
    n.put("question", question);
    n.put("context", context);
    return n.toString();
  }

  /**
   * An answer message; {@code modelVersion} is the repository version that answered, left out for an export folder
   * ({@link ServedModel#EXPORT_FOLDER_VERSION}), which has no version; {@code engine} is the runtime that ran it.
   */
  public static String answer(QaAnswerer.Answer a, String model, long modelVersion, InferenceEngine engine,
      long latencyMs) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", a.id());
    n.put("answer", a.text());
    n.put("score", a.score());
    n.put("start_char", a.startChar());
    n.put("end_char", a.endChar());
    n.put("answerable", a.answerable());
    a.nullScoreDiff().ifPresent(d -> n.put("null_score_diff", d));
    n.put("model", model);
    if (modelVersion != ServedModel.EXPORT_FOLDER_VERSION) {
      n.put("model_version", modelVersion);
    }
    n.put("engine", engine.id());
    n.put("latency_ms", latencyMs);
    return n.toString();
  }

  public static String error(String id, String reason) {
    ObjectNode n = JSON.createObjectNode();
    if (id == null) {
      n.putNull("id");
    } else {
      n.put("id", id);
    }
    n.put("error", reason);
    return n.toString();
  }

  /** Parses any message of the three topics (for clients and tests). */
  public static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + json, e);
    }
  }
}
