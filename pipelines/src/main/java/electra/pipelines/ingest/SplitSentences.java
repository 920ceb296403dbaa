package electra.pipelines.ingest;

import electra.pipelines.ingest.Documents.SentenceDocument;
import electra.pipelines.text.SentenceSplitter;
import electra.pipelines.text.TextDocument;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/** Splits every paragraph into sentences ({@link SentenceSplitter}, punkt-like English rules on ICU). */
public final class SplitSentences extends PTransform<PCollection<TextDocument>, PCollection<SentenceDocument>> {

  /** Counter name, under this class. */
  static final String SENTENCES = "sentences";

  @Override
  public PCollection<SentenceDocument> expand(PCollection<TextDocument> documents) {
    return documents.apply("Sentences", ParDo.of(new SplitFn()));
  }

  static final class SplitFn extends DoFn<TextDocument, SentenceDocument> {
    private final Counter sentences = Metrics.counter(SplitSentences.class, SENTENCES);
    private transient SentenceSplitter splitter;

    @Setup
    public void setup() {
      splitter = new SentenceSplitter(); // not thread-safe: one per DoFn instance
    }

    @ProcessElement
    public void process(@Element TextDocument document, OutputReceiver<SentenceDocument> out) {
      List<String> split = new ArrayList<>();
      for (String paragraph : document.paragraphs()) {
        split.addAll(splitter.split(paragraph));
      }
      sentences.inc(split.size());
      out.output(new SentenceDocument(document.id(), split));
    }
  }
}
