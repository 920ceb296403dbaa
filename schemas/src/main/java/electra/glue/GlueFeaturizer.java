package electra.glue;

import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a GLUE example into model inputs as Google's ELECTRA does ({@code classification_tasks.py}):
 * {@code [CLS] A [SEP]} (segment 0) and for a pair {@code B [SEP]} (segment 1), zero-padded to
 * {@code maxSeqLength}. A pair too long loses tokens from the end of the longer text, one at a time; a single text
 * is cut at {@code maxSeqLength − 2}.
 */
public final class GlueFeaturizer {

  /** One example's model inputs, each {@code maxSeqLength} long. */
  public record Inputs(int[] inputIds, int[] inputMask, int[] segmentIds) {}

  private final BertTokenizer tokenizer;
  private final int maxSeqLength;

  public GlueFeaturizer(BertTokenizer tokenizer, int maxSeqLength) {
    if (maxSeqLength < 3) {
      throw new IllegalArgumentException("max_seq_length must be at least 3, got " + maxSeqLength);
    }
    this.tokenizer = tokenizer;
    this.maxSeqLength = maxSeqLength;
  }

  public Inputs inputs(GlueExample example) {
    List<String> a = new ArrayList<>(tokenizer.tokenize(example.textA()));
    List<String> b = example.textB() == null ? null : new ArrayList<>(tokenizer.tokenize(example.textB()));
    if (b != null) {
      while (a.size() + b.size() > maxSeqLength - 3) {
        List<String> longer = a.size() > b.size() ? a : b;
        longer.remove(longer.size() - 1);
      }
    } else if (a.size() > maxSeqLength - 2) {
      a = a.subList(0, maxSeqLength - 2);
    }
    List<String> tokens = new ArrayList<>();
    tokens.add(Vocabulary.CLS);
    tokens.addAll(a);
    tokens.add(Vocabulary.SEP);
    int firstSegmentEnd = tokens.size();
    if (b != null) {
      tokens.addAll(b);
      tokens.add(Vocabulary.SEP);
    }
    int[] real = tokenizer.convertTokensToIds(tokens);
    int[] ids = new int[maxSeqLength];
    int[] mask = new int[maxSeqLength];
    int[] segments = new int[maxSeqLength];
    for (int i = 0; i < real.length; i++) {
      ids[i] = real[i];
      mask[i] = 1;
      segments[i] = i < firstSegmentEnd ? 0 : 1;
    }
    return new Inputs(ids, mask, segments);
  }
}
