package electra.pipelines.download;

import electra.cli.Flag;
import electra.cli.UsageException;
import electra.data.Checksum;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One Wikipedia dump file on dumps.wikimedia.org or a mirror with its layout:
 * {@code <base>/<lang>wiki/<date>/<lang>wiki-<date>-pages-articles[-multistream].xml.bz2}, with its published
 * checksums beside it in {@code <lang>wiki-<date>-sha1sums.txt} and {@code -md5sums.txt}. Its components are the
 * flags of {@link DownloadWiki} that choose the dump.
 */
public record WikiDump(
    @Flag(value = "Wikipedia language code as in the dump folder names (en, de, zh_yue)", defaultValue = "en")
    String language,
    @Flag(value = "'latest' or a dump date YYYYMMDD (see <base_url>/<language>wiki/)", defaultValue = WikiDump.LATEST)
    String dumpDate,
    @Flag(value = "dump site or mirror with the same folder layout", defaultValue = "https://dumps.wikimedia.org")
    BaseUrl baseUrl,
    @Flag(value = "the multistream dump, which IngestWiki reads on all workers in parallel; false: "
        + "pages-articles.xml.bz2 (same articles, NVIDIA's choice), which only one worker can decode",
        defaultValue = "true")
    boolean multistream) {

  public static final String LATEST = "latest";

  private static final Pattern LANGUAGE = Pattern.compile("[a-z][a-z0-9_]*");
  private static final Pattern DATE = Pattern.compile("\\d{8}");
  private static final String ARTICLES = "pages-articles.xml.bz2";
  private static final String MULTISTREAM_ARTICLES = "pages-articles-multistream.xml.bz2";
  /** What {@link #fileName()} gives for any language, date and kind. */
  private static final Pattern ANY_FILE_NAME = Pattern.compile(LANGUAGE.pattern() + "wiki-(" + LATEST + "|"
      + DATE.pattern() + ")-(" + Pattern.quote(ARTICLES) + "|" + Pattern.quote(MULTISTREAM_ARTICLES) + ")");

  public WikiDump {
    Objects.requireNonNull(baseUrl, "baseUrl");
    language = Objects.requireNonNull(language, "language").strip();
    dumpDate = Objects.requireNonNull(dumpDate, "dumpDate").strip();
    if (!LANGUAGE.matcher(language).matches()) {
      throw new UsageException("--language must be a Wikipedia code as the dump folders spell it (en, de, zh_yue), "
          + "got '" + language + "'");
    }
    if (!dumpDate.equals(LATEST) && !DATE.matcher(dumpDate).matches()) {
      throw new UsageException("--dump_date must be 'latest' or YYYYMMDD (e.g. 20240601), got '" + dumpDate + "'");
    }
  }

  /** {@code enwiki}. */
  public String project() {
    return language + "wiki";
  }

  /** {@code enwiki-latest-pages-articles.xml.bz2}. */
  public String fileName() {
    return project() + "-" + dumpDate + "-" + kind();
  }

  public URI fileUrl() {
    return baseUrl.resolve(project(), dumpDate, fileName());
  }

  /** The published checksum lists in the dump's folder, strongest first. */
  public List<URI> checksumUrls() {
    return List.of(baseUrl.resolve(project(), dumpDate, project() + "-" + dumpDate + "-sha1sums.txt"),
        baseUrl.resolve(project(), dumpDate, project() + "-" + dumpDate + "-md5sums.txt"));
  }

  /** Whether a file is named as a dump file is ({@code enwiki-20240601-pages-articles.xml.bz2}). */
  public static boolean isDumpFileName(String name) {
    return ANY_FILE_NAME.matcher(name).matches();
  }

  /** {@code pages-articles.xml.bz2} or {@code pages-articles-multistream.xml.bz2}. */
  private String kind() {
    return multistream ? MULTISTREAM_ARTICLES : ARTICLES;
  }

  /** A line of a checksum list: the digest and the file name it was published for. */
  public record Published(String fileName, Checksum checksum) {}

  /**
   * This dump's line in a checksum list ({@code <hex>  <file name>} per line, as {@code sha1sum} writes). The
   * lists in {@code latest/} name the dated files ({@code enwiki-20240601-pages-articles.xml.bz2}), so for
   * {@code latest} the one dated file of this kind matches.
   */
  public Optional<Published> findChecksum(String checksumList) {
    Pattern name = Pattern.compile(Pattern.quote(project() + "-")
        + (dumpDate.equals(LATEST) ? "(" + Pattern.quote(LATEST) + "|\\d{8})" : Pattern.quote(dumpDate))
        + Pattern.quote("-" + kind()));
    return checksumList.lines()
        .map(String::trim)
        .map(line -> line.split("\\s+\\*?", 2))
        .filter(fields -> fields.length == 2 && name.matcher(fields[1]).matches())
        .flatMap(fields -> parse(fields[0]).map(c -> new Published(fields[1], c)).stream())
        .findFirst();
  }

  /** A digest by its length: 40 hex digits are sha1, 32 md5; anything else is not a checksum. */
  private static Optional<Checksum> parse(String hex) {
    try {
      return Optional.of(hex.length() == 32 ? Checksum.md5(hex) : Checksum.sha1(hex));
    } catch (IllegalArgumentException notAChecksum) {
      return Optional.empty();
    }
  }
}
