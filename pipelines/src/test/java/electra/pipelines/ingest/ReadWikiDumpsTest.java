package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.pipelines.text.Bzip2Streams;
import electra.pipelines.text.WikiDumpReader;
import electra.pipelines.text.WikiPage;
import electra.records.ShardManifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Big dumps read in byte ranges give exactly the articles, and the shards, of reading them whole. */
class ReadWikiDumpsTest {

  private static final int PAGES_PER_STREAM = 5;

  private static Path shared;
  /** The sample dump as XML: header, pages, footer. */
  private static byte[] xml;
  /** Where each {@code <page>} starts in {@link #xml}, and (last) where the footer starts. */
  private static List<Integer> pageStarts;
  /** The sample's 106 articles, read whole. */
  private static List<WikiPage> expected;

  @BeforeAll
  static void sample() throws IOException {
    shared = Path.of(System.getProperty("electra.shared.dir", "../shared"));
    Path dump = shared.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2");
    Assumptions.assumeTrue(Files.isRegularFile(dump),
        "sample dump not found at " + dump.toAbsolutePath() + " (set -Delectra.shared.dir): skipping");
    try (InputStream in = new BZip2CompressorInputStream(Files.newInputStream(dump), true)) {
      xml = in.readAllBytes();
    }
    pageStarts = new ArrayList<>();
    String text = new String(xml, StandardCharsets.ISO_8859_1); // one char per byte: indexes are byte offsets
    for (int at = text.indexOf("<page>"); at >= 0; at = text.indexOf("<page>", at + 1)) {
      pageStarts.add(at);
    }
    pageStarts.add(text.lastIndexOf("</mediawiki>"));
    expected = new ArrayList<>();
    WikiDumpReader.readArticles(new ByteArrayInputStream(xml), expected::add);
    assertEquals(206 + 1, pageStarts.size());
    assertEquals(106, expected.size());
  }

  /** The sample as a multistream bz2: the header in the first stream, 5 pages per stream, the footer in the last. */
  private static byte[] multistream() throws IOException {
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    int from = 0;
    for (int page = 0; page < pageStarts.size() - 1; page += PAGES_PER_STREAM) {
      file.write(bzip2(xml, from, pageStarts.get(page)));
      from = pageStarts.get(page);
    }
    file.write(bzip2(xml, from, pageStarts.get(pageStarts.size() - 1)));
    file.write(bzip2(xml, pageStarts.get(pageStarts.size() - 1), xml.length));
    return file.toByteArray();
  }

