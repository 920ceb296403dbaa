package electra.pipelines.text;

import java.io.IOException;

/** An input line that its {@link TextFormat} cannot read; the message names the source and the 1-based line. */
public final class TextFormatException extends IOException {

  private final String source;
  private final long lineNumber;

  public TextFormatException(String source, long lineNumber, String problem, Throwable cause) {
    super(source + ":" + lineNumber + ": " + problem, cause);
    this.source = source;
    this.lineNumber = lineNumber;
  }

  /** The name of the input, as given to {@link TextFormat#read}. */
  public String source() {
    return source;
  }

  /** The line, counting from 1. */
  public long lineNumber() {
    return lineNumber;
  }
}
