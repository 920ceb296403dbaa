package electra.pipelines.ingest;

import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;

/**
 * What flows between the ingest steps after extraction ({@link electra.pipelines.text.TextDocument}): a document as
 * sentences, then as token ids.
 */
public final class Documents {

  private Documents() {}

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
