package electra.pipelines.ingest;

import java.io.DataInputStream;
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
   * A compact, deterministic encoding of {@link TokenizedDocument} (id, then a length-prefixed block of varints: the
   * sentence count, then each sentence's length and ids);
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
      // The sentences go out as one length-prefixed block: runners hand coders streams whose per-byte writes cost
      // more than the varint arithmetic (this coder was a tenth of the ingest pipeline's CPU time when it wrote
      // varint by varint).
      int size = varintSize(document.sentences().size());
      for (int[] sentence : document.sentences()) {
        size += varintSize(sentence.length);
        for (int id : sentence) {
          size += varintSize(id);
        }
      }
      byte[] block = new byte[size];
      int at = putVarint(block, 0, document.sentences().size());
      for (int[] sentence : document.sentences()) {
        at = putVarint(block, at, sentence.length);
        for (int id : sentence) {
          at = putVarint(block, at, id);
        }
      }
      VarInt.encode(size, out);
      out.write(block);
    }

    @Override
    public TokenizedDocument decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      byte[] block = new byte[VarInt.decodeInt(in)];
      new DataInputStream(in).readFully(block);
      int[] at = {0};
      int count = getVarint(block, at);
      List<int[]> sentences = new ArrayList<>(count);
      for (int s = 0; s < count; s++) {
        int[] sentence = new int[getVarint(block, at)];
        for (int i = 0; i < sentence.length; i++) {
          sentence[i] = getVarint(block, at);
        }
        sentences.add(sentence);
      }
      return new TokenizedDocument(id, sentences);
    }

    /** Token ids and counts are never negative. */
    private static int varintSize(int v) {
      return v < (1 << 7) ? 1 : v < (1 << 14) ? 2 : v < (1 << 21) ? 3 : v < (1 << 28) ? 4 : 5;
    }

    private static int putVarint(byte[] out, int at, int v) {
      while ((v & ~0x7F) != 0) {
        out[at++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      out[at++] = (byte) v;
      return at;
    }

    private static int getVarint(byte[] in, int[] at) {
      int v = 0;
      for (int shift = 0; ; shift += 7) {
        byte b = in[at[0]++];
        v |= (b & 0x7F) << shift;
        if (b >= 0) {
          return v;
        }
      }
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
