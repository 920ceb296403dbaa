package electra.pipelines.ingest;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.ByteBuffer;
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
   * A compact, deterministic encoding of {@link TokenizedDocument} (id, then a length-prefixed block: sentence count
   * and lengths as varints, then the ids at a fixed width of 2 or 4 bytes);
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
      // One length-prefixed block: the sentence count and lengths as varints, then every id at a fixed width (two
      // bytes when all fit, as WordPiece ids of the usual vocabularies do). Runners hand coders streams whose
      // per-byte writes cost more than the encoding: this coder was a tenth of the ingest pipeline's CPU time when
      // it wrote varint by varint and documents still crossed edges between steps.
      List<int[]> sentences = document.sentences();
      int tokens = 0;
      int bits = 0;
      for (int[] sentence : sentences) {
        tokens += sentence.length;
        for (int id : sentence) {
          bits |= id;
        }
      }
      int width = (bits >>> 16) == 0 ? 2 : 4;
      byte[] block = new byte[5 * (1 + sentences.size()) + 1 + width * tokens];
      int at = Varints.put(block, 0, sentences.size());
      for (int[] sentence : sentences) {
        at = Varints.put(block, at, sentence.length);
      }
      block[at++] = (byte) width;
      ByteBuffer ids = ByteBuffer.wrap(block, at, width * tokens);
      for (int[] sentence : sentences) {
        for (int id : sentence) {
          if (width == 2) {
            ids.putShort((short) id);
          } else {
            ids.putInt(id);
          }
        }
      }
      int size = ids.position();
      VarInt.encode(size, out);
      out.write(block, 0, size);
    }

    @Override
    public TokenizedDocument decode(InputStream in) throws IOException {
      String id = StringUtf8Coder.of().decode(in);
      byte[] block = new byte[VarInt.decodeInt(in)];
      new DataInputStream(in).readFully(block);
      int[] at = {0};
      int[][] sentences = new int[Varints.get(block, at)][];
      for (int s = 0; s < sentences.length; s++) {
        sentences[s] = new int[Varints.get(block, at)];
      }
      int width = block[at[0]++];
      ByteBuffer ids = ByteBuffer.wrap(block, at[0], block.length - at[0]);
      for (int[] sentence : sentences) {
        for (int i = 0; i < sentence.length; i++) {
          sentence[i] = width == 2 ? ids.getShort() & 0xFFFF : ids.getInt();
        }
      }
      return new TokenizedDocument(id, List.of(sentences));
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
