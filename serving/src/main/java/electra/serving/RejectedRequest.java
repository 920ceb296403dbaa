package electra.serving;

import java.util.Locale;

/** A request that is not answered, and why: the reason is what {@code qa-errors} and {@code Infer} print. */
public final class RejectedRequest extends RuntimeException {

  /**
   * The kinds of reasons {@code qa-errors} gives, one Beam counter each ({@link #counterName()}): what an operator
   * tells apart on a dashboard (clients sending garbage, requests over the limits, a failing model).
   */
  public enum Cause {
    /** An empty message (or a Kafka tombstone). */
    EMPTY_MESSAGE,
    /** Not UTF-8, or text with unpaired surrogates. */
    BAD_ENCODING,
    /** Not JSON (cut off, nested too deep, a key twice, ...). */
    NOT_JSON,
    /** JSON, but not an object. */
    NOT_AN_OBJECT,
    MISSING_FIELD,
    EMPTY_FIELD,
    /** A field that is not a string. */
    WRONG_TYPE,
    /** A question or context over the request limits (characters, WordPieces). */
    TOO_LONG,
    /** A context that needs more windows than {@code --max_windows}. */
    TOO_MANY_WINDOWS,
    /** A question or context with no words. */
    NO_WORDS,
    /** The model's best prediction is no span of the context. */
    NO_ANSWER_SPAN,
    /** The model run of the request's micro-batch failed. */
    MODEL_FAILURE;

    /** {@code errors_not_json}, ...: the Beam counter of this cause (namespace {@code electra.serving.ServeQA}). */
    public String counterName() {
      return "errors_" + name().toLowerCase(Locale.ROOT);
    }
  }

  private final String id;
  private final Cause cause;

  /** @param id the request's id, or null when it has none (or it could not be read) */
  public RejectedRequest(String id, Cause cause, String reason) {
    super(reason, null, false, false);
    this.id = id;
    this.cause = cause;
  }

  /** The request's id, or null. */
  public String id() {
    return id;
  }

  public Cause cause() {
    return cause;
  }

  public String reason() {
    return getMessage();
  }
}
