package electra.trainer.postprocess;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.TreeMap;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Every tensor a TF checkpoint bundle holds, with its dtype and shape, read from {@code <prefix>.index}. TF Java has
 * no checkpoint reader, and restoring by name can only say that an expected name is missing, never which names are
 * there that nobody expected.
 *
 * <p>The index is a LevelDB-format table (TensorFlow's {@code core/lib/io/table}) whose keys are tensor names and
 * whose values are {@code BundleEntryProto}s; the empty key holds the bundle header. TensorFlow writes it without
 * block compression, so a compressed block is refused rather than guessed at.
 */
public final class BundleIndex {

  /** A tensor's type and shape as the bundle records them. */
  public record Entry(DataType dtype, Shape shape) {

    /** As TensorFlow's Python API names it: {@code float32 [30522, 128]}. */
    @Override
    public String toString() {
      String type = switch (dtype) {
        case DT_FLOAT -> "float32";
        case DT_DOUBLE -> "float64";
        case DT_HALF -> "float16";
        default -> dtype.name().substring("DT_".length()).toLowerCase(Locale.ROOT);
      };
      return type + " " + Arrays.toString(shape.asArray());
    }
  }

  private static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
  private static final int FOOTER_LENGTH = 48;
  private static final int BLOCK_TRAILER_LENGTH = 5;
  private static final byte NO_COMPRESSION = 0;

  private BundleIndex() {}

  /** The tensors of the bundle at {@code prefix}, sorted by name. */
  public static SortedMap<String, Entry> read(Path prefix) throws IOException {
    Path index = Path.of(prefix + ".index");
    byte[] table = Files.readAllBytes(index);
    if (table.length < FOOTER_LENGTH) {
      throw new IOException(index + " is too short to be a checkpoint index");
    }
    ByteBuffer footer = ByteBuffer.wrap(table, table.length - FOOTER_LENGTH, FOOTER_LENGTH)
        .order(ByteOrder.LITTLE_ENDIAN);
    if (ByteBuffer.wrap(table, table.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() != TABLE_MAGIC) {
      throw new IOException(index + " is not a checkpoint index (no table magic number)");
    }
    readVarint(footer); // the metaindex block: TensorFlow writes it empty
    readVarint(footer);
    long indexOffset = readVarint(footer);
    long indexSize = readVarint(footer);

    SortedMap<String, Entry> entries = new TreeMap<>();
    for (byte[] handle : blockValues(table, indexOffset, indexSize, index)) {
      ByteBuffer h = ByteBuffer.wrap(handle);
      long offset = readVarint(h);
      long size = readVarint(h);
      byte[][] keysAndValues = blockEntries(table, offset, size, index);
      for (int i = 0; i < keysAndValues.length; i += 2) {
        String name = new String(keysAndValues[i], StandardCharsets.UTF_8);
        if (!name.isEmpty()) { // the empty key is the bundle header
          entries.put(name, entry(keysAndValues[i + 1], name, index));
        }
      }
    }
    return Collections.unmodifiableSortedMap(entries);
  }

  private static Entry entry(byte[] value, String name, Path index) throws IOException {
    try {
      BundleEntryProto proto = BundleEntryProto.parseFrom(value);
      TensorShapeProto shape = proto.getShape();
      long[] dims = new long[shape.getDimCount()];
      for (int d = 0; d < dims.length; d++) {
        dims[d] = shape.getDim(d).getSize();
      }
      return new Entry(proto.getDtype(), Shape.of(dims));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException(index + ": the entry of '" + name + "' is not a BundleEntryProto", e);
    }
  }

  /** The values of a block's entries (the index block's values are handles of the data blocks). */
  private static List<byte[]> blockValues(byte[] table, long offset, long size, Path index)
      throws IOException {
    byte[][] keysAndValues = blockEntries(table, offset, size, index);
    List<byte[]> values = new ArrayList<>();
    for (int i = 1; i < keysAndValues.length; i += 2) {
      values.add(keysAndValues[i]);
    }
    return values;
  }

  /**
   * A block's entries as key, value, key, value...: each entry is varint shared-prefix length, varint unshared
   * length, varint value length, the unshared key bytes, the value; a restart array and its length close the block.
   */
  private static byte[][] blockEntries(byte[] table, long offset, long size, Path index) throws IOException {
    if (offset < 0 || size < 4 || offset + size + BLOCK_TRAILER_LENGTH > table.length) {
      throw new IOException(index + ": a block handle points outside the file");
    }
    if (table[(int) (offset + size)] != NO_COMPRESSION) {
      throw new IOException(index + ": compressed index blocks are not supported (TensorFlow writes none)");
    }
    ByteBuffer block = ByteBuffer.wrap(table, (int) offset, (int) size).slice().order(ByteOrder.LITTLE_ENDIAN);
    int restarts = block.getInt((int) size - 4);
    int end = (int) size - 4 - 4 * restarts;
    List<byte[]> out = new ArrayList<>();
    byte[] key = new byte[0];
    while (block.position() < end) {
      int shared = (int) readVarint(block);
      int unshared = (int) readVarint(block);
      int valueLength = (int) readVarint(block);
      byte[] next = Arrays.copyOf(key, shared + unshared);
      block.get(next, shared, unshared);
      byte[] value = new byte[valueLength];
      block.get(value);
      out.add(next);
      out.add(value);
      key = next;
    }
    return out.toArray(byte[][]::new);
  }

  private static long readVarint(ByteBuffer in) {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw new IllegalStateException("malformed varint");
  }
}
