package electra.pipelines.text;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;

/**
 * Streams the articles out of a MediaWiki {@code pages-articles} XML dump, one {@code <page>} at a time (StAX; memory
 * is bounded by the largest page, not by the dump).
 *
 * <p>Keeps what WikiExtractor keeps for the BERT/ELECTRA corpora: pages in namespace 0 that are not redirects.
 * The input may be plain XML or bzip2, including the {@code multistream} dumps, which are many bzip2 streams
 * concatenated; the format is recognised from the first bytes, because a Beam channel carries no file name.
 *
 * <p>A slice of a dump (a byte range of the XML, or the decoded bzip2 streams of a multistream dump) is read by
 * {@link #readArticlesStartingWithin}: its whole {@code <page>} elements are wrapped in a synthetic root element and
 * go through the same parsing, cleaning and skip rules as a whole dump.
 */
public final class WikiDumpReader {

  /** Why a page is not an article. A page that fails several tests counts under the first that applies. */
  public enum SkipReason {
    /** Not in namespace 0: talk, user, project, file, template, category ... pages. */
    NOT_ARTICLE_NAMESPACE,
    /** A redirect to another article (a {@code <redirect>} element or {@code #REDIRECT} text). */
    REDIRECT
  }

  /**
   * What one dump held.
   *
   * @param articles the pages handed to the consumer
   * @param skipped the pages left out, by reason; every reason is present, with 0 when none
   */
  public record ReadSummary(long articles, Map<SkipReason, Long> skipped) {

    public ReadSummary {
      if (articles < 0) {
        throw new IllegalArgumentException("negative article count " + articles);
      }
      EnumMap<SkipReason, Long> all = new EnumMap<>(SkipReason.class);
      for (SkipReason reason : SkipReason.values()) {
        long count = skipped.getOrDefault(reason, 0L);
        if (count < 0) {
          throw new IllegalArgumentException("negative count " + count + " for " + reason);
        }
        all.put(reason, count);
      }
      skipped = Map.copyOf(all);
    }

    /** Nothing read. */
    public static final ReadSummary NONE = new ReadSummary(0, Map.of());

    /** What this and {@code other} held together. */
    public ReadSummary plus(ReadSummary other) {
      Map<SkipReason, Long> sum = new EnumMap<>(skipped);
      other.skipped.forEach((reason, count) -> sum.merge(reason, count, Long::sum));
      return new ReadSummary(articles + other.articles, sum);
    }

    /** Pages left out, for any reason. */
    public long skippedPages() {
      return skipped.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Pages left out for {@code reason}. */
    public long skipped(SkipReason reason) {
      return skipped.get(reason);
    }
  }

  private WikiDumpReader() {}

  /**
   * Hands every article of {@code dump} to {@code articles}, in dump order, and counts the rest. Does not close
   * {@code dump}.
   *
   * @throws IOException when the stream fails or is not a MediaWiki export (the message says where)
   */
  public static ReadSummary readArticles(InputStream dump, Consumer<WikiPage> articles) throws IOException {
    return read(decompressed(dump), articles);
  }

  /**
   * Like {@link #readArticles} for a slice of dump XML (not compressed): the articles whose {@code <page>} tag
   * starts within the next {@code length} bytes of {@code xml}. Bytes outside such pages are ignored: the dump's
   * header and footer, and the tail of a page that started before the slice. The last page is read to its end even
   * when that lies beyond {@code length}, so consecutive slices read every page exactly once. Does not close
   * {@code xml}.
   *
   * @throws IOException when the stream fails or a page in the slice is not well-formed
   */
  public static ReadSummary readArticlesStartingWithin(InputStream xml, long length, Consumer<WikiPage> articles)
      throws IOException {
    // No XML declaration: the fragment is UTF-8, as every MediaWiki export is.
    InputStream document = new SequenceInputStream(Collections.enumeration(List.of(
        ascii("<pages>"), new PageElements(xml, length), ascii("</pages>"))));
    return read(document, articles);
  }

  private static InputStream ascii(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
  }

  private static ReadSummary read(InputStream xmlDocument, Consumer<WikiPage> articles) throws IOException {
    long[] kept = {0};
    Map<SkipReason, Long> skipped = new EnumMap<>(SkipReason.class);
    readPages(xmlDocument, page -> {
      Optional<SkipReason> reason = skipReason(page);
      if (reason.isPresent()) {
        skipped.merge(reason.get(), 1L, Long::sum);
      } else {
        kept[0]++;
        articles.accept(page);
      }
    });
    return new ReadSummary(kept[0], skipped);
  }

