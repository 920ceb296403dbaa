package electra.pipelines.vocab;

import java.util.HashMap;
import java.util.Map;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * How often each character (a code point, as a string) occurs, from the word counts: every word's characters, the
 * rarest words' included, so the alphabet covers the whole corpus whatever {@code --min_frequency} drops.
 */
public final class CountCharacters extends PTransform<PCollection<KV<String, Long>>, PCollection<KV<String, Long>>> {

  /** Counter name, under this class: distinct words, before any is dropped as rare. */
  static final String DISTINCT_WORDS = "distinct_words";

  @Override
  public PCollection<KV<String, Long>> expand(PCollection<KV<String, Long>> wordCounts) {
    return wordCounts
        .apply("Characters", ParDo.of(new CharactersFn()))
        .apply("Sum", Sum.longsPerKey());
  }

  static final class CharactersFn extends DoFn<KV<String, Long>, KV<String, Long>> {
    private final Counter distinctWords = Metrics.counter(CountCharacters.class, DISTINCT_WORDS);

    @ProcessElement
    public void process(@Element KV<String, Long> wordCount, OutputReceiver<KV<String, Long>> out) {
      distinctWords.inc();
      Map<Integer, Long> inWord = new HashMap<>();
      wordCount.getKey().codePoints().forEach(c -> inWord.merge(c, wordCount.getValue(), Long::sum));
      inWord.forEach((c, count) -> out.output(KV.of(Character.toString(c), count)));
    }
  }
}
