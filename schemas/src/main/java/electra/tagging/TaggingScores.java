package electra.tagging;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Chunk-level (entity-level) precision, recall and F1 as {@code conlleval} counts them: a predicted chunk is correct
 * when a gold chunk has the same type, first word and last word ({@link Chunks} finds both sides' chunks by
 * conlleval's rules). Precision = correct / predicted chunks, recall = correct / gold chunks, F1 their harmonic
 * mean; each 0 when its denominator is (conlleval prints 0.00 then). Fractions, where conlleval prints percentages.
 *
 * @param gold chunks in the gold tags
 * @param predicted chunks in the predicted tags
 * @param correct predicted chunks that are gold chunks
 */
public record TaggingScores(long gold, long predicted, long correct) {

  /** Counts the chunks of every sentence's gold and predicted tags (one list per sentence, words aligned). */
  public static TaggingScores count(List<List<String>> gold, List<List<String>> predicted) {
    if (gold.size() != predicted.size()) {
      throw new IllegalArgumentException(gold.size() + " gold sentences but " + predicted.size() + " predicted");
    }
    long g = 0;
    long p = 0;
    long c = 0;
    for (int s = 0; s < gold.size(); s++) {
      if (gold.get(s).size() != predicted.get(s).size()) {
        throw new IllegalArgumentException("sentence " + (s + 1) + " has " + gold.get(s).size() + " gold tags but "
            + predicted.get(s).size() + " predicted");
      }
      List<Chunks.Chunk> goldChunks = Chunks.of(gold.get(s));
      Set<Chunks.Chunk> predictedChunks = new HashSet<>(Chunks.of(predicted.get(s)));
      g += goldChunks.size();
      p += predictedChunks.size();
      c += goldChunks.stream().filter(predictedChunks::contains).count();
    }
    return new TaggingScores(g, p, c);
  }

  public double precision() {
    return predicted == 0 ? 0 : (double) correct / predicted;
  }

  public double recall() {
    return gold == 0 ? 0 : (double) correct / gold;
  }

  public double f1() {
    double p = precision();
    double r = recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** The scores by name, as EvalTagging prints and FinetuneTagging records them. */
  public Map<String, Number> asMap() {
    Map<String, Number> m = new LinkedHashMap<>();
    m.put("precision", precision());
    m.put("recall", recall());
    m.put("f1", f1());
    m.put("gold_chunks", gold);
    m.put("predicted_chunks", predicted);
    m.put("correct_chunks", correct);
    return m;
  }
}
