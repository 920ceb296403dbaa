package electra.serving;

/** A request that is not answered, and why: the reason is what {@code qa-errors} and {@code Infer} print. */
public final class RejectedRequest extends RuntimeException {

  private final String id;

  /** @param id the request's id, or null when it has none (or it could not be read) */
  public RejectedRequest(String id, String reason) {
    super(reason, null, false, false);
    this.id = id;
  }

  /** The request's id, or null. */
  public String id() {
    return id;
  }

  public String reason() {
    return getMessage();
  }
}
