package electra.pipelines.ingest;

import electra.beam.PipelineCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * The counters an ingest job prints when its pipeline has finished (with {@code --watch}, after each batch), a line
 * per stage of the pipeline, for example:
 * <pre>
 *   input      files 2, damaged files 0, malformed lines 1
 *   text       documents 4, sentences 6, tokens 40, unknown tokens 1 (2.50% of tokens)
 *   examples   phase1 4, phase2 4
 * </pre>
 * Counts of damage are printed when they are 0 too: that is the news a user reads them for.
 */
final class IngestCounters {

  private IngestCounters() {}

  /**
   * The lines for a run of {@code phases} phases over corpora of the given kinds: each count a kind can have, summed
   * over the corpora (the readers of every corpus count under the same names).
   */
  static List<String> lines(PipelineCounters counters, Set<ExtractDocuments.Source> sources, int phases) {
    List<String> lines = new ArrayList<>();
    boolean wiki = sources.contains(ExtractDocuments.Source.WIKIPEDIA);
    List<String> input = new ArrayList<>(List.of(named("files", reader(counters, ExtractDocuments.FILES))));
    if (wiki) {
      input.add(named("ranges", reader(counters, ReadWikiDumps.DUMP_RANGES)));
    }
    input.add(named("damaged files", reader(counters, ExtractDocuments.DAMAGED_FILES)));
    if (wiki) {
      input.add(named("damaged XML ranges", reader(counters, ReadWikiDumps.DAMAGED_XML_RANGES)));
      input.add(named("damaged bz2 streams", reader(counters, ReadWikiDumps.DAMAGED_BZ2_STREAMS)));
    }
    if (sources.contains(ExtractDocuments.Source.TEXT)) { // a book has no lines that can be malformed
      input.add(named("malformed lines", reader(counters, ExtractDocuments.MALFORMED_LINES)));
    }
    lines.add(line("input", input.toArray(String[]::new)));
    if (wiki) {
      lines.add(line("pages",
          named("skipped (redirects, other namespaces)", reader(counters, ReadWikiDumps.PAGES_SKIPPED)),
          named("articles without text", reader(counters, ReadWikiDumps.ARTICLES_WITHOUT_TEXT)),
          named("articles failed to clean", reader(counters, ReadWikiDumps.ARTICLES_FAILED))));
    }
    long tokens = counters.get(TokenizeSentences.class, TokenizeSentences.TOKENS);
    long unknown = counters.get(TokenizeSentences.class, TokenizeSentences.UNKNOWN_TOKENS);
    lines.add(line("text",
        named("documents", reader(counters, ReadWikiDumps.ARTICLES) + reader(counters,
            ExtractDocuments.TEXT_DOCUMENTS)),
        named("sentences", counters.get(SplitSentences.class, SplitSentences.SENTENCES)),
        named("tokens", tokens),
        named("unknown tokens", unknown) + shareOfTokens(unknown, tokens)));
    lines.add(line("examples", IntStream.rangeClosed(1, phases)
        .mapToObj(phase -> named("phase" + phase, counters.get(PackExamples.class,
            PackExamples.examplesCounter(phase))))
        .toArray(String[]::new)));
    return lines;
  }

  /** The readers count under {@link ExtractDocuments}, whichever kind of corpus they read. */
  private static long reader(PipelineCounters counters, String name) {
    return counters.get(ExtractDocuments.class, name);
  }

  private static String line(String stage, String... counts) {
    return String.format(Locale.ROOT, "  %-10s %s", stage, String.join(", ", counts));
  }

  private static String named(String name, long value) {
    return String.format(Locale.ROOT, "%s %,d", name, value);
  }

  /** {@code " (0.25% of tokens)"}; a share too small for two decimals still shows that there is one. */
  static String shareOfTokens(long unknown, long tokens) {
    if (unknown == 0) {
      return "";
    }
    double percent = 100.0 * unknown / tokens;
    return unknown > 0 && percent < 0.005 ? " (< 0.01% of tokens)"
        : String.format(Locale.ROOT, " (%.2f%% of tokens)", percent);
  }
}
