package electra.records;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes TFRecord files: each record framed with its length and masked CRC32C checksums, readable by
 * TensorFlow's {@code TFRecordDataset} and by {@link TfRecordReader}. Not thread-safe.
 */
public final class TfRecordWriter implements AutoCloseable {

  private final OutputStream out;
  private final ByteBuffer header = ByteBuffer.allocate(TfRecordFraming.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private final ByteBuffer footer = ByteBuffer.allocate(TfRecordFraming.CRC_BYTES).order(ByteOrder.LITTLE_ENDIAN);
  private long records;

  /** Writes to {@code out}, which this writer closes. Pass a buffered stream: records go out in pieces. */
  public TfRecordWriter(OutputStream out) {
    this.out = out;
  }

  /** Creates (or truncates) {@code file}. */
  public static TfRecordWriter create(Path file) throws IOException {
    return new TfRecordWriter(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
  }

  /** Appends one record. */
  public void write(byte[] data) throws IOException {
    header.clear();
    header.putLong(data.length);
    header.putInt(TfRecordFraming.maskedCrc32c(header.array(), 0, TfRecordFraming.LENGTH_BYTES));
    out.write(header.array());
    out.write(data);
    footer.clear();
    footer.putInt(TfRecordFraming.maskedCrc32c(data, 0, data.length));
    out.write(footer.array());
    records++;
  }

  /** Number of records written so far. */
  public long records() {
    return records;
  }

  public void flush() throws IOException {
    out.flush();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
