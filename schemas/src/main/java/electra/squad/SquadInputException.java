package electra.squad;

/**
 * A SQuAD file that cannot be read as one, or files that do not fit together (predictions missing for questions
 * the metric needs). The message names the file and the place in it, so it can be shown as one line.
 */
public final class SquadInputException extends IllegalArgumentException {
  public SquadInputException(String message) {
    super(message);
  }
}
