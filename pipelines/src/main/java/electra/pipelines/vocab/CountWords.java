package electra.pipelines.vocab;

import electra.pipelines.text.TextDocument;
import electra.tokenization.BasicTokenizer;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * How often each word occurs in the documents, a word being a basic token exactly as the tokenizer makes it before
 * WordPiece ({@link BasicTokenizer}: cleaned, CJK ideographs and punctuation split off, lower-cased and
 * accent-stripped when {@code doLowerCase}), so the vocabulary learns the pieces the tokenizer will look up. Each
 * document's words are counted first, so a word crosses the shuffle once per document, not once per occurrence.
 */
public final class CountWords extends PTransform<PCollection<TextDocument>, PCollection<KV<String, Long>>> {

  /** Counter names, under this class: documents read, and words in them (each occurrence). */
  static final String DOCUMENTS = "documents";
  static final String WORDS = "words";

  private final boolean doLowerCase;

  public CountWords(boolean doLowerCase) {
    this.doLowerCase = doLowerCase;
  }

  @Override
  public PCollection<KV<String, Long>> expand(PCollection<TextDocument> documents) {
    return documents
        .apply("BasicTokens", ParDo.of(new WordsFn(doLowerCase)))
        .apply("Sum", Sum.longsPerKey());
  }

  static final class WordsFn extends DoFn<TextDocument, KV<String, Long>> {
    private final Counter documents = Metrics.counter(CountWords.class, DOCUMENTS);
    private final Counter words = Metrics.counter(CountWords.class, WORDS);
    private final boolean doLowerCase;
    private transient BasicTokenizer tokenizer;

    WordsFn(boolean doLowerCase) {
      this.doLowerCase = doLowerCase;
    }

    @Setup
    public void setup() {
      tokenizer = new BasicTokenizer(doLowerCase);
    }

    @ProcessElement
    public void process(@Element TextDocument document, OutputReceiver<KV<String, Long>> out) {
      documents.inc();
      Map<String, Long> counts = new HashMap<>();
      for (String paragraph : document.paragraphs()) {
        for (String word : tokenizer.tokenize(paragraph)) {
          counts.merge(word, 1L, Long::sum);
        }
      }
      counts.forEach((word, count) -> {
        out.output(KV.of(word, count));
        words.inc(count);
      });
    }
  }
}
