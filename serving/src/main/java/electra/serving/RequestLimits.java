package electra.serving;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.UsageException;
import java.io.Serializable;

/**
 * How large a question may be before it is refused rather than answered. Characters are Unicode code points. A
 * longer question than {@code maxQuestionTokens} would be cut silently by the featurizer, so it is refused instead.
 */
public record RequestLimits(
    @Flag(value = "longest question, in characters", defaultValue = "1000")
    int maxQuestionChars,
    @Flag(value = "longest question, in WordPieces; 0: the model's max_query_length", defaultValue = "0")
    int maxQuestionTokens,
    @Flag(value = "longest context, in characters", defaultValue = "20000")
    int maxContextChars,
    @Flag(value = "most windows a long context may be cut into (each costs one model row)", defaultValue = "16")
    int maxWindows)
    implements Serializable {

  public static final RequestLimits DEFAULTS = Flags.defaults(RequestLimits.class);

  public RequestLimits {
    atLeast(1, maxQuestionChars, "max_question_chars");
    atLeast(0, maxQuestionTokens, "max_question_tokens");
    atLeast(1, maxContextChars, "max_context_chars");
    atLeast(1, maxWindows, "max_windows");
  }

  private static void atLeast(int least, int value, String flag) {
    if (value < least) {
      throw new UsageException("--" + flag + " must be at least " + least + ", got " + value);
    }
  }
}
