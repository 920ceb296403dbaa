package electra.squad;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One window of one question: the model input {@code [CLS] query [SEP] doc-window [SEP]}, padded to
 * max_seq_length, and what decoding needs to map positions back to the context.
 *
 * @param exampleId the question id
 * @param windowIndex which window of the question's context this is (0, 1, ...)
 * @param document the whole context, split into words
 * @param inputIds WordPiece ids, then 0-padding
 * @param inputMask 1 for real tokens, 0 for padding
 * @param segmentIds 0 for [CLS], query and the first [SEP]; 1 for the window and the last [SEP]; 0 for padding
 * @param tokenToOriginalWord for each position, the context word (index into {@code document.words()}) its token
 *     comes from; -1 outside the window's document tokens (the reference's {@code token_to_orig_map})
 * @param tokenIsMaxContext for each position, whether this window gives its token the most context of all
 *     windows holding it (false outside the document tokens); decoding accepts a span only where it starts in
 *     its max-context window
 * @param label the training target, empty for features made for prediction
 */
public record QaFeature(String exampleId, int windowIndex, QaDocument document, int[] inputIds, int[] inputMask,
    int[] segmentIds, int[] tokenToOriginalWord, boolean[] tokenIsMaxContext, Optional<Label> label) {

  /**
   * The training target of a window.
   *
   * @param startPosition position of the answer's first token, 0 ([CLS]) when the window does not hold the whole
   *     answer or the question has none
   * @param endPosition position of the answer's last token, 0 with {@code startPosition}
   * @param isImpossible the question's own "no answer" flag (SQuAD 2.0), as Google's ELECTRA sets it: a window
   *     that merely misses the answer has positions 0 but is not impossible (NVIDIA/Hugging Face would say it is)
   */
  public record Label(int startPosition, int endPosition, boolean isImpossible) {
    public Label {
      if (startPosition < 0 || endPosition < startPosition) {
        throw new IllegalArgumentException("answer positions must satisfy 0 <= start <= end, got " + startPosition
            + ".." + endPosition);
      }
      if ((startPosition == 0) != (endPosition == 0)) {
        throw new IllegalArgumentException("a span starting or ending at [CLS] must be [CLS] alone, got "
            + startPosition + ".." + endPosition);
      }
      if (isImpossible && startPosition != 0) {
        throw new IllegalArgumentException("an impossible question's target is [CLS], got " + startPosition);
      }
    }

    /** Whether the window holds the answer (the target is not [CLS]). */
    public boolean hasAnswer() {
      return startPosition > 0;
    }
  }

  public QaFeature {
    Objects.requireNonNull(exampleId, "exampleId");
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(label, "label");
    if (windowIndex < 0) {
      throw new IllegalArgumentException("window index must not be negative, got " + windowIndex);
    }
    int length = inputIds.length;
    if (length == 0 || inputMask.length != length || segmentIds.length != length
        || tokenToOriginalWord.length != length || tokenIsMaxContext.length != length) {
      throw new IllegalArgumentException("all per-position arrays must have the same length max_seq_length > 0, got "
          + List.of(inputIds.length, inputMask.length, segmentIds.length, tokenToOriginalWord.length,
          tokenIsMaxContext.length));
    }
    inputIds = inputIds.clone();
    inputMask = inputMask.clone();
    segmentIds = segmentIds.clone();
    tokenToOriginalWord = tokenToOriginalWord.clone();
    tokenIsMaxContext = tokenIsMaxContext.clone();
    int tokens = realTokens(inputMask);
    for (int i = tokens; i < length; i++) {
      if (inputMask[i] != 0) {
        throw new IllegalArgumentException("input_mask must be ones then zeros, got " + inputMask[i] + " at " + i);
      }
    }
    for (int i = 0; i < length; i++) {
      int word = tokenToOriginalWord[i];
      if (word < -1 || word >= document.words().size() || (word >= 0 && i >= tokens)) {
        throw new IllegalArgumentException("position " + i + " maps to word " + word + " of "
            + document.words().size() + " (" + tokens + " real tokens)");
      }
      if (tokenIsMaxContext[i] && word < 0) {
        throw new IllegalArgumentException("position " + i + " is not a document token but is marked max-context");
      }
    }
    if (label.isPresent() && label.get().hasAnswer()) {
      QaFeature.Label l = label.get();
      if (l.endPosition() >= tokens || tokenToOriginalWord[l.startPosition()] < 0
          || tokenToOriginalWord[l.endPosition()] < 0) {
        throw new IllegalArgumentException("answer positions " + l.startPosition() + ".." + l.endPosition()
            + " are not document tokens of window " + windowIndex);
      }
    }
  }

  /** The leading ones of the mask. */
  private static int realTokens(int[] mask) {
    int tokens = 0;
    while (tokens < mask.length && mask[tokens] == 1) {
      tokens++;
    }
    return tokens;
  }

  /** max_seq_length. */
  public int length() {
    return inputIds.length;
  }

  /** Real tokens, [CLS] to the last [SEP]; the rest is padding. */
  public int tokenCount() {
    return realTokens(inputMask);
  }

  /** The context word of the token at {@code position}, -1 when it is not a document token of this window. */
  public int originalWord(int position) {
    return tokenToOriginalWord[position];
  }

  /** Whether this window is the one where the token at {@code position} has the most context. */
  public boolean isMaxContext(int position) {
    return tokenIsMaxContext[position];
  }

  @Override
  public int[] inputIds() {
    return inputIds.clone();
  }

  @Override
  public int[] inputMask() {
    return inputMask.clone();
  }

  @Override
  public int[] segmentIds() {
    return segmentIds.clone();
  }

  @Override
  public int[] tokenToOriginalWord() {
    return tokenToOriginalWord.clone();
  }

  @Override
  public boolean[] tokenIsMaxContext() {
    return tokenIsMaxContext.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QaFeature other && exampleId.equals(other.exampleId) && windowIndex == other.windowIndex
        && document.equals(other.document) && Arrays.equals(inputIds, other.inputIds)
        && Arrays.equals(inputMask, other.inputMask) && Arrays.equals(segmentIds, other.segmentIds)
        && Arrays.equals(tokenToOriginalWord, other.tokenToOriginalWord)
        && Arrays.equals(tokenIsMaxContext, other.tokenIsMaxContext) && label.equals(other.label);
  }

  @Override
  public int hashCode() {
    return Objects.hash(exampleId, windowIndex, Arrays.hashCode(inputIds), label);
  }

  @Override
  public String toString() {
    return "QaFeature[" + exampleId + " window " + windowIndex + ", " + tokenCount() + " tokens, label "
        + label.map(Object::toString).orElse("none") + "]";
  }
}
