package electra.tagging;

import electra.glue.GlueFeaturizer;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a sentence of words into model inputs for tagging, as Google's ELECTRA and Hugging Face's token
 * classification align them: {@code [CLS]}, every word's WordPieces, {@code [SEP]}, zero-padded (segment 0); a word
 * is labelled, and predicted, at its first WordPiece, its other pieces take no part in the loss. A word the tokenizer
 * turns into nothing (a control character) becomes {@code [UNK]}, so every word has a piece. Words whose first piece
 * does not fit in {@code maxSeqLength − 2} are cut ({@link Features#words()} says how many fit).
 */
public final class TaggingFeaturizer {

  /** Label of a position the loss ignores (not a word's first piece, [CLS], [SEP], padding). */
  public static final int IGNORED = -1;

  /**
   * One sentence's inputs, the position of each word's first piece for the {@link #words()} words that fit, and the
   * class id of each position ({@link #IGNORED} but at first pieces; all ignored without labels).
   */
  public record Features(GlueFeaturizer.Inputs inputs, int[] firstPieces, int[] labelIds) {

    /** The words that fit (the sentence's first ones). */
    public int words() {
      return firstPieces.length;
    }
  }

  private final BertTokenizer tokenizer;
  private final int maxSeqLength;

  public TaggingFeaturizer(BertTokenizer tokenizer, int maxSeqLength) {
    if (maxSeqLength < 3) {
      throw new IllegalArgumentException("max_seq_length must be at least 3, got " + maxSeqLength);
    }
    this.tokenizer = tokenizer;
    this.maxSeqLength = maxSeqLength;
  }

  /** Features of {@code words}; {@code labelIds} (one per word, or null) become the first pieces' labels. */
  public Features features(List<String> words, int[] labelIds) {
    List<String> tokens = new ArrayList<>(List.of(Vocabulary.CLS));
    List<Integer> firstPieces = new ArrayList<>();
    for (String word : words) {
      List<String> pieces = tokenizer.tokenize(word);
      if (pieces.isEmpty()) {
        pieces = List.of(Vocabulary.UNK);
      }
      if (tokens.size() + 1 > maxSeqLength - 1) {
        break;
      }
      firstPieces.add(tokens.size());
      tokens.addAll(pieces.subList(0, Math.min(pieces.size(), maxSeqLength - 1 - tokens.size())));
    }
    tokens.add(Vocabulary.SEP);
    int[] real = tokenizer.convertTokensToIds(tokens);
    int[] ids = new int[maxSeqLength];
    int[] mask = new int[maxSeqLength];
    System.arraycopy(real, 0, ids, 0, real.length);
    Arrays.fill(mask, 0, real.length, 1);
    int[] first = firstPieces.stream().mapToInt(Integer::intValue).toArray();
    int[] labels = new int[maxSeqLength];
    Arrays.fill(labels, IGNORED);
    if (labelIds != null) {
      for (int w = 0; w < first.length; w++) {
        labels[first[w]] = labelIds[w];
      }
    }
    return new Features(new GlueFeaturizer.Inputs(ids, mask, new int[maxSeqLength]), first, labels);
  }
}
