package electra.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TextFormatTest {

  @Test
  void aBookIsOneDocumentOfBlankLineSeparatedParagraphsWithWrappedLinesJoined() throws IOException {
    String book = "\uFEFFTitle\r\n\r\nFirst line\r\n  second line.\r\n\r\n\r\n \t\r\nNext paragraph.\r\n";

    assertEquals(List.of(new TextDocument("book.txt", List.of("Title", "First line second line.", "Next paragraph."))),
        read(TextFormat.BOOK, "book.txt", book));
  }

  @Test
  void anEmptyBookGivesNoDocument() throws IOException {
    assertEquals(List.of(), read(TextFormat.BOOK, "empty.txt", "\n \r\n\n"));
  }

  @Test
  void mobyDickWithItsCrlfLineEndsIsOneCleanDocument() throws IOException {
    List<TextDocument> documents = new ArrayList<>();
    try (InputStream in = Files.newInputStream(SharedData.file("data/books/melville-moby_dick.txt"))) {
      TextFormat.BOOK.read("melville-moby_dick.txt", in, documents::add);
    }

    assertEquals(1, documents.size());
    List<String> paragraphs = documents.get(0).paragraphs();
    assertEquals(2793, paragraphs.size());
    assertEquals(List.of("[Moby Dick by Herman Melville 1851]", "ETYMOLOGY.",
        "(Supplied by a Late Consumptive Usher to a Grammar School)"), paragraphs.subList(0, 3));
    assertTrue(paragraphs.get(3).startsWith("The pale Usher--threadbare in coat, heart, body, and brain; I see him "
        + "now.  He was ever dusting his old lexicons and grammars, with a queer handkerchief,"), paragraphs.get(3));
    assertTrue(paragraphs.stream().noneMatch(p -> p.contains("\r")));
  }

  @Test
  void everySampleBookIsOneDocument() throws IOException {
    Map<String, Integer> paragraphCounts = Map.of("austen-emma.txt", 2371, "austen-persuasion.txt", 1032,
        "blake-poems.txt", 284, "chesterton-thursday.txt", 1288, "shakespeare-hamlet.txt", 950);
    for (Map.Entry<String, Integer> book : paragraphCounts.entrySet()) {
      List<TextDocument> documents = new ArrayList<>();
      try (InputStream in = Files.newInputStream(SharedData.file("data/books/" + book.getKey()))) {
        TextFormat.BOOK.read(book.getKey(), in, documents::add);
      }
      assertEquals(1, documents.size(), book.getKey());
      assertEquals(book.getValue(), documents.get(0).paragraphs().size(), book.getKey());
    }
  }

  @Test
  void blankLinesSeparateDocumentsWhoseIdsAreTheirFirstLine() throws IOException {
    String text = "a1\r\n a2 \n\n\n b1 \n\nc1";

    assertEquals(List.of(
        new TextDocument("corpus.txt:1", List.of("a1", "a2")),
        new TextDocument("corpus.txt:5", List.of("b1")),
        new TextDocument("corpus.txt:7", List.of("c1"))), read(TextFormat.BLANK_LINE_SEPARATED, "corpus.txt", text));
  }

  @Test
  void jsonLinesGiveOneDocumentPerRecord() throws IOException {
    String text = """
        {"id": "doc-a", "text": "First paragraph.\\nSecond paragraph.\\n\\n"}
        {"id": 17, "text": "Numbered.", "url": "ignored"}

        {"text": "  No id.  "}
        {"id": "blank", "text": " \\n "}
        """;

    assertEquals(List.of(
        new TextDocument("doc-a", List.of("First paragraph.", "Second paragraph.")),
        new TextDocument("17", List.of("Numbered.")),
        new TextDocument("web.jsonl:4", List.of("No id."))), read(TextFormat.JSON_LINES, "web.jsonl", text));
  }

  @Test
  void aMalformedJsonLineFailsWithItsLineNumber() {
    assertJsonError("{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n", 2, "not JSON");
    assertJsonError("[\"text\"]\n", 1, "expected a JSON object, got array");
    assertJsonError("\n\n{\"id\": \"x\"}\n", 3, "field \"text\" must be a string, got nothing");
    assertJsonError("{\"text\": 5}\n", 1, "field \"text\" must be a string, got number");
    assertJsonError("{\"text\": \"a\", \"id\": {\"n\": 1}}\n", 1, "field \"id\" must be a string or an integer");
    assertJsonError("{\"text\": \"a\"} {\"text\": \"b\"}\n", 1, "not JSON");
  }

  @Test
  void documentsValidateThemselves() {
    assertThrows(IllegalArgumentException.class, () -> new TextDocument(" ", List.of("p")));
    assertThrows(IllegalArgumentException.class, () -> new TextDocument("d", List.of()));
    assertThrows(IllegalArgumentException.class, () -> new TextDocument("d", List.of("ok", " ")));
    assertThrows(IllegalArgumentException.class, () -> new TextDocument("d", List.of("two\nlines")));
  }

  private static void assertJsonError(String text, long line, String problem) {
    TextFormatException e = assertThrows(TextFormatException.class,
        () -> read(TextFormat.JSON_LINES, "bad.jsonl", text));
    assertEquals(line, e.lineNumber());
    assertEquals("bad.jsonl", e.source());
    assertTrue(e.getMessage().startsWith("bad.jsonl:" + line + ": " + problem), e.getMessage());
  }

  private static List<TextDocument> read(TextFormat format, String name, String text) throws IOException {
    List<TextDocument> documents = new ArrayList<>();
    format.read(name, new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), documents::add);
    return documents;
  }
}
