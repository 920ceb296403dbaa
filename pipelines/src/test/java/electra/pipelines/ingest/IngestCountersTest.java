package electra.pipelines.ingest;

import electra.beam.PipelineCounters;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.pipelines.ingest.ExtractDocuments.Source;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.metrics.MetricName;
import org.junit.jupiter.api.Test;

class IngestCountersTest {

  private static final Map<MetricName, Long> TEXT_STAGES = Map.of(
      MetricName.named(SplitSentences.class, SplitSentences.SENTENCES), 5678L,
      MetricName.named(TokenizeSentences.class, TokenizeSentences.TOKENS), 400_000L,
      MetricName.named(TokenizeSentences.class, TokenizeSentences.UNKNOWN_TOKENS), 40L,
      MetricName.named(PackExamples.class, PackExamples.examplesCounter(1)), 3142L,
      MetricName.named(PackExamples.class, PackExamples.examplesCounter(2)), 800L);

  private static PipelineCounters counters(Map<MetricName, Long> readers) {
    Map<MetricName, Long> all = new HashMap<>(TEXT_STAGES);
    all.putAll(readers);
    return new PipelineCounters(all);
  }

  private static MetricName reader(String name) {
    return MetricName.named(ExtractDocuments.class, name);
  }

  @Test
  void textRunsPrintWhatWasReadWhatWasDamagedAndTheExamplesOfEachPhase() {
    PipelineCounters counters = counters(Map.of(reader(ExtractDocuments.FILES), 2L,
        reader(ExtractDocuments.MALFORMED_LINES), 1L, reader(ExtractDocuments.TEXT_DOCUMENTS), 1234L));
    assertEquals(List.of(
        "  input      files 2, damaged files 0, malformed lines 1",
        "  text       documents 1,234, sentences 5,678, tokens 400,000, unknown tokens 40 (0.01% of tokens)",
        "  examples   phase1 3,142, phase2 800"), IngestCounters.lines(counters, Set.of(Source.TEXT), 2));
    assertEquals(List.of(
        "  input      files 2, damaged files 0",
        "  text       documents 1,234, sentences 5,678, tokens 400,000, unknown tokens 40 (0.01% of tokens)",
        "  examples   phase1 3,142"), IngestCounters.lines(counters, Set.of(Source.BOOKS), 1));
  }

  @Test
  void wikipediaRunsPrintRangesDamageAndThePagesLeftOut() {
    PipelineCounters counters = counters(Map.of(reader(ExtractDocuments.FILES), 1L,
        reader(ReadWikiDumps.DUMP_RANGES), 10L, reader(ReadWikiDumps.DAMAGED_BZ2_STREAMS), 1L,
        reader(ReadWikiDumps.PAGES_SKIPPED), 345L, reader(ReadWikiDumps.ARTICLES_WITHOUT_TEXT), 12L,
        reader(ReadWikiDumps.ARTICLES), 1234L));
    assertEquals(List.of(
        "  input      files 1, ranges 10, damaged files 0, damaged XML ranges 0, damaged bz2 streams 1",
        "  pages      skipped (redirects, other namespaces) 345, articles without text 12, articles failed to clean 0",
        "  text       documents 1,234, sentences 5,678, tokens 400,000, unknown tokens 40 (0.01% of tokens)",
        "  examples   phase1 3,142, phase2 800"), IngestCounters.lines(counters, Set.of(Source.WIKIPEDIA), 2));
  }

  @Test
  void aRunOverWikipediaAndBooksSumsTheirDocumentsAndShowsEachKindsDamage() {
    PipelineCounters counters = counters(Map.of(reader(ExtractDocuments.FILES), 3L,
        reader(ReadWikiDumps.DUMP_RANGES), 4L, reader(ReadWikiDumps.ARTICLES), 1000L,
        reader(ExtractDocuments.TEXT_DOCUMENTS), 234L, reader(ExtractDocuments.DAMAGED_FILES), 1L));
    assertEquals(List.of(
        "  input      files 3, ranges 4, damaged files 1, damaged XML ranges 0, damaged bz2 streams 0",
        "  pages      skipped (redirects, other namespaces) 0, articles without text 0, articles failed to clean 0",
        "  text       documents 1,234, sentences 5,678, tokens 400,000, unknown tokens 40 (0.01% of tokens)",
        "  examples   phase1 3,142"), IngestCounters.lines(counters, Set.of(Source.WIKIPEDIA, Source.BOOKS), 1));
  }

  @Test
  void theUnknownTokensShareIsShownOnlyWhenThereAreAny() {
    assertEquals("", IngestCounters.shareOfTokens(0, 0));
    assertEquals("", IngestCounters.shareOfTokens(0, 1000));
    assertEquals(" (33.33% of tokens)", IngestCounters.shareOfTokens(1, 3));
    assertEquals(" (< 0.01% of tokens)", IngestCounters.shareOfTokens(1, 1_000_000));
  }

  @Test
  void aNegativeCounterIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new PipelineCounters(Map.of(reader(ExtractDocuments.FILES), -1L)));
  }
}
