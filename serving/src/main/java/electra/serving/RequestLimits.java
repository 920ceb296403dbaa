package electra.serving;

import java.io.Serializable;

/**
 * How large a question may be before it is refused rather than answered. Characters are Unicode code points.
 *
 * @param maxQuestionChars longest question, in characters
 * @param maxQuestionTokens longest question in WordPieces; 0 means the model's {@code max_query_length} (a longer
 *     question would be cut silently by the featurizer, so it is refused instead)
 * @param maxContextChars longest context, in characters
 * @param maxWindows most windows a context may need (each costs one model row)
 */
public record RequestLimits(int maxQuestionChars, int maxQuestionTokens, int maxContextChars, int maxWindows)
    implements Serializable {

  public static final RequestLimits DEFAULTS = new RequestLimits(1_000, 0, 20_000, 16);

  public RequestLimits {
    if (maxQuestionChars < 1 || maxQuestionTokens < 0 || maxContextChars < 1 || maxWindows < 1) {
      throw new IllegalArgumentException("request limits must be positive (max_question_tokens may be 0), got "
          + "max_question_chars " + maxQuestionChars + ", max_question_tokens " + maxQuestionTokens
          + ", max_context_chars " + maxContextChars + ", max_windows " + maxWindows);
    }
  }
}
