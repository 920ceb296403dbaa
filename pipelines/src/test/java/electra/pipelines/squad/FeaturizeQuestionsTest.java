package electra.pipelines.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.squad.QaFeaturizer;
import electra.squad.QaRecord;
import electra.squad.SquadExample;
import electra.tokenization.Vocabulary;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.junit.jupiter.api.Test;

/** The featurizing step on its own, with a hand-made vocabulary: which questions give which records. */
class FeaturizeQuestionsTest {

  private static final Vocabulary VOCAB = Vocabulary.fromBytes(String.join("\n", "[PAD]", "[UNK]", "[CLS]", "[SEP]",
      "the", "dog", "ran", "to", "park", ".", "where", "?").getBytes(StandardCharsets.UTF_8), "tiny");
  /** 12 tokens - 2 for "where ?" - 3 leave 7 per window: "the dog ran to the park ." (7 pieces) fits one. */
  private static final QaFeaturizer.Options WINDOWS = new QaFeaturizer.Options(12, 4, 7);
  private static final String CONTEXT = "The dog ran to the park. The dog ran.";

  private static final List<KV<Integer, SquadExample>> QUESTIONS = List.of(
      KV.of(0, new SquadExample("answerable", "t", "Where?", CONTEXT,
          List.of(new SquadExample.Answer("the park", 15)), false, List.of())),
      KV.of(1, new SquadExample("lost", "t", "Where?", CONTEXT,
          List.of(new SquadExample.Answer("the moon", 15)), false, List.of())),
      KV.of(2, new SquadExample("impossible", "t", "Where?", CONTEXT, List.of(), true, List.of())));

  /** What to check of the step's records, by unique id; runs inside the pipeline, so it must be serializable. */
  private interface Check extends Serializable {
    void records(Map<Long, QaRecord> byId);
  }

  private static void featurize(boolean training, boolean keepUnanswerable, Check check) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    PCollection<KV<String, byte[]>> records = p
        .apply(Create.of(QUESTIONS).withCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(SquadExample.class))))
        .apply(new FeaturizeQuestions(new FeaturizeQuestions.Settings(VOCAB, true, 100, WINDOWS, training,
            keepUnanswerable)));
    PAssert.that(records).satisfies(all -> {
      Map<Long, QaRecord> byId = new TreeMap<>();
      for (KV<String, byte[]> r : all) {
        QaRecord record = QaRecord.fromBytes(r.getValue());
        assertEquals(Long.toString(record.uniqueId()), r.getKey(), "keyed by unique id");
        byId.put(record.uniqueId(), record);
      }
      check.records(byId);
      return null;
    });
    p.run().waitUntilFinish();
  }

  @Test
  void trainingKeepsQuestionsWithAFindableAnswer() {
    // 11 pieces in windows of 7 starting 4 apart: 0..6 and 4..10, so two records per usable question.
    featurize(true, false, byId -> {
      assertEquals(List.of(0L, 1L), List.copyOf(byId.keySet()), "the lost answer and the unanswerable go");
      assertEquals(8, byId.get(0L).label().orElseThrow().startPosition()); // pieces 4..5 at 4 + 4
      assertEquals(4, byId.get(1L).label().orElseThrow().startPosition()); // and at 4 - 4 + 4
    });
  }

  @Test
  void unanswerableQuestionsTrainTowardsClsWhenKept() {
    featurize(true, true, byId -> {
      assertEquals(List.of(0L, 1L, 2000L, 2001L), List.copyOf(byId.keySet()));
      assertTrue(byId.get(2000L).label().orElseThrow().isImpossible());
    });
  }

  @Test
  void predictionKeepsEveryQuestionWithoutLabels() {
    featurize(false, false, byId -> {
      assertEquals(List.of(0L, 1L, 1000L, 1001L, 2000L, 2001L), List.copyOf(byId.keySet()));
      assertTrue(byId.values().stream().allMatch(r -> r.label().isEmpty()));
    });
  }
}
