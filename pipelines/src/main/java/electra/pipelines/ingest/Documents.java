package electra.pipelines.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviders;
import org.apache.beam.sdk.coders.DefaultCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.TypeDescriptor;

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
  @DefaultCoder(TokenizedDocumentCoder.class)
  public record TokenizedDocument(String id, List<int[]> sentences) implements Serializable {
    public TokenizedDocument {
      sentences = List.copyOf(sentences);
    }
  }

  /**
   * A compact, deterministic encoding of {@link TokenizedDocument} (id, then each sentence as a count and varints);
   * Java serialization would be larger, and its arrays compare by identity, which Beam's mutation checks dislike.
   */
  public static final class TokenizedDocumentCoder extends AtomicCoder<TokenizedDocument> {
    private static final TokenizedDocumentCoder INSTANCE = new TokenizedDocumentCoder();

    public static TokenizedDocumentCoder of() {
      return INSTANCE;
    }

    /** Lets {@code @DefaultCoder} find this coder. */
    public static CoderProvider getCoderProvider() {
      return CoderProviders.forCoder(TypeDescriptor.of(TokenizedDocument.class), INSTANCE);
    }

    @Override
    public void encode(TokenizedDocument document, OutputStream out) throws IOException {
      StringUtf8Coder.of().encode(document.id(), out);
      VarInt.encode(document.sentences().size(), out);
      for (int[] sentence : document.sentences()) {
        VarInt.encode(sentence.length, out);
        for (int id : sentence) {
          VarInt.encode(id, out);
        }
      }
    }

    @Override
    public TokenizedDocument decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      int count = VarInt.decodeInt(in);
      List<int[]> sentences = new ArrayList<>(count);
      for (int s = 0; s < count; s++) {
        int[] sentence = new int[VarInt.decodeInt(in)];
        for (int i = 0; i < sentence.length; i++) {
          sentence[i] = VarInt.decodeInt(in);
        }
        sentences.add(sentence);
      }
      return new TokenizedDocument(id, sentences);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return false;
    }

    @Override
    public Object structuralValue(TokenizedDocument document) {
      return new ArrayList<>(document.sentences().stream().map(Arrays::toString).toList()) + document.id();
    }
  }
}