  /** Why {@code page} is not an article, or empty when it is one. */
  public static Optional<SkipReason> skipReason(WikiPage page) {
    if (!page.inArticleNamespace()) {
      return Optional.of(SkipReason.NOT_ARTICLE_NAMESPACE);
    }
    if (page.isRedirect()) {
      return Optional.of(SkipReason.REDIRECT);
    }
    return Optional.empty();
  }

  /** {@code in}, bzip2-decoded (every concatenated stream, not just the first) when it starts with "BZh". */
  static InputStream decompressed(InputStream in) throws IOException {
    BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
    byte[] magic = new byte[3];
    buffered.mark(magic.length);
    int read = buffered.readNBytes(magic, 0, magic.length);
    buffered.reset();
    return BZip2CompressorInputStream.matches(magic, read)
        ? new BZip2CompressorInputStream(buffered, true)
        : buffered;
  }

  private static void readPages(InputStream xmlBytes, Consumer<WikiPage> pages) throws IOException {
    XMLStreamReader xml = null;
    try {
      // A factory per dump: StAX does not promise that one factory can serve several threads.
      xml = secureFactory().createXMLStreamReader(xmlBytes);
      while (xml.hasNext()) {
        if (xml.next() == XMLStreamConstants.START_ELEMENT && xml.getLocalName().equals("page")) {
          pages.accept(readPage(xml));
        }
      }
    } catch (XMLStreamException e) {
      throw new IOException("not a readable MediaWiki dump: " + e.getMessage(), e);
    } finally {
      if (xml != null) {
        try {
          xml.close();
        } catch (XMLStreamException e) {
          // Closing a StAX reader releases parser state only; the stream stays the caller's.
        }
      }
    }
  }

  /** Reads from just after {@code <page>} to its {@code </page>}. */
  private static WikiPage readPage(XMLStreamReader xml) throws XMLStreamException, IOException {
    Location start = xml.getLocation();
    String title = null;
    String namespace = null;
    String id = null;
    String redirectTarget = null;
    String text = "";
    int depth = 0; // elements open below <page>
    while (true) {
      int event = xml.next();
      if (event == XMLStreamConstants.END_ELEMENT) {
        if (depth == 0) {
          break;
        }
        depth--;
      } else if (event == XMLStreamConstants.START_ELEMENT) {
        String name = xml.getLocalName();
        if (depth == 0 && name.equals("title")) {
          title = xml.getElementText();
        } else if (depth == 0 && name.equals("ns")) {
          namespace = xml.getElementText();
        } else if (depth == 0 && name.equals("id")) {
          id = xml.getElementText();
        } else if (name.equals("text")) {
          text = xml.getElementText(); // the last revision wins, should a dump carry several
        } else {
          if (depth == 0 && name.equals("redirect")) {
            String target = xml.getAttributeValue(null, "title");
            redirectTarget = target == null ? "" : target;
          }
          depth++;
        }
      } else if (event == XMLStreamConstants.END_DOCUMENT) {
        throw new IOException("dump ends inside the <page> starting at " + where(start));
      }
    }
    try {
      return new WikiPage(
          Long.parseLong(required(id, "id", start).strip()),
          required(title, "title", start),
          Integer.parseInt(required(namespace, "ns", start).strip()),
          redirectTarget,
          text);
    } catch (IllegalArgumentException e) {
      throw new IOException("bad <page> starting at " + where(start) + ": " + e.getMessage(), e);
    }
  }

  private static String required(String value, String element, Location page) throws IOException {
    if (value == null) {
      throw new IOException("the <page> starting at " + where(page) + " has no <" + element + ">");
    }
    return value;
  }

  private static String where(Location location) {
    return "line " + location.getLineNumber() + ", column " + location.getColumnNumber();
  }

  /**
   * The JDK's own StAX parser (not whatever else the class path offers, e.g. Woodstox through Beam's IOs), with DTDs
   * and external entities off: a dump needs neither, and both are ways in for hostile XML.
   */
  private static XMLInputFactory secureFactory() {
    XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
    factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    factory.setProperty(XMLInputFactory.IS_COALESCING, true);
    return factory;
  }
}
