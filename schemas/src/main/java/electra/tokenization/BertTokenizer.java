package electra.tokenization;

import java.util.List;
import java.util.Objects;

/**
 * BERT's FullTokenizer: {@link BasicTokenizer} then {@link WordpieceTokenizer} on each basic token, exactly as
 * Google's {@code tokenization.py} (and NVIDIA's / Hugging Face's slow BertTokenizer) does it. No [CLS]/[SEP]
 * are added, and a literal {@code [CLS]} in the text is not special: it becomes {@code [ cl ##s ]}.
 * Immutable and thread-safe.
 */
public final class BertTokenizer {

  private final Vocabulary vocabulary;
  private final BasicTokenizer basic;
  private final WordpieceTokenizer wordpiece;

  /**
   * @param doLowerCase lower-case and strip accents (true for the uncased vocabulary and every released ELECTRA)
   * @param maxInputCharsPerWord longer words become [UNK]: 100 like NVIDIA/Hugging Face, 200 like Google
   */
  public BertTokenizer(Vocabulary vocabulary, boolean doLowerCase, int maxInputCharsPerWord) {
    this.vocabulary = Objects.requireNonNull(vocabulary, "vocabulary");
    this.basic = new BasicTokenizer(doLowerCase);
    this.wordpiece = new WordpieceTokenizer(vocabulary, maxInputCharsPerWord);
  }

  /** The settings of the released uncased models: lower-casing, NVIDIA's limit of 100 chars per word. */
  public static BertTokenizer uncased(Vocabulary vocabulary) {
    return new BertTokenizer(vocabulary, true, WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD);
  }

  /** The word pieces of {@code text}. */
  public List<String> tokenize(String text) {
    return vocabulary.tokens(ids(text));
  }

  /** The ids of the word pieces of {@code text}; the same as {@code convertTokensToIds(tokenize(text))}. */
  public int[] ids(String text) {
    IntArray ids = new IntArray();
    basic.tokenize(text, (chars, from, to) -> wordpiece.appendIds(chars, from, to, ids));
    return ids.toArray();
  }

  /** The ids of tokens that must all be in the vocabulary (Python raises KeyError too). */
  public int[] convertTokensToIds(List<String> tokens) {
    return tokens.stream().mapToInt(vocabulary::id).toArray();
  }

  public List<String> convertIdsToTokens(int... ids) {
    return vocabulary.tokens(ids);
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  public boolean doLowerCase() {
    return basic.doLowerCase();
  }

  public int maxInputCharsPerWord() {
    return wordpiece.maxInputCharsPerWord();
  }
}
