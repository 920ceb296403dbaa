package electra.records;

import electra.records.CorruptRecordException.Problem;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams the records of a TFRecord file one at a time, checking both CRCs of every record. The end of the
 * input exactly at a record boundary is the normal end; anything else throws {@link CorruptRecordException}.
 * Iterating is single-pass; the iterator wraps I/O errors in {@link UncheckedIOException}. Not thread-safe.
 */
public final class TfRecordReader implements AutoCloseable, Iterable<byte[]> {

  private final InputStream in;
  private final String source;
  private final byte[] header = new byte[TfRecordFraming.HEADER_BYTES];
  private final byte[] footer = new byte[TfRecordFraming.CRC_BYTES];
  private long offset;

  /** Reads {@code in}, which this reader closes; {@code source} names it in error messages. */
  public TfRecordReader(InputStream in, String source) {
    this.in = in;
    this.source = source;
  }

  public static TfRecordReader open(Path file) throws IOException {
    return new TfRecordReader(new BufferedInputStream(Files.newInputStream(file), 1 << 16), file.toString());
  }

  /** The next record's data, or null at the end of the input. */
  public byte[] next() throws IOException {
    long start = offset;
    int got = in.readNBytes(header, 0, header.length);
    if (got == 0) {
      return null;
    }
    if (got < header.length) {
      throw new CorruptRecordException(source, start, Problem.TRUNCATED_HEADER,
          "only " + got + " of " + header.length + " bytes");
    }
    long length = littleEndian(header).getLong(0);
    int lengthCrc = TfRecordFraming.maskedCrc32c(header, 0, TfRecordFraming.LENGTH_BYTES);
    if (littleEndian(header).getInt(TfRecordFraming.LENGTH_BYTES) != lengthCrc) {
      throw new CorruptRecordException(source, start, Problem.LENGTH_CRC,
          "length field reads " + Long.toUnsignedString(length));
    }
    // Java arrays stop a few bytes short of Integer.MAX_VALUE.
    if (length < 0 || length > Integer.MAX_VALUE - 8) {
      throw new CorruptRecordException(source, start, Problem.TOO_LARGE, Long.toUnsignedString(length) + " bytes");
    }
    // readNBytes(int) grows its buffer as bytes arrive, so a damaged file cannot make us allocate its claimed length.
    byte[] data = in.readNBytes((int) length);
    int footerGot = data.length == length ? in.readNBytes(footer, 0, footer.length) : 0;
    if (data.length < length || footerGot < footer.length) {
      throw new CorruptRecordException(source, start, Problem.TRUNCATED_DATA, "expected " + length
          + " data bytes and a 4-byte CRC, found " + (data.length + footerGot) + " bytes");
    }
    if (littleEndian(footer).getInt(0) != TfRecordFraming.maskedCrc32c(data, 0, data.length)) {
      throw new CorruptRecordException(source, start, Problem.DATA_CRC, length + " data bytes");
    }
    offset = start + TfRecordFraming.HEADER_BYTES + length + TfRecordFraming.CRC_BYTES;
    return data;
  }

  private static ByteBuffer littleEndian(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Byte offset of the next record to read (the input's length once {@link #next()} returned null). */
  public long offset() {
    return offset;
  }

  @Override
  public Iterator<byte[]> iterator() {
    return new Iterator<>() {
      private byte[] ahead;

      @Override
      public boolean hasNext() {
        if (ahead == null) {
          try {
            ahead = TfRecordReader.this.next();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        return ahead != null;
      }

      @Override
      public byte[] next() {
        if (!hasNext()) {
          throw new NoSuchElementException("no more records in " + source);
        }
        byte[] record = ahead;
        ahead = null;
        return record;
      }
    };
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
