package electra.records;

import java.io.IOException;

/**
 * A TFRecord file that is damaged or cut short. The message names the file, the byte offset where the bad
 * record starts, and which part of the frame failed, so a user can find the shard and drop or rewrite it.
 */
public final class CorruptRecordException extends IOException {

  /** Which part of a record's frame was wrong. */
  public enum Problem {
    TRUNCATED_HEADER("file ends inside the 12-byte length header"),
    LENGTH_CRC("checksum of the length field does not match (length bytes or their CRC are damaged)"),
    TRUNCATED_DATA("file ends inside the record's data or its trailing CRC"),
    DATA_CRC("checksum of the data does not match (data bytes or their CRC are damaged)"),
    TOO_LARGE("record is longer than a Java array can hold");

    private final String description;

    Problem(String description) {
      this.description = description;
    }
  }

  private final String source;
  private final long offset;
  private final Problem problem;

  public CorruptRecordException(String source, long offset, Problem problem, String detail) {
    super(source + ": corrupt TFRecord at byte offset " + offset + ": " + problem.description
        + (detail.isEmpty() ? "" : " (" + detail + ")"));
    this.source = source;
    this.offset = offset;
    this.problem = problem;
  }

  /** The file (or stream name) the record came from. */
  public String source() {
    return source;
  }

  /** Byte offset of the first byte of the bad record's header. */
  public long offset() {
    return offset;
  }

  public Problem problem() {
    return problem;
  }
}
