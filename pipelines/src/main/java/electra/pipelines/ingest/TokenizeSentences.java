package electra.pipelines.ingest;

import electra.pipelines.ingest.Documents.SentenceDocument;
import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;

/**
 * WordPiece-tokenizes every sentence with the shared BERT tokenizer; sentences with no tokens left (only control
 * characters, say) are dropped, as they could add nothing to an example.
 */
public final class TokenizeSentences extends PTransform<PCollection<SentenceDocument>, PCollection<TokenizedDocument>> {

  /** Counter names, under this class: WordPiece tokens, and those of them that are [UNK]. */
  static final String TOKENS = "tokens";
  static final String UNKNOWN_TOKENS = "unknown_tokens";

  private final Vocabulary vocabulary;
  private final boolean doLowerCase;
  private final int maxInputCharsPerWord;

  public TokenizeSentences(Vocabulary vocabulary, boolean doLowerCase, int maxInputCharsPerWord) {
    new BertTokenizer(vocabulary, doLowerCase, maxInputCharsPerWord); // refuses bad options here, not on a worker
    this.vocabulary = vocabulary;
    this.doLowerCase = doLowerCase;
    this.maxInputCharsPerWord = maxInputCharsPerWord;
  }

  @Override
  public PCollection<TokenizedDocument> expand(PCollection<SentenceDocument> documents) {
    return documents.apply("WordPiece", ParDo.of(new TokenizeFn(vocabulary, doLowerCase, maxInputCharsPerWord)));
  }

  static final class TokenizeFn extends DoFn<SentenceDocument, TokenizedDocument> {
    private final Counter tokens = Metrics.counter(TokenizeSentences.class, TOKENS);
    private final Counter unknown = Metrics.counter(TokenizeSentences.class, UNKNOWN_TOKENS);
    private final Vocabulary vocabulary;
    private final boolean doLowerCase;
    private final int maxInputCharsPerWord;
    private transient BertTokenizer tokenizer;

    TokenizeFn(Vocabulary vocabulary, boolean doLowerCase, int maxInputCharsPerWord) {
      this.vocabulary = vocabulary;
      this.doLowerCase = doLowerCase;
      this.maxInputCharsPerWord = maxInputCharsPerWord;
    }

    @Setup
    public void setup() {
      tokenizer = new BertTokenizer(vocabulary, doLowerCase, maxInputCharsPerWord);
    }

    @ProcessElement
    public void process(@Element SentenceDocument document, OutputReceiver<TokenizedDocument> out) {
      List<int[]> sentences = new ArrayList<>(document.sentences().size());
      int unk = vocabulary.unkId();
      for (String sentence : document.sentences()) {
        int[] ids = tokenizer.ids(sentence);
        if (ids.length > 0) {
          sentences.add(ids);
          tokens.inc(ids.length);
          for (int id : ids) {
            if (id == unk) {
              unknown.inc();
            }
          }
        }
      }
      if (!sentences.isEmpty()) {
        out.output(new TokenizedDocument(document.id(), sentences));
      }
    }
  }
}
