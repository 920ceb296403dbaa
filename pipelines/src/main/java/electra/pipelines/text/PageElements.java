package electra.pipelines.text;

import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of the {@code <page>...</page>} elements of a slice of dump XML that start within its first
 * {@code length} bytes, one after another, without the bytes between or around them (the dump's header and footer,
 * and the tail of a page that started before the slice).
 *
 * <p>Pages are found by byte search for the ASCII tags {@code <page>} and {@code </page>}. Neither can be part of
 * text or attribute content, where XML escapes {@code <}, and MediaWiki writes both without attributes. The last
 * page may end after {@code length}: it is read to its end, and the reader of the next slice skips it because it
 * started before that slice.
 */
final class PageElements extends InputStream {

  private static final byte[] OPEN = {'<', 'p', 'a', 'g', 'e', '>'};
  private static final byte[] CLOSE = {'<', '/', 'p', 'a', 'g', 'e', '>'};

  private final InputStream in;
  private final long length;
  private final byte[] buffer = new byte[1 << 16];
  private int buffered;
  private int next;
  private long consumed; // bytes of `in` looked at so far
  private boolean insidePage;
  private int openTagToCopy; // bytes of <page> found but not yet handed out
  private int matched; // bytes of the tag being looked for (OPEN outside a page, CLOSE inside) matched so far
  private boolean done;

  /** The pages of {@code in} whose {@code <page>} starts before byte {@code length} of it. */
  PageElements(InputStream in, long length) {
    this.in = in;
    this.length = length;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff; // StAX reads in blocks; this is never the hot path
  }

  @Override
  public int read(byte[] out, int offset, int max) throws IOException {
    if (max == 0) {
      return 0;
    }
    int written = 0;
    while (written == 0) {
      if (openTagToCopy == 0 && next == buffered && !fill()) {
        return -1;
      }
      written = scan(out, offset, max);
      if (done && written == 0) {
        return -1;
      }
    }
    return written;
  }

  private boolean fill() throws IOException {
    if (done) {
      return false;
    }
    int n = in.read(buffer, 0, buffer.length);
    if (n < 0) {
      done = true;
      return false;
    }
    buffered = n;
    next = 0;
    return true;
  }

  /** Moves through the buffer, copying page bytes to {@code out}; returns how many it copied. */
  private int scan(byte[] out, int offset, int max) {
    int written = copyOpenTag(out, offset, max);
    while (next < buffered && written < max && !done) {
      byte b = buffer[next];
      if (insidePage) {
        out[offset + written++] = b;
        matched = b == CLOSE[matched] ? matched + 1 : (b == '<' ? 1 : 0);
        if (matched == CLOSE.length) {
          insidePage = false;
          matched = 0;
        }
      } else if (matched == 0 && consumed >= length) {
        done = true; // any page from here on starts in the next slice
        break;
      } else {
        matched = b == OPEN[matched] ? matched + 1 : (b == '<' ? 1 : 0);
        if (matched == OPEN.length) {
          insidePage = true;
          matched = 0;
          openTagToCopy = OPEN.length;
        }
      }
      next++;
      consumed++;
      written += copyOpenTag(out, offset + written, max - written);
    }
    return written;
  }

  /** Hands out what fits of a just found {@code <page>} tag, whose bytes were skipped while it was being matched. */
  private int copyOpenTag(byte[] out, int offset, int max) {
    int n = Math.min(openTagToCopy, max);
    System.arraycopy(OPEN, OPEN.length - openTagToCopy, out, offset, n);
    openTagToCopy -= n;
    return n;
  }
}
