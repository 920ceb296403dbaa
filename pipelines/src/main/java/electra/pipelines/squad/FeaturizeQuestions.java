package electra.pipelines.squad;

import electra.squad.QaFeature;
import electra.squad.QaFeaturizer;
import electra.squad.QaRecord;
import electra.squad.SquadExample;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each numbered question becomes its windows' serialized {@link QaRecord}s, keyed by unique id (which places them
 * in the shards). For training, a question whose answer cannot be found in its context gives none (counted and
 * logged, as the reference skips it), and SQuAD 2.0's unanswerable questions can be left out.
 */
public final class FeaturizeQuestions
    extends PTransform<PCollection<KV<Integer, SquadExample>>, PCollection<KV<String, byte[]>>> {

  /** Counter names, under this class (the manifest counts the records). */
  static final String QUESTIONS = "questions";
  static final String UNUSABLE = "questions_without_usable_answer";
  static final String UNANSWERABLE_LEFT_OUT = "unanswerable_questions_left_out";

  private final Settings settings;

  /**
   * How to featurize.
   *
   * @param training featurize with labels from the first answer, else for prediction
   * @param keepUnanswerable with {@code training}, whether SQuAD 2.0's unanswerable questions train towards
   *     [CLS] (else they are left out); prediction keeps every question
   */
  public record Settings(Vocabulary vocabulary, boolean doLowerCase, int maxInputCharsPerWord,
      QaFeaturizer.Options windows, boolean training, boolean keepUnanswerable) implements Serializable {

    QaFeaturizer featurizer() {
      return new QaFeaturizer(new BertTokenizer(vocabulary, doLowerCase, maxInputCharsPerWord), windows);
    }
  }

  public FeaturizeQuestions(Settings settings) {
    settings.featurizer(); // refuses bad settings here, not on a worker
    this.settings = settings;
  }

  @Override
  public PCollection<KV<String, byte[]>> expand(PCollection<KV<Integer, SquadExample>> questions) {
    return questions
        .apply("Windows", ParDo.of(new FeaturizeFn(settings)))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));
  }

  static final class FeaturizeFn extends DoFn<KV<Integer, SquadExample>, KV<String, byte[]>> {
    private static final Logger LOG = LoggerFactory.getLogger(FeaturizeQuestions.class);

    private final Counter questions = Metrics.counter(FeaturizeQuestions.class, QUESTIONS);
    private final Counter unusable = Metrics.counter(FeaturizeQuestions.class, UNUSABLE);
    private final Counter leftOut = Metrics.counter(FeaturizeQuestions.class, UNANSWERABLE_LEFT_OUT);
    private final Settings settings;
    private transient QaFeaturizer featurizer;

    FeaturizeFn(Settings settings) {
      this.settings = settings;
    }

    @Setup
    public void setup() {
      featurizer = settings.featurizer();
    }

    @ProcessElement
    public void process(@Element KV<Integer, SquadExample> question, OutputReceiver<KV<String, byte[]>> out) {
      questions.inc();
      SquadExample example = question.getValue();
      boolean training = settings.training();
      if (training && example.isImpossible() && !settings.keepUnanswerable()) {
        leftOut.inc();
        return;
      }
      List<QaFeature> windowsOfQuestion = featurizer.features(example, training);
      if (training && windowsOfQuestion.isEmpty()) {
        unusable.inc();
        LOG.warn("question {} left out of training: {}", example.id(),
            featurizer.trainingProblem(example).orElse("no WordPiece in its context"));
        return;
      }
      for (QaFeature feature : windowsOfQuestion) {
        QaRecord record = QaRecord.of(feature, question.getKey());
        out.output(KV.of(Long.toString(record.uniqueId()), record.toBytes()));
      }
    }
  }
}
