package electra.pipelines.ingest;

import electra.pipelines.text.Bzip2Streams;
import electra.pipelines.text.TextDocument;
import electra.pipelines.text.WikiDumpReader;
import electra.pipelines.text.WikiPage;
import electra.pipelines.text.WikiTextCleaner;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.ReadableFileCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads MediaWiki dumps article by article, a big dump in byte ranges that different workers read in parallel.
 *
 * <p>A Wikipedia dump is one huge file (enwiki: ~20 GB of bzip2, ~90 GB of XML). Read in one call, it kept one core
 * busy whatever {@code --parallelism}, since the steps after the reader run in the reader's chain. So each file is
 * first cut into {@link DumpRange}s of {@code --split_mb} ({@link DumpRange#plan}): uncompressed XML at any byte
 * (a range reads the pages whose {@code <page>} tag starts in it), a multistream bzip2 dump at its stream starts (a
 * range reads the streams that start in it); a single-stream bzip2 file can only be decoded from its start and stays
 * one range. The range descriptors, a few per file, are then spread over the workers by a reshuffle: a sort of
 * tiny elements, unlike a reshuffle of the articles, which on Flink batch would materialize the whole dump first.
 * Every page is read by exactly one range, and documents are placed by stable hashes of their ids downstream, so the
 * shards are byte-identical whatever the range size or parallelism. Measured on 2 cores, a 608 MB XML dump took
 * 43.5 s read whole (135% CPU), 38 s in 64 MiB ranges and 33 s in 16 MiB ranges (189% CPU): the ranges get
 * random keys, so there should be several per worker for the load to even out.
 *
 * <p>Damaged input does not stop the job: a damaged whole file or XML range ends with a logged reason and byte
 * position, keeping the articles read before; a damaged bzip2 stream of a multistream dump loses only that stream's
 * pages (it is decoded and checked whole before any of it is parsed). An article the cleaner cannot handle is
 * skipped the same way.
 */
final class ReadWikiDumps extends PTransform<PCollection<FileIO.ReadableFile>, PCollection<TextDocument>> {

  private static final Logger LOG = LoggerFactory.getLogger(ReadWikiDumps.class);

  /** Counter names, under {@link ExtractDocuments} like the other readers' (files, damaged files). */
  static final String DUMP_RANGES = "wiki_dump_ranges";
  static final String ARTICLES = "wiki_articles";
  static final String PAGES_SKIPPED = "wiki_pages_skipped";
  static final String ARTICLES_WITHOUT_TEXT = "wiki_articles_without_text";
  static final String ARTICLES_FAILED = "wiki_articles_failed";
  static final String DAMAGED_XML_RANGES = "damaged_xml_ranges";
  static final String DAMAGED_BZ2_STREAMS = "damaged_bz2_streams";

  private final long rangeBytes;

  /** Reads dumps in ranges of {@code rangeBytes}; 0 reads every file whole. */
  ReadWikiDumps(long rangeBytes) {
    this.rangeBytes = rangeBytes;
  }

  @Override
  public PCollection<TextDocument> expand(PCollection<FileIO.ReadableFile> files) {
    return files
        .apply("PlanRanges", ParDo.of(new PlanRangesFn(rangeBytes)))
        .setCoder(KvCoder.of(ReadableFileCoder.of(), SerializableCoder.of(DumpRange.class)))
        .apply("SpreadRanges", Reshuffle.viaRandomKey())
        .apply("ReadRanges", ParDo.of(new ReadRangeFn()))
        .setCoder(SerializableCoder.of(TextDocument.class));
  }

  /** A seekable channel as {@link Bzip2Streams.SeekableFile}, read through {@code progress}. */
  private static Bzip2Streams.SeekableFile seekable(SeekableByteChannel channel, ReadProgress progress) {
    return offset -> {
      channel.position(offset);
      return progress;
    };
  }

  /** Cuts each file into the ranges it is read in; reads the first bytes (at most a few MB) of big files only. */
  static final class PlanRangesFn extends DoFn<FileIO.ReadableFile, KV<FileIO.ReadableFile, DumpRange>> {
    private final Counter files = Metrics.counter(ExtractDocuments.class, ExtractDocuments.FILES);
    private final Counter ranges = Metrics.counter(ExtractDocuments.class, DUMP_RANGES);
    private final long rangeBytes;

    PlanRangesFn(long rangeBytes) {
      this.rangeBytes = rangeBytes;
    }

    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<KV<FileIO.ReadableFile, DumpRange>> out)
        throws IOException {
      long size = file.getMetadata().sizeBytes();
      List<DumpRange> plan;
      try (SeekableByteChannel channel = file.openSeekable()) {
        plan = DumpRange.plan(offset -> Channels.newInputStream(channel.position(offset)), size, rangeBytes);
      }
      if (plan.size() > 1) {
        LOG.info("{}: {} MB of {}, read in {} ranges", ExtractDocuments.fileName(file), size / 1_000_000,
            plan.get(0).layout(), plan.size());
      }
      plan.forEach(range -> out.output(KV.of(file, range)));
      files.inc();
      ranges.inc(plan.size());
    }
  }

  /** Reads the articles of one range and emits each one's cleaned paragraphs. */
  static final class ReadRangeFn extends DoFn<KV<FileIO.ReadableFile, DumpRange>, TextDocument> {
    private final Counter articles = Metrics.counter(ExtractDocuments.class, ARTICLES);
    private final Counter skippedPages = Metrics.counter(ExtractDocuments.class, PAGES_SKIPPED);
    private final Counter emptyArticles = Metrics.counter(ExtractDocuments.class, ARTICLES_WITHOUT_TEXT);
    private final Counter badArticles = Metrics.counter(ExtractDocuments.class, ARTICLES_FAILED);
    private final Counter damagedFiles = Metrics.counter(ExtractDocuments.class, ExtractDocuments.DAMAGED_FILES);
    private final Counter damagedRanges = Metrics.counter(ExtractDocuments.class, DAMAGED_XML_RANGES);
    private final Counter damagedStreams = Metrics.counter(ExtractDocuments.class, DAMAGED_BZ2_STREAMS);
    private transient WikiTextCleaner cleaner;

    @Setup
    public void setup() {
      cleaner = WikiTextCleaner.likeWikiExtractor();
    }

    @ProcessElement
    public void process(@Element KV<FileIO.ReadableFile, DumpRange> element, OutputReceiver<TextDocument> out)
        throws IOException {
      FileIO.ReadableFile file = element.getKey();
      DumpRange range = element.getValue();
      switch (range.layout()) {
        case WHOLE_FILE -> readWholeFile(file, out);
        case XML -> readXmlRange(file, range, out);
        case MULTISTREAM_BZIP2 -> readStreams(file, range, out);
      }
    }

    private void readWholeFile(FileIO.ReadableFile file, OutputReceiver<TextDocument> out) throws IOException {
      try (ReadProgress in = ExtractDocuments.open(file)) {
        try {
          count(WikiDumpReader.readArticles(in, page -> {
            emit(page, out);
            in.document();
          }));
        } catch (IOException | RuntimeException damaged) {
          damagedFiles.inc();
          LOG.warn("{}: damaged at about byte {} of the file as stored ({}); kept what was read before, skipping the"
              + " rest", ExtractDocuments.fileName(file), in.position(), damaged.getMessage());
        }
      }
    }

    private void readXmlRange(FileIO.ReadableFile file, DumpRange range, OutputReceiver<TextDocument> out)
        throws IOException {
      String name = ExtractDocuments.fileName(file);
      try (SeekableByteChannel channel = file.openSeekable();
          ReadProgress in = progress(channel, name, range)) {
        try {
          count(range.readXml(seekable(channel, in), page -> {
            emit(page, out);
            in.document();
          }));
        } catch (IOException | RuntimeException damaged) {
          damagedRanges.inc();
          LOG.warn("{}: damaged at about byte {} ({}); kept the pages of {} read before, skipping the rest of them",
              name, range.start() + in.position(), damaged.getMessage(), range.describe());
        }
      }
    }

    private void readStreams(FileIO.ReadableFile file, DumpRange range, OutputReceiver<TextDocument> out)
        throws IOException {
      String name = ExtractDocuments.fileName(file);
      try (SeekableByteChannel channel = file.openSeekable();
          ReadProgress in = progress(channel, name, range)) {
        count(range.readStreams(seekable(channel, in), page -> {
          emit(page, out);
          in.document();
        }, (stream, damage) -> {
          damagedStreams.inc();
          LOG.warn("{}: the bzip2 stream at byte {} is damaged ({}); skipped its pages", name, stream,
              damage.getMessage());
        }));
      }
    }

    private static ReadProgress progress(SeekableByteChannel channel, String name, DumpRange range) {
      return new ReadProgress(Channels.newInputStream(channel), name + " " + range.describe(),
          range.end() - range.start());
    }

    private void count(WikiDumpReader.ReadSummary summary) {
      skippedPages.inc(summary.skippedPages());
    }

    private void emit(WikiPage page, OutputReceiver<TextDocument> out) {
      List<String> paragraphs;
      try {
        paragraphs = cleaner.paragraphs(page.wikitext());
      } catch (RuntimeException e) {
        badArticles.inc();
        LOG.warn("article {} ({}): cannot clean its wikitext ({}); skipped", page.id(), page.title(), e.toString());
        return;
      }
      if (paragraphs.isEmpty()) {
        emptyArticles.inc();
      } else {
        out.output(new TextDocument("wiki:" + page.id(), paragraphs));
        articles.inc();
      }
    }
  }
}
