package electra.pipelines.text;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Finds and decodes the bzip2 streams of a file made of many concatenated streams, such as Wikipedia's
 * {@code pages-articles-multistream.xml.bz2}, so that parts of it can be read independently.
 *
 * <p>A stream starts on a byte boundary with {@code BZh}, a block-size digit {@code 1}-{@code 9} and then either the
 * magic of its first block ({@code 0x314159265359}) or, for an empty stream, the end-of-stream magic
 * ({@code 0x177245385090}): 10 fixed bytes, which random compressed data matches by chance about once in 2^77
 * positions. Inside a file, streams are followed from one to the next by their exact decoded length; the byte
 * search is only for the first stream of a range and for getting past a damaged stream.
 */
public final class Bzip2Streams {

  /** Bytes that identify a stream start. */
  static final int START_LENGTH = 10;

  private static final byte[] BLOCK_MAGIC = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
  private static final byte[] END_OF_STREAM_MAGIC = {0x17, 0x72, 0x45, 0x38, 0x50, (byte) 0x90};

  /** A file that can be read from any byte offset (e.g. a seekable channel positioned there). */
  @FunctionalInterface
  public interface SeekableFile {
    /** A stream of the file's bytes from {@code offset} on; valid until the next call. */
    InputStream openAt(long offset) throws IOException;
  }

  /**
   * One stream, decoded.
   *
   * @param bytes what the stream holds
   * @param end the offset just after the stream in the file: where the next stream starts, if any
   */
  public record Decoded(byte[] bytes, long end) {}

  private Bzip2Streams() {}

  /** Whether {@code bytes[offset..]} is the start of a bzip2 stream. */
  static boolean isStreamStart(byte[] bytes, int offset) {
    if (bytes.length - offset < START_LENGTH
        || bytes[offset] != 'B' || bytes[offset + 1] != 'Z' || bytes[offset + 2] != 'h'
        || bytes[offset + 3] < '1' || bytes[offset + 3] > '9') {
      return false;
    }
    return matchesAt(bytes, offset + 4, BLOCK_MAGIC) || matchesAt(bytes, offset + 4, END_OF_STREAM_MAGIC);
  }

  private static boolean matchesAt(byte[] bytes, int offset, byte[] magic) {
    for (int i = 0; i < magic.length; i++) {
      if (bytes[offset + i] != magic[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The offset of the first stream that starts at or after {@code from} and before {@code before}, or -1 when there
   * is none. Reads the file only up to {@code before} plus the length of a stream start.
   */
  public static long nextStreamStart(SeekableFile file, long from, long before) throws IOException {
    InputStream in = file.openAt(from);
    byte[] window = new byte[1 << 16];
    // A stream followed from the one before starts right at `from`: look there before reading a whole window.
    int kept = in.readNBytes(window, 0, START_LENGTH); // bytes at the window's start, before the next read
    if (kept == START_LENGTH && from < before && isStreamStart(window, 0)) {
      return from;
    }
    long windowOffset = from;
    while (windowOffset < before) {
      int n = in.readNBytes(window, kept, window.length - kept);
      int filled = kept + n;
      for (int i = 0; i + START_LENGTH <= filled && windowOffset + i < before; i++) {
        if (window[i] == 'B' && isStreamStart(window, i)) {
          return windowOffset + i;
        }
      }
      if (n == 0 || filled < START_LENGTH) {
        return -1; // the file ends
      }
      kept = START_LENGTH - 1;
      System.arraycopy(window, filled - kept, window, 0, kept);
      windowOffset += filled - kept;
    }
    return -1;
  }

  /**
   * Decodes the one stream that starts at {@code start}, whole into memory: bzip2 checks a block's CRC only after
   * handing out its bytes, so a damaged stream must be rejected before any of it is parsed.
   *
   * @throws IOException when there is no stream at {@code start} or it is damaged (a CRC or format error)
   */
  public static Decoded decode(SeekableFile file, long start) throws IOException {
    BZip2CompressorInputStream stream = new BZip2CompressorInputStream(buffered(file.openAt(start)), false);
    byte[] bytes = stream.readAllBytes();
    // The decoder reads the file byte by byte and stops in the last byte of the stream: its count is the length.
    return new Decoded(bytes, start + stream.getCompressedCount());
  }

  /**
   * Whether {@code file} (bzip2) holds several streams: its first stream ends within the first {@code probeBytes}
   * and another stream starts right after it. A single-stream file is decoded only up to {@code probeBytes}.
   *
   * @throws IOException when the first stream is damaged
   */
  public static boolean isMultistream(SeekableFile file, long probeBytes) throws IOException {
    BZip2CompressorInputStream first = new BZip2CompressorInputStream(buffered(file.openAt(0)), false);
    byte[] discard = new byte[1 << 16];
    while (first.read(discard) >= 0) {
      if (first.getCompressedCount() > probeBytes) {
        return false;
      }
    }
    long second = first.getCompressedCount();
    return nextStreamStart(file, second, second + 1) == second;
  }

  private static InputStream buffered(InputStream in) {
    return new BufferedInputStream(in, 1 << 16);
  }
}
