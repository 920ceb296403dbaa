package electra.pipelines.text;

import java.io.Serializable;
import java.util.List;

/**
 * One document of the pre-training corpus: the unit that ELECTRA's example builder never lets an example cross.
 *
 * @param id where the document came from (a file name, a file name and line, or the id its source gave it)
 * @param paragraphs the document's paragraphs in order: at least one, none blank, none with a line break in it
 */
public record TextDocument(String id, List<String> paragraphs) implements Serializable {

  public TextDocument {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException("a document needs an id");
    }
    paragraphs = List.copyOf(paragraphs);
    if (paragraphs.isEmpty()) {
      throw new IllegalArgumentException("document " + id + " has no paragraphs");
    }
    for (int i = 0; i < paragraphs.size(); i++) {
      String paragraph = paragraphs.get(i);
      if (paragraph.isBlank() || paragraph.indexOf('\n') >= 0 || paragraph.indexOf('\r') >= 0) {
        throw new IllegalArgumentException(
            "document " + id + ": paragraph " + i + " is blank or spans lines: " + abbreviated(paragraph));
      }
    }
  }

  private static String abbreviated(String text) {
    return '"' + (text.length() <= 60 ? text : text.substring(0, 60) + "...") + '"';
  }
}
