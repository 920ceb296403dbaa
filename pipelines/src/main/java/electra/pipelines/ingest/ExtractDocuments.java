package electra.pipelines.ingest;

import electra.pipelines.text.TextDocument;
import electra.pipelines.text.TextFormat;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.Locale;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns corpus files into plain-text documents: Wikipedia dumps article by article, books one document per file,
 * other text by blank lines or JSON lines. Document ids are built from file names (not full paths), so moving a
 * corpus does not move documents between the train and test splits.
 */
public final class ExtractDocuments extends PTransform<PCollection<FileIO.ReadableFile>, PCollection<TextDocument>> {

  private static final Logger LOG = LoggerFactory.getLogger(ExtractDocuments.class);

  /**
   * Counter names, under this class. {@link ReadWikiDumps} counts under it too, so the files and damaged files of
   * every reader add up under one name.
   */
  static final String FILES = "files";
  static final String DAMAGED_FILES = "damaged_files";
  static final String TEXT_DOCUMENTS = "text_documents";
  static final String MALFORMED_LINES = "malformed_lines";

  /** What kind of corpus the files hold. */
  public enum Source {
    /** MediaWiki pages-articles XML dumps (.xml, .xml.bz2, multistream .bz2): namespace-0 articles, no redirects. */
    WIKIPEDIA,
    /** One book per .txt file (Project Gutenberg style, paragraphs separated by blank lines). */
    BOOKS,
    /**
     * Any text: files named {@code *.jsonl} or {@code *.json} (optionally compressed) hold one JSON object per line
     * with a "text" field and an optional "id"; other files hold documents separated by blank lines.
     */
    TEXT;

    /** How files of this kind are opened: dumps detect bz2 themselves (multistream included), text by extension. */
    public Compression compression() {
      return this == WIKIPEDIA ? Compression.UNCOMPRESSED : Compression.AUTO;
    }
  }

  private final Source source;
  private final long wikiRangeBytes;

  /** Reads every file whole. */
  public ExtractDocuments(Source source) {
    this(source, 0);
  }

  /** Reads Wikipedia dumps in byte ranges of {@code wikiRangeBytes} ({@link ReadWikiDumps}); 0 reads them whole. */
  public ExtractDocuments(Source source, long wikiRangeBytes) {
    this.source = source;
    this.wikiRangeBytes = wikiRangeBytes;
  }

  @Override
  public PCollection<TextDocument> expand(PCollection<FileIO.ReadableFile> files) {
    if (source == Source.WIKIPEDIA) {
      return files.apply("ReadWikiDumps", new ReadWikiDumps(wikiRangeBytes));
    }
    TextFormat format = source == Source.BOOKS ? TextFormat.BOOK : null; // TEXT: by each file's name
    return files.apply("Read" + source, ParDo.of(new ReadTextFn(format)))
        .setCoder(SerializableCoder.of(TextDocument.class));
  }

  static String fileName(FileIO.ReadableFile file) {
    String name = file.getMetadata().resourceId().getFilename();
    return name == null ? file.getMetadata().resourceId().toString() : name;
  }

  /** Opens a file for reading with progress reports. */
  static ReadProgress open(FileIO.ReadableFile file) throws IOException {
    return new ReadProgress(Channels.newInputStream(file.open()), fileName(file), file.getMetadata().sizeBytes());
  }

  /** The layout of a {@link Source#TEXT} file, from its name. */
  static TextFormat textFormatOf(String fileName) {
    String plain = fileName.toLowerCase(Locale.ROOT).replaceAll("\\.(gz|bz2|zst|deflate|lzo|zip|snappy)$", "");
    return plain.endsWith(".jsonl") || plain.endsWith(".json") ? TextFormat.JSON_LINES : TextFormat.BLANK_LINE_SEPARATED;
  }

  /**
   * Reads one text file in the given layout, or (null) in the layout its name says. A malformed JSON line is logged
   * with its file and line number and skipped; the documents around it are kept.
   */
  static final class ReadTextFn extends DoFn<FileIO.ReadableFile, TextDocument> {
    private final Counter files = Metrics.counter(ExtractDocuments.class, FILES);
    private final Counter documents = Metrics.counter(ExtractDocuments.class, TEXT_DOCUMENTS);
    private final Counter badLines = Metrics.counter(ExtractDocuments.class, MALFORMED_LINES);
    private final Counter damagedFiles = Metrics.counter(ExtractDocuments.class, DAMAGED_FILES);
    private final TextFormat format;

    ReadTextFn(TextFormat format) {
      this.format = format;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<TextDocument> out) throws IOException {
      String name = fileName(file);
      files.inc();
      try (ReadProgress in = open(file)) {
        try {
          (format != null ? format : textFormatOf(name)).read(name, in, document -> {
            out.output(document);
            documents.inc();
            in.document();
          }, bad -> {
            badLines.inc();
            LOG.warn("{}; line skipped", bad.getMessage());
          });
        } catch (IOException | RuntimeException damaged) {
          damagedFiles.inc();
          LOG.warn("{}: damaged at about byte {} of the file as stored ({}); kept what was read before, skipping the"
              + " rest", name, in.position(), damaged.getMessage());
        }
      }
    }
  }
}
