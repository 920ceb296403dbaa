package electra.squad;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A SQuAD v1.1 or v2.0 file ({@code {"version": ..., "data": [{"title", "paragraphs": [{"context", "qas": [...]}]}]}})
 * as its questions, in file order: the order the official scripts score them in.
 *
 * @param version the file's {@code version} field ({@code "1.1"}, {@code "v2.0"}), empty when it has none
 * @param examples every question, article by article, paragraph by paragraph
 * @param declaresImpossible whether questions carry {@code is_impossible}, the field SQuAD 2.0 added
 */
public record SquadDataset(Optional<String> version, List<SquadExample> examples, boolean declaresImpossible) {

  public SquadDataset {
    Objects.requireNonNull(version, "version");
    examples = List.copyOf(examples);
  }

  /** Reads a SQuAD JSON file, plain or gzipped; a malformed one is a {@link SquadInputException} saying where. */
  public static SquadDataset read(Path file) throws IOException {
    return parse(SquadFiles.json(file), file.toString());
  }

  /**
   * Reads a SQuAD JSON stream, plain or gzipped (from gs://, s3://, ...); {@code source} names it in error
   * messages. Closes the stream.
   */
  public static SquadDataset read(InputStream in, String source) throws IOException {
    return parse(SquadFiles.json(in, source), source);
  }

  /** The dataset in an already parsed JSON tree; {@code source} names it in error messages. */
  static SquadDataset parse(JsonNode root, String source) {
    Where where = new Where(source, "");
    if (!root.isObject()) {
      throw where.malformed("expected a JSON object with \"data\", got " + SquadFiles.describe(root));
    }
    JsonNode version = root.get("version");
    if (version != null && !version.isTextual()) {
      throw where.malformed("\"version\" must be a string, got " + SquadFiles.describe(version));
    }
    List<SquadExample> examples = new ArrayList<>();
    boolean declaresImpossible = false;
    List<JsonNode> articles = array(root, "data", where);
    for (int a = 0; a < articles.size(); a++) {
      Where article = where.at("data[" + a + "]");
      String title = text(object(articles.get(a), article), "title", article);
      List<JsonNode> paragraphs = array(articles.get(a), "paragraphs", article);
      for (int p = 0; p < paragraphs.size(); p++) {
        Where paragraph = article.at(".paragraphs[" + p + "]");
        String context = text(object(paragraphs.get(p), paragraph), "context", paragraph);
        List<JsonNode> questions = array(paragraphs.get(p), "qas", paragraph);
        for (int q = 0; q < questions.size(); q++) {
          Where question = paragraph.at(".qas[" + q + "]");
          JsonNode qa = object(questions.get(q), question);
          declaresImpossible |= qa.has("is_impossible");
          examples.add(example(qa, title, context, question));
        }
      }
    }
    return new SquadDataset(Optional.ofNullable(version).map(JsonNode::textValue), examples, declaresImpossible);
  }

  private static SquadExample example(JsonNode qa, String title, String context, Where where) {
    JsonNode impossible = qa.get("is_impossible");
    if (impossible != null && !impossible.isBoolean()) {
      throw where.malformed("\"is_impossible\" must be true or false, got " + SquadFiles.describe(impossible));
    }
    String id = text(qa, "id", where);
    List<SquadExample.Answer> answers = answers(qa, "answers", where);
    List<SquadExample.Answer> plausible = qa.has("plausible_answers")
        ? answers(qa, "plausible_answers", where) : List.of();
    String question = text(qa, "question", where);
    return where.checked(() -> new SquadExample(id, title, question, context, answers,
        impossible != null && impossible.booleanValue(), plausible));
  }

  private static List<SquadExample.Answer> answers(JsonNode qa, String field, Where where) {
    List<JsonNode> nodes = array(qa, field, where);
    List<SquadExample.Answer> answers = new ArrayList<>(nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      Where answer = where.at("." + field + "[" + i + "]");
      JsonNode node = object(nodes.get(i), answer);
      JsonNode start = node.get("answer_start");
      if (start == null || !start.isIntegralNumber() || !start.canConvertToInt()) {
        throw answer.malformed("\"answer_start\" must be an integer, got " + (start == null ? "nothing" : start));
      }
      String text = text(node, "text", answer);
      answers.add(answer.checked(() -> new SquadExample.Answer(text, start.intValue())));
    }
    return answers;
  }

  private static JsonNode object(JsonNode node, Where where) {
    if (!node.isObject()) {
      throw where.malformed("expected a JSON object, got " + SquadFiles.describe(node));
    }
    return node;
  }

  private static List<JsonNode> array(JsonNode parent, String field, Where where) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isArray()) {
      throw where.malformed("\"" + field + "\" must be an array, got " + SquadFiles.describe(node));
    }
    List<JsonNode> items = new ArrayList<>(node.size());
    node.forEach(items::add);
    return items;
  }

  private static String text(JsonNode parent, String field, Where where) {
    JsonNode node = parent.get(field);
    if (node == null || !node.isTextual()) {
      throw where.malformed("\"" + field + "\" must be a string, got " + SquadFiles.describe(node));
    }
    return node.textValue();
  }

  /** A place in the file, as a JSON path such as {@code data[3].paragraphs[0].qas[7]}, for error messages. */
  private record Where(String source, String path) {
    Where at(String step) {
      return new Where(source, path + step);
    }

    /** Builds a record here, turning what its validation rejects into an error that says where. */
    <T> T checked(Supplier<T> build) {
      try {
        return build.get();
      } catch (IllegalArgumentException e) {
        throw malformed(e.getMessage());
      }
    }

    SquadInputException malformed(String problem) {
      return new SquadInputException(source + (path.isEmpty() ? "" : " at " + path) + ": " + problem);
    }
  }
}