  private static byte[] bzip2(byte[] bytes, int from, int to) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BZip2CompressorOutputStream bz = new BZip2CompressorOutputStream(out)) {
      bz.write(bytes, from, to - from);
    }
    return out.toByteArray();
  }

  /** Reads {@code file} the way the pipeline does, range by range in file order; damaged streams go to {@code damaged}. */
  private static List<WikiPage> readInRanges(Path file, long rangeBytes, List<DumpRange> plan, List<Long> damaged)
      throws IOException {
    List<WikiPage> pages = new ArrayList<>();
    try (FileChannel channel = FileChannel.open(file)) {
      Bzip2Streams.SeekableFile seekable = offset -> Channels.newInputStream(channel.position(offset));
      plan.addAll(DumpRange.plan(seekable, channel.size(), rangeBytes));
      for (DumpRange range : plan) {
        switch (range.layout()) {
          case XML -> range.readXml(seekable, pages::add);
          case MULTISTREAM_BZIP2 -> range.readStreams(seekable, pages::add, (stream, damage) -> damaged.add(stream));
          case WHOLE_FILE -> WikiDumpReader.readArticles(seekable.openAt(0), pages::add);
        }
      }
    }
    return pages;
  }

  @Test
  void uncompressedXmlReadInDozensOfRangesGivesTheArticlesOfReadingItWhole(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("dump.xml"), xml);
    for (long rangeBytes : new long[] {64 << 10, 4099}) {
      List<DumpRange> plan = new ArrayList<>();
      List<WikiPage> pages = readInRanges(file, rangeBytes, plan, new ArrayList<>());
      assertEquals((xml.length + rangeBytes - 1) / rangeBytes, plan.size());
      assertTrue(plan.stream().allMatch(r -> r.layout() == DumpRange.Layout.XML), plan.toString());
      assertEquals(expected, pages, "range size " + rangeBytes);
    }
  }

  @Test
  void aRangeEdgeAtOrNextToAPageStartLosesAndRepeatsNothing(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("dump.xml"), xml);
    try (FileChannel channel = FileChannel.open(file)) {
      Bzip2Streams.SeekableFile seekable = offset -> Channels.newInputStream(channel.position(offset));
      for (int page : new int[] {0, 1, 7, 100, 205}) {
        for (int shift = -1; shift <= 6; shift++) {
          long edge = pageStarts.get(page) + shift; // -1: just before; 0: at; 1..6: inside the <page> tag
          List<WikiPage> pages = new ArrayList<>();
          new DumpRange(DumpRange.Layout.XML, 0, edge).readXml(seekable, pages::add);
          new DumpRange(DumpRange.Layout.XML, edge, xml.length).readXml(seekable, pages::add);
          assertEquals(expected, pages, "edge at page " + page + " " + shift);
        }
      }
    }
  }

  @Test
  void multistreamBzip2ReadInRangesGivesTheArticlesOfReadingItWhole(@TempDir Path dir) throws IOException {
    Path file = Files.write(dir.resolve("dump-multistream.xml.bz2"), multistream());
    List<DumpRange> plan = new ArrayList<>();
    List<Long> damaged = new ArrayList<>();
    List<WikiPage> pages = readInRanges(file, 16 << 10, plan, damaged);
    assertTrue(plan.size() > 50, plan.size() + " ranges");
    assertTrue(plan.stream().allMatch(r -> r.layout() == DumpRange.Layout.MULTISTREAM_BZIP2), plan.toString());
    assertEquals(List.of(), damaged);
    assertEquals(expected, pages);

    List<WikiPage> whole = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file)) {
      WikiDumpReader.readArticles(in, whole::add);
    }
    assertEquals(expected, whole, "read whole, the multistream file holds the sample's articles too");
  }

  @Test
  void aSingleStreamBzip2FileIsReadWholeWhateverTheRangeSize() throws IOException {
    Path sample = shared.resolve("data/wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2");
    List<DumpRange> plan = new ArrayList<>();
    List<WikiPage> pages = readInRanges(sample, 16 << 10, plan, new ArrayList<>());
    assertEquals(List.of(new DumpRange(DumpRange.Layout.WHOLE_FILE, 0, Files.size(sample))), plan);
    assertEquals(expected, pages);
  }

  @Test
  void aCorruptStreamInTheMiddleLosesOnlyItsOwnPages(@TempDir Path dir) throws IOException {
    byte[] file = multistream();
    int corruptStream = 20; // stream 0 is the header; stream 20 holds pages 95..99
    List<Integer> streamStarts = new ArrayList<>();
    for (int i = 0; i + 10 <= file.length; i++) {
      if (file[i] == 'B' && file[i + 1] == 'Z' && file[i + 2] == 'h' && file[i + 4] == 0x31 && file[i + 5] == 0x41) {
        streamStarts.add(i);
      }
    }
    int start = streamStarts.get(corruptStream);
    int middle = (start + streamStarts.get(corruptStream + 1)) / 2;
    for (int i = middle; i < middle + 64; i++) {
      file[i] ^= 0x5a;
    }
    List<Long> lostIds = new ArrayList<>();
    int lostFrom = pageStarts.get((corruptStream - 1) * PAGES_PER_STREAM);
    int lostTo = pageStarts.get(corruptStream * PAGES_PER_STREAM);
    WikiDumpReader.readArticlesStartingWithin(new ByteArrayInputStream(xml, lostFrom, lostTo - lostFrom),
        Long.MAX_VALUE, page -> lostIds.add(page.id()));
    assertTrue(!lostIds.isEmpty(), "the corrupt stream holds articles");

    Path path = Files.write(dir.resolve("damaged-multistream.xml.bz2"), file);
    List<Long> damaged = new ArrayList<>();
    List<WikiPage> pages = readInRanges(path, 16 << 10, new ArrayList<>(), damaged);
    assertEquals(List.of((long) start), damaged);
    assertEquals(expected.stream().filter(p -> !lostIds.contains(p.id())).toList(), pages);
  }

  @Test
  void theIngestWikiJobWritesTheSameShardsWhetherDumpsAreSplitOrNot(@TempDir Path dir) throws Exception {
    Path vocabFile = shared.resolve("data/vocab/bert-base-uncased-vocab.txt");
    Assumptions.assumeTrue(Files.isRegularFile(vocabFile), "vocabulary " + vocabFile + " not found: skipping");
    Path xmlDump = Files.write(Files.createDirectories(dir.resolve("xml")).resolve("dump.xml"), xml);
    Path multistreamDump = Files.write(Files.createDirectories(dir.resolve("multistream"))
        .resolve("dump-multistream.xml.bz2"), multistream());
    String[][] runs = {
        {"whole", xmlDump.toString(), "0", "DirectRunner"},
        {"xml-ranges", xmlDump.toString(), "0.0625", "FlinkRunner"}, // 64 KB: 93 ranges
        {"multistream-ranges", multistreamDump.toString(), "0.015625", "FlinkRunner"}}; // 16 KB: ~100 ranges
    for (String[] run : runs) {
      new IngestJobs.IngestWiki().run(new String[] {"--input=" + run[1], "--output=" + dir.resolve(run[0]),
          "--vocab_file=" + vocabFile, "--split_mb=" + run[2], "--runner=" + run[3], "--parallelism=2",
          "--num_train_shards=3", "--num_test_shards=1", "--max_seq_length_p2=0"});
    }
    for (String split : List.of("train", "test")) {
      Path whole = dir.resolve("whole/phase1").resolve(split);
      List<ShardManifest.Shard> shards =
          ShardManifest.fromJson(Files.readString(whole.resolve(ShardManifest.FILE_NAME))).shards();
      assertTrue(shards.stream().mapToLong(ShardManifest.Shard::records).sum() > 50, split);
      for (String splitRun : List.of("xml-ranges", "multistream-ranges")) {
        Path ranges = dir.resolve(splitRun).resolve("phase1").resolve(split);
        assertEquals(shards,
            ShardManifest.fromJson(Files.readString(ranges.resolve(ShardManifest.FILE_NAME))).shards(), splitRun);
        for (ShardManifest.Shard shard : shards) {
          byte[] expectedBytes = Files.readAllBytes(whole.resolve(shard.file()));
          assertArrayEquals(expectedBytes, Files.readAllBytes(ranges.resolve(shard.file())),
              splitRun + " " + split + "/" + shard.file());
        }
      }
    }
  }
}
