package electra.tagging;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The chunks (entities, phrases) of a sentence's tags, found by the rules of CoNLL's {@code conlleval} script, so
 * that IOB1 (I- everywhere, B- only between two adjacent chunks of one type), BIO2 (B- at every start) and IOBES
 * tags all mean what they mean there: a chunk starts at B- or S-, at I- or E- after O, E- or S-, and wherever the
 * type changes; it ends before O, B- and S-, after E- and S-, and where the type changes. A sentence's end closes
 * the open chunk, as conlleval's blank line (an O) does. A tag is {@code PREFIX-TYPE} (split at the first '-'), or
 * just {@code O}.
 */
public final class Chunks {

  /** One chunk: its type and its words {@code start} (inclusive) to {@code end} (exclusive). */
  public record Chunk(String type, int start, int end) {}

  private Chunks() {}

  /** The chunks of one sentence's tags, in order. */
  public static List<Chunk> of(List<String> tags) {
    List<Chunk> chunks = new ArrayList<>();
    String prefix = "O";
    String type = "";
    int start = -1;
    for (int i = 0; i <= tags.size(); i++) {
      String tag = i < tags.size() ? tags.get(i) : "O";
      String p = prefixOf(tag);
      String t = typeOf(tag);
      if (start >= 0 && ends(prefix, p, type, t)) {
        chunks.add(new Chunk(type, start, i));
        start = -1;
      }
      if (starts(prefix, p, type, t)) {
        start = i;
      }
      prefix = p;
      type = t;
    }
    return chunks;
  }

  /** The same chunks tagged BIO2: B- on each chunk's first word, I- on the rest, O elsewhere. */
  public static List<String> bio2(List<String> tags) {
    List<String> out = new ArrayList<>(Collections.nCopies(tags.size(), "O"));
    for (Chunk c : of(tags)) {
      out.set(c.start(), "B-" + c.type());
      for (int i = c.start() + 1; i < c.end(); i++) {
        out.set(i, "I-" + c.type());
      }
    }
    return out;
  }

  private static String prefixOf(String tag) {
    int dash = tag.indexOf('-');
    return dash < 0 ? tag : tag.substring(0, dash);
  }

  private static String typeOf(String tag) {
    int dash = tag.indexOf('-');
    return dash < 0 ? "" : tag.substring(dash + 1);
  }

  /** conlleval's startOfChunk. */
  private static boolean starts(String prev, String tag, String prevType, String type) {
    return tag.equals("B") || tag.equals("S")
        || (tag.equals("I") || tag.equals("E")) && (prev.equals("O") || prev.equals("E") || prev.equals("S"))
        || !tag.equals("O") && !tag.equals(".") && !prevType.equals(type);
  }

  /** conlleval's endOfChunk. */
  private static boolean ends(String prev, String tag, String prevType, String type) {
    return prev.equals("E") || prev.equals("S")
        || (prev.equals("B") || prev.equals("I")) && (tag.equals("B") || tag.equals("S") || tag.equals("O"))
        || !prev.equals("O") && !prev.equals(".") && !prevType.equals(type);
  }
}
