package electra.pipelines.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * The layouts of plain-text corpus files, and how each becomes {@link TextDocument}s. Input is UTF-8 (ASCII
 * included); LF, CRLF and CR line ends are all line ends, and a leading byte-order mark is ignored.
 */
public enum TextFormat {

  /**
   * A whole file is one document, e.g. a Project Gutenberg book: paragraphs are separated by blank lines, and the
   * lines of a paragraph (hard-wrapped at about 70 columns) are joined with single spaces.
   */
  BOOK,

  /**
   * Documents separated by blank lines, one paragraph (or sentence) per line: the input of ELECTRA's
   * {@code build_pretraining_dataset.py}, and what the sharding step writes. A document's id is the source and the
   * line it starts on ({@code name:12}).
   */
  BLANK_LINE_SEPARATED,

  /**
   * One JSON object per line with a string field {@code text} and an optional string or integer {@code id} (else
   * the id is {@code name:line}); the text's non-blank lines are the paragraphs. Blank lines are skipped, and so are
   * records whose text is blank. A line that is not such an object fails with its line number.
   */
  JSON_LINES;

  /** Strict about the line holding one value: {@code {"text": "a"} {"text": "b"}} is an error, not "a". */
  private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * Hands every document of {@code in} to {@code documents}, in order; {@code sourceName} names the input in ids and
   * errors. Does not close {@code in}.
   *
   * @throws TextFormatException for a line the format does not allow
   */
  public void read(String sourceName, InputStream in, Consumer<TextDocument> documents) throws IOException {
    read(sourceName, in, documents, bad -> {
      throw bad;
    });
  }

  /** What to do with a line the format does not allow: throw to stop, or return to skip it and go on. */
  public interface BadLines {
    void handle(TextFormatException bad) throws TextFormatException;
  }

  /** Like {@link #read(String, InputStream, Consumer)}, handing bad lines to {@code badLines} instead of failing. */
  public void read(String sourceName, InputStream in, Consumer<TextDocument> documents, BadLines badLines)
      throws IOException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    switch (this) {
      case BOOK -> readBook(sourceName, lines, documents);
      case BLANK_LINE_SEPARATED -> readBlankLineSeparated(sourceName, lines, documents);
      case JSON_LINES -> readJsonLines(sourceName, lines, documents, badLines);
    }
  }

  private static void readBook(String sourceName, BufferedReader lines, Consumer<TextDocument> documents)
      throws IOException {
    List<String> paragraphs = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    for (String line = firstLine(lines); line != null; line = lines.readLine()) {
      String stripped = line.strip();
      if (stripped.isEmpty()) {
        endParagraph(paragraph, paragraphs);
      } else {
        paragraph.append(paragraph.length() == 0 ? "" : " ").append(stripped);
      }
    }
    endParagraph(paragraph, paragraphs);
    if (!paragraphs.isEmpty()) {
      documents.accept(new TextDocument(sourceName, paragraphs));
    }
  }

  private static void endParagraph(StringBuilder paragraph, List<String> paragraphs) {
    if (paragraph.length() > 0) {
      paragraphs.add(paragraph.toString());
      paragraph.setLength(0);
    }
  }

  private static void readBlankLineSeparated(
      String sourceName, BufferedReader lines, Consumer<TextDocument> documents) throws IOException {
    List<String> paragraphs = new ArrayList<>();
    long lineNumber = 0;
    long documentStart = 0;
    for (String line = firstLine(lines); line != null; line = lines.readLine()) {
      lineNumber++;
      String stripped = line.strip();
      if (stripped.isEmpty()) {
        endDocument(sourceName + ":" + documentStart, paragraphs, documents);
      } else {
        if (paragraphs.isEmpty()) {
          documentStart = lineNumber;
        }
        paragraphs.add(stripped);
      }
    }
    endDocument(sourceName + ":" + documentStart, paragraphs, documents);
  }

  private static void endDocument(String id, List<String> paragraphs, Consumer<TextDocument> documents) {
    if (!paragraphs.isEmpty()) {
      documents.accept(new TextDocument(id, paragraphs));
      paragraphs.clear();
    }
  }

  private static void readJsonLines(String sourceName, BufferedReader lines, Consumer<TextDocument> documents,
      BadLines badLines) throws IOException {
    long lineNumber = 0;
    for (String line = firstLine(lines); line != null; line = lines.readLine()) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      try {
        readJsonLine(sourceName, lineNumber, line, documents);
      } catch (TextFormatException bad) {
        badLines.handle(bad);
      }
    }
  }

  private static void readJsonLine(String sourceName, long lineNumber, String line, Consumer<TextDocument> documents)
      throws TextFormatException {
    JsonNode record;
    try {
      record = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new TextFormatException(sourceName, lineNumber, "not JSON: " + e.getOriginalMessage(), e);
    }
    if (record == null || !record.isObject()) {
      throw new TextFormatException(sourceName, lineNumber, "expected a JSON object, got " + kind(record), null);
    }
    JsonNode text = record.get("text");
    if (text == null || !text.isTextual()) {
      throw new TextFormatException(
          sourceName, lineNumber, "field \"text\" must be a string, got " + kind(text), null);
    }
    JsonNode id = record.get("id");
    if (id != null && !id.isTextual() && !id.isIntegralNumber()) {
      throw new TextFormatException(
          sourceName, lineNumber, "field \"id\" must be a string or an integer, got " + kind(id), null);
    }
    List<String> paragraphs = text.asText().lines().map(String::strip).filter(p -> !p.isEmpty()).toList();
    String documentId = id == null || id.asText().isBlank() ? sourceName + ":" + lineNumber : id.asText();
    if (!paragraphs.isEmpty()) {
      documents.accept(new TextDocument(documentId, paragraphs));
    }
  }

  private static String kind(JsonNode node) {
    return node == null ? "nothing" : node.getNodeType().name().toLowerCase(Locale.ROOT);
  }

  /** The first line without the byte-order mark that Windows editors put at the start of UTF-8 files. */
  private static String firstLine(BufferedReader lines) throws IOException {
    String line = lines.readLine();
    return line != null && line.startsWith("\uFEFF") ? line.substring(1) : line;
  }
}
