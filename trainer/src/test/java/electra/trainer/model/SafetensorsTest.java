package electra.trainer.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

  @TempDir
  Path tmp;

  @Test
  void writeThenReadIsBitExactForEveryKindOfFloat() throws IOException {
    float[] odd = {0f, -0f, 1.5f, Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, Float.NEGATIVE_INFINITY,
        Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffa0beef)};
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("b.odd", new HostTensor(new long[] {3, 3}, odd));
    tensors.put("a.scalar", new HostTensor(new long[] {}, new float[] {42f}));
    tensors.put("c.empty", new HostTensor(new long[] {0, 5}, new float[0]));
    Path file = tmp.resolve("t.safetensors");
    Safetensors.write(file, tensors, Map.of("format", "pt"));

    try (Safetensors st = Safetensors.open(file)) {
      assertEquals(Map.of("format", "pt"), st.metadata());
      assertEquals(java.util.List.of("a.scalar", "b.odd", "c.empty"), java.util.List.copyOf(st.names()));
      for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
        HostTensor back = st.read(e.getKey());
        assertArrayEquals(e.getValue().shape(), back.shape());
        assertArrayEquals(rawBits(e.getValue().values()), rawBits(back.values()), e.getKey());
      }
    }
    // Data starts 8-byte aligned, as the reference writer guarantees.
    ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(0, head.getLong(0) % 8);
  }

  @Test
  void goldenFileSurvivesARewriteBitForBit() throws IOException {
    Path golden = TestData.golden("tiny-discriminator-qa").resolve("model.safetensors");
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    try (Safetensors st = Safetensors.open(golden)) {
      for (String name : st.names()) {
        tensors.put(name, st.read(name));
      }
    }
    Path copy = tmp.resolve("copy.safetensors");
    Safetensors.write(copy, tensors, Map.of("format", "pt"));
    try (Safetensors st = Safetensors.open(copy)) {
      assertEquals(tensors.keySet(), st.names());
      for (String name : st.names()) {
        assertArrayEquals(rawBits(tensors.get(name).values()), rawBits(st.read(name).values()), name);
      }
    }
    // Same tensors in the same (sorted) order: the data sections are byte-identical too.
    assertArrayEquals(dataSection(golden), dataSection(copy));
  }

  @Test
  void readsHalfAndBfloat16AsFloat() throws IOException {
    short[] half = {0x3c00, (short) 0xc000, 0x7bff, 0x0001, 0x7c00, (short) 0x8000, 0x3555};
    float[] halfValues = {1f, -2f, 65504f, 0x1p-24f, Float.POSITIVE_INFINITY, -0f, 0.33325195f};
    short[] bf16 = {0x3f80, (short) 0xc040, 0x4049};
    float[] bf16Values = {1f, -3f, 3.140625f};
    Path file = tmp.resolve("mixed.safetensors");
    String header = "{\"h\":{\"dtype\":\"F16\",\"shape\":[7],\"data_offsets\":[0,14]},"
        + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[14,20]}}";
    ByteBuffer data = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
    for (short s : half) {
      data.putShort(s);
    }
    for (short s : bf16) {
      data.putShort(s);
    }
    writeRaw(file, header, data.array());
    try (Safetensors st = Safetensors.open(file)) {
      assertArrayEquals(rawBits(halfValues), rawBits(st.read("h").values()));
      assertArrayEquals(rawBits(bf16Values), rawBits(st.read("b").values()));
    }
  }

  @Test
  void halfPrecisionConversionIsExactForEveryValue() {
    for (int h = 0; h < 0x10000; h++) {
      float f = Safetensors.halfToFloat((short) h);
      int exponent = (h >>> 10) & 0x1f;
      if (exponent == 0x1f) {
        assertTrue((h & 0x3ff) == 0 ? Float.isInfinite(f) : Float.isNaN(f), Integer.toHexString(h));
        continue;
      }
      double magnitude = exponent == 0 ? (h & 0x3ff) * 0x1p-24 : (1 + (h & 0x3ff) / 1024.0) * Math.pow(2, exponent - 15);
      double expected = (h & 0x8000) != 0 ? -magnitude : magnitude;
      assertEquals(expected, f, 0, Integer.toHexString(h));
      assertEquals((h & 0x8000) != 0, Float.floatToRawIntBits(f) < 0, "sign of " + Integer.toHexString(h));
    }
  }

  @Test
  void refusesInconsistentHeadersNamingFileAndTensor() throws IOException {
    Path file = tmp.resolve("bad.safetensors");
    writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", new byte[16]);
    IOException e = assertThrows(IOException.class, () -> Safetensors.open(file));
    assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("'w'")
        && e.getMessage().contains("12 bytes do not match shape [2, 2]"), e.getMessage());

    writeRaw(file, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}", new byte[16]);
    e = assertThrows(IOException.class, () -> Safetensors.open(file));
    assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("outside the data section"), e.getMessage());

    writeRaw(file, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[16]);
    e = assertThrows(IOException.class, () -> Safetensors.open(file));
    assertTrue(e.getMessage().contains("'a' and 'b' overlap"), e.getMessage());

    writeRaw(file, "{\"w\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]);
    e = assertThrows(IOException.class, () -> Safetensors.open(file));
    assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("unsupported dtype Q4"), e.getMessage());

    writeRaw(file, "{\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
    try (Safetensors st = Safetensors.open(file)) {
      e = assertThrows(IOException.class, () -> st.read("i"));
      assertTrue(e.getMessage().contains("'i' has dtype I64"), e.getMessage());
    }

    Files.write(file, new byte[] {(byte) 0xff, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
    e = assertThrows(IOException.class, () -> Safetensors.open(file));
    assertTrue(e.getMessage().contains(file + ": header length 255"), e.getMessage());
  }

  private static int[] rawBits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  private static byte[] dataSection(Path file) throws IOException {
    byte[] all = Files.readAllBytes(file);
    long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    return java.util.Arrays.copyOfRange(all, (int) (8 + n), all.length);
  }

  private static void writeRaw(Path file, String header, byte[] data) throws IOException {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(json.length).put(json).put(data);
    Files.write(file, b.array());
  }
}
