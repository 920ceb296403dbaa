package electra.pipelines.ingest;

import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/** What flows between the ingest steps: a document as paragraphs, as sentences, and as token ids. */
public final class Documents {

  private Documents() {}

  /** One document of the corpus: a stable id (unique over the corpus) and its plain-text paragraphs. */
  @DefaultCoder(SerializableCoder.class)
  public record Document(String id, List<String> paragraphs) implements Serializable {
    public Document {
      if (id == null || id.isEmpty()) {
        throw new IllegalArgumentException("a document needs an id");
      }
      paragraphs = List.copyOf(paragraphs);
    }
  }

  /** A document after sentence segmentation, one entry per sentence. */
  @DefaultCoder(SerializableCoder.class)
  public record SentenceDocument(String id, List<String> sentences) implements Serializable {
    public SentenceDocument {
      sentences = List.copyOf(sentences);
    }
  }

  /** A document after WordPiece: each sentence as its token ids. */
  @DefaultCoder(SerializableCoder.class)
  public record TokenizedDocument(String id, List<int[]> sentences) implements Serializable {
    public TokenizedDocument {
      sentences = List.copyOf(sentences);
    }
  }
}
