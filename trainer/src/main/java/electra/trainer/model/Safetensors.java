package electra.trainer.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}}, then the raw
 * little-endian tensor bytes (offsets are relative to the end of the header). Reading memory-maps each tensor's
 * bytes and converts F32, F16, BF16 and F64 to float; writing produces F32. The header is validated when the file
 * is opened, so a truncated or inconsistent file fails before any weight is used.
 */
public final class Safetensors implements AutoCloseable {

  /** Element types of the format, with their width in bytes. */
  public enum DType {
    BOOL(1), U8(1), I8(1), I16(2), U16(2), F16(2), BF16(2), I32(4), U32(4), F32(4), I64(8), U64(8), F64(8);

    public final int bytes;

    DType(int bytes) {
      this.bytes = bytes;
    }
  }

  /** One tensor's header entry; {@code begin} and {@code end} are byte offsets into the data section. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {}

  /** The format's own limit on the header size; a larger value means a corrupt or foreign file. */
  private static final long MAX_HEADER_BYTES = 100L << 20;
  private static final String METADATA = "__metadata__";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  private Safetensors(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.file = file;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  /** Opens and validates a safetensors file; tensor bytes are only mapped when read. */
  public static Safetensors open(Path file) throws IOException {
    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = channel.size();
      if (size < 8) {
        throw new IOException(file + ": " + size + " bytes is too short for a safetensors file");
      }
      ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(channel, lengthBytes, 0);
      long headerLength = lengthBytes.getLong(0);
      if (headerLength < 2 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
        throw new IOException(file + ": header length " + headerLength + " does not fit a file of " + size
            + " bytes (not a safetensors file, or truncated)");
      }
      ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
      readFully(channel, headerBytes, 8);
      JsonNode header;
      try {
        header = JSON.readTree(new String(headerBytes.array(), StandardCharsets.UTF_8));
      } catch (JsonProcessingException e) {
        throw new IOException(file + ": header is not valid JSON: " + e.getOriginalMessage(), e);
      }
      if (header == null || !header.isObject()) {
        throw new IOException(file + ": header must be a JSON object");
      }
      long dataSize = size - 8 - headerLength;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, Entry> entries = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getKey().equals(METADATA)) {
          readMetadata(file, field.getValue(), metadata);
        } else {
          entries.put(field.getKey(), parseEntry(file, field.getKey(), field.getValue(), dataSize));
        }
      }
      checkNoOverlap(file, entries.values());
      return new Safetensors(file, channel, 8 + headerLength, Collections.unmodifiableMap(entries),
          Collections.unmodifiableMap(metadata));
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    while (buffer.hasRemaining()) {
      if (channel.read(buffer, position + buffer.position()) < 0) {
        throw new IOException("unexpected end of file");
      }
    }
  }

  private static void readMetadata(Path file, JsonNode node, Map<String, String> into) throws IOException {
    if (node.isNull()) {
      return;
    }
    if (!node.isObject()) {
      throw new IOException(file + ": " + METADATA + " must be an object of strings");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new IOException(file + ": " + METADATA + " value of '" + e.getKey() + "' must be a string");
      }
      into.put(e.getKey(), e.getValue().asText());
    }
  }

  private static Entry parseEntry(Path file, String name, JsonNode node, long dataSize) throws IOException {
    String where = file + ": tensor '" + name + "'";
    if (!node.isObject()) {
      throw new IOException(where + ": header entry must be an object");
    }
    JsonNode dtypeNode = node.get("dtype");
    if (dtypeNode == null || !dtypeNode.isTextual()) {
      throw new IOException(where + ": missing dtype");
    }
    DType dtype;
    try {
      dtype = DType.valueOf(dtypeNode.asText());
    } catch (IllegalArgumentException e) {
      throw new IOException(where + ": unsupported dtype " + dtypeNode.asText());
    }
    long[] shape = longs(where, "shape", node.get("shape"), -1);
    long[] offsets = longs(where, "data_offsets", node.get("data_offsets"), 2);
    long begin = offsets[0];
    long end = offsets[1];
    if (begin > end || end > dataSize) {
      throw new IOException(where + ": data_offsets [" + begin + ", " + end + "] are outside the data section of "
          + dataSize + " bytes");
    }
    long expected;
    try {
      expected = Math.multiplyExact(HostTensor.elementCount(shape), dtype.bytes);
    } catch (ArithmeticException e) {
      throw new IOException(where + ": shape " + Arrays.toString(shape) + " is too large");
    }
    if (end - begin != expected) {
      throw new IOException(where + ": " + (end - begin) + " bytes do not match shape " + Arrays.toString(shape)
          + " of " + dtype + " (" + expected + " bytes)");
    }
    return new Entry(name, dtype, shape, begin, end);
  }

  private static long[] longs(String where, String key, JsonNode node, int length) throws IOException {
    if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
      throw new IOException(where + ": " + key + " must be an array" + (length >= 0 ? " of " + length : "")
          + " of non-negative integers, got " + node);
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = node.get(i);
      if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0) {
        throw new IOException(where + ": " + key + " must hold non-negative integers, got " + node);
      }
      out[i] = v.asLong();
    }
    return out;
  }

  private static void checkNoOverlap(Path file, Iterable<Entry> entries) throws IOException {
    List<Entry> sorted = new ArrayList<>();
    entries.forEach(sorted::add);
    sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
    for (int i = 1; i < sorted.size(); i++) {
      Entry a = sorted.get(i - 1);
      Entry b = sorted.get(i);
      if (b.begin() < a.end()) {
        throw new IOException(file + ": tensors '" + a.name() + "' and '" + b.name() + "' overlap");
      }
    }
  }

  public Path file() {
    return file;
  }

  /** Tensor names in header order. */
  public Set<String> names() {
    return entries.keySet();
  }

  public boolean contains(String name) {
    return entries.containsKey(name);
  }

  public Entry entry(String name) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new IllegalArgumentException(file + ": no tensor '" + name + "'");
    }
    return e;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  /** A tensor's values as floats; integer and boolean tensors are refused. */
  public HostTensor read(String name) throws IOException {
    Entry e = entry(name);
    int n = Math.toIntExact(HostTensor.elementCount(e.shape()));
    float[] out = new float[n];
    if (n > 0) {
      ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin())
          .order(ByteOrder.LITTLE_ENDIAN);
      switch (e.dtype()) {
        case F32 -> bytes.asFloatBuffer().get(out);
        case F64 -> {
          for (int i = 0; i < n; i++) {
            out[i] = (float) bytes.getDouble(8 * i);
          }
        }
        case BF16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = Float.intBitsToFloat((bytes.getShort(2 * i) & 0xffff) << 16);
          }
        }
        case F16 -> {
          for (int i = 0; i < n; i++) {
            out[i] = halfToFloat(bytes.getShort(2 * i));
          }
        }
        default -> throw new IOException(file + ": tensor '" + name + "' has dtype " + e.dtype()
            + ", not a floating-point type");
      }
    }
    return new HostTensor(e.shape(), out);
  }

  /** IEEE 754 binary16 to float (exact: every half value is a float). */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    if (exponent == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
    }
    if (exponent == 0) {
      float subnormal = mantissa * 0x1p-24f;
      return sign == 0 ? subnormal : -subnormal;
    }
    return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /**
   * Writes tensors as F32 in name order, with the given metadata (Hugging Face expects {@code format: pt}). The file
   * is written next to its destination and renamed into place, so a reader never sees half a file.
   */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    Map<String, HostTensor> sorted = new TreeMap<>(tensors);
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject(METADATA);
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, HostTensor> e : sorted.entrySet()) {
      if (e.getKey().equals(METADATA)) {
        throw new IllegalArgumentException("'" + METADATA + "' is reserved and cannot name a tensor");
      }
      long bytes = 4L * e.getValue().values().length;
      ObjectNode entry = header.putObject(e.getKey());
      entry.put("dtype", DType.F32.name());
      var shape = entry.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      entry.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    head.flip();

    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      writeFully(out, head);
      ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
      for (HostTensor t : sorted.values()) {
        float[] v = t.values();
        for (int i = 0; i < v.length; ) {
          int n = Math.min(v.length - i, chunk.capacity() / 4);
          chunk.clear();
          chunk.asFloatBuffer().put(v, i, n);
          chunk.limit(4 * n);
          writeFully(out, chunk);
          i += n;
        }
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeFully(FileChannel out, ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }
}
