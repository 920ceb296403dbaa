package electra.pipelines.ingest;

import electra.pipelines.text.Bzip2Streams;
import electra.pipelines.text.WikiDumpReader;
import electra.pipelines.text.WikiPage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * A byte range {@code [start, end)} of a Wikipedia dump that one worker reads, and how the dump is laid out.
 *
 * @param layout how the range is read
 * @param start the first byte of the range
 * @param end the byte after the range
 */
record DumpRange(Layout layout, long start, long end) implements Serializable {

  /** How a dump is laid out, which decides whether and how it can be read in ranges. */
  enum Layout {
    /** Uncompressed XML: a range reads the pages whose {@code <page>} tag starts in it. */
    XML,
    /** Concatenated bzip2 streams ({@code pages-articles-multistream}): a range reads the streams that start in it. */
    MULTISTREAM_BZIP2,
    /**
     * Read from start to end in one go: a single-stream bzip2 file (it can only be decoded from its start), a file
     * no larger than one range, or one that is neither XML nor bzip2 (it will be reported as damaged).
     */
    WHOLE_FILE
  }

  /**
   * How far into a bzip2 file its first stream must end for the file to count as multistream. Wikipedia's
   * multistream dumps put only the {@code <siteinfo>} header (a few KB) in the first stream; a single-stream file is
   * decoded this far once, at planning, to find out.
   */
  static final long MULTISTREAM_PROBE_BYTES = 4L << 20;

  /**
   * The ranges of {@code rangeBytes} (the last one shorter) that a dump of {@code size} bytes is read in: one
   * {@link Layout#WHOLE_FILE} range when the file fits in one range, {@code rangeBytes} is 0, or the layout cannot
   * be read in ranges.
   */
  static List<DumpRange> plan(Bzip2Streams.SeekableFile file, long size, long rangeBytes) throws IOException {
    Layout layout = rangeBytes <= 0 || size <= rangeBytes ? Layout.WHOLE_FILE : layoutOf(file);
    if (layout == Layout.WHOLE_FILE) {
      return List.of(new DumpRange(Layout.WHOLE_FILE, 0, size));
    }
    List<DumpRange> ranges = new ArrayList<>();
    for (long start = 0; start < size; start += rangeBytes) {
      ranges.add(new DumpRange(layout, start, Math.min(size, start + rangeBytes)));
    }
    return ranges;
  }

  /** The layout, from the first bytes (a Beam file carries no reliable extension). */
  static Layout layoutOf(Bzip2Streams.SeekableFile file) throws IOException {
    InputStream in = file.openAt(0);
    byte[] head = in.readNBytes(64);
    if (BZip2CompressorInputStream.matches(head, head.length)) {
      try {
        return Bzip2Streams.isMultistream(file, MULTISTREAM_PROBE_BYTES) ? Layout.MULTISTREAM_BZIP2
            : Layout.WHOLE_FILE;
      } catch (IOException damagedFirstStream) {
        return Layout.WHOLE_FILE; // the whole-file reader reports the damage where it is
      }
    }
    return startsWithXmlMarkup(head) ? Layout.XML : Layout.WHOLE_FILE;
  }

  /** Whether the first character after an optional UTF-8 byte order mark and white space is {@code <}. */
  private static boolean startsWithXmlMarkup(byte[] head) {
    int i = head.length >= 3 && head[0] == (byte) 0xef && head[1] == (byte) 0xbb && head[2] == (byte) 0xbf ? 3 : 0;
    while (i < head.length && Character.isWhitespace(head[i])) {
      i++;
    }
    return i < head.length && head[i] == '<';
  }

  /**
   * Reads the articles of an {@link Layout#XML} range: those whose {@code <page>} tag starts in it.
   *
   * @throws IOException when the file fails or a page is not well-formed; the articles before were handed out
   */
  WikiDumpReader.ReadSummary readXml(Bzip2Streams.SeekableFile dump, Consumer<WikiPage> articles)
      throws IOException {
    return WikiDumpReader.readArticlesStartingWithin(dump.openAt(start), end - start, articles);
  }

  /** Told about a damaged bzip2 stream: the byte it starts at and what is wrong. */
  @FunctionalInterface
  interface DamagedStreams {
    void skipped(long streamStart, Exception damage);
  }

  /**
   * Reads the articles of a {@link Layout#MULTISTREAM_BZIP2} range: those in the streams that start in it, each
   * stream a document of its own (Wikipedia's streams hold whole pages, the first one the header, the last the
   * footer). A damaged stream is reported to {@code damaged} and skipped, the search for the next stream going on from
   * just after its start.
   *
   * @throws IOException when the file cannot be read
   */
  WikiDumpReader.ReadSummary readStreams(Bzip2Streams.SeekableFile dump, Consumer<WikiPage> articles,
      DamagedStreams damaged) throws IOException {
    WikiDumpReader.ReadSummary summary = WikiDumpReader.ReadSummary.NONE;
    long stream = Bzip2Streams.nextStreamStart(dump, start, end);
    while (stream >= 0) {
      long next;
      try {
        Bzip2Streams.Decoded decoded = Bzip2Streams.decode(dump, stream);
        next = decoded.end();
        summary = summary.plus(WikiDumpReader.readArticlesStartingWithin(new ByteArrayInputStream(decoded.bytes()),
            Long.MAX_VALUE, articles));
      } catch (IOException | RuntimeException damage) {
        damaged.skipped(stream, damage);
        next = stream + 1;
      }
      stream = Bzip2Streams.nextStreamStart(dump, next, end);
    }
    return summary;
  }

  /** For logs: {@code bytes 0-67108864}. */
  String describe() {
    return "bytes " + start + "-" + end;
  }
}
