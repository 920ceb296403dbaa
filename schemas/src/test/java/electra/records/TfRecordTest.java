package electra.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.CorruptRecordException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TfRecordTest {

  @TempDir
  Path dir;

  @Test
  void maskedCrc32cOfTheCheckString() {
    byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
    CRC32C crc = new CRC32C();
    crc.update(check);
    // 0xE3069283 is CRC-32C's published check value; the masked value was computed with a bitwise CRC in Python.
    assertEquals(0xE3069283L, crc.getValue());
    assertEquals(Integer.rotateRight(0xE3069283, 15) + 0xa282ead8, TfRecordFraming.mask(0xE3069283));
    assertEquals(0xC78AB0E5, TfRecordFraming.maskedCrc32c(check, 0, check.length));
    assertEquals(0xa282ead8, TfRecordFraming.mask(0), "the data CRC of an empty record is the mask constant");
  }

  @Test
  void oneByteRecordHasTheExpectedFrame() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TfRecordWriter writer = new TfRecordWriter(out)) {
      writer.write(new byte[] {0x2a});
    }
    byte[] expected = {
        1, 0, 0, 0, 0, 0, 0, 0,         // length 1 as uint64 little-endian
        0x01, 0x75, (byte) 0xde, 0x41,  // masked CRC32C of those 8 bytes = 0x41de7501, little-endian
        0x2a,                           // data
        0x1d, 0x1d, (byte) 0xf1, (byte) 0x8d, // masked CRC32C of the data = 0x8df11d1d
    };
    assertArrayEquals(expected, out.toByteArray());
  }

  @Test
  void roundTripsEmptyTinyAndLargeRecords() throws IOException {
    byte[] megabyte = new byte[1 << 20];
    new Random(1).nextBytes(megabyte);
    List<byte[]> records = List.of(new byte[0], new byte[] {7}, megabyte, new byte[0]);

    Path file = write(records);

    assertEquals(records.stream().mapToLong(r -> 16L + r.length).sum(), Files.size(file));
    assertRecords(records, file);
  }

  @Test
  void roundTripsManyRecordsThroughTheIterator() throws IOException {
    Random random = new Random(2);
    List<byte[]> records = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      byte[] r = new byte[random.nextInt(300)];
      random.nextBytes(r);
      records.add(r);
    }
    Path file = write(records);

    List<byte[]> read = new ArrayList<>();
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      reader.forEach(read::add);
      assertEquals(Files.size(file), reader.offset());
    }
    assertEquals(records.size(), read.size());
    for (int i = 0; i < records.size(); i++) {
      assertArrayEquals(records.get(i), read.get(i), "record " + i);
    }
  }

  @Test
  void emptyFileHasNoRecords() throws IOException {
    Path file = Files.createFile(dir.resolve("empty.tfrecord"));
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      assertNull(reader.next());
      assertNull(reader.next(), "the end stays the end");
      assertFalse(reader.iterator().hasNext());
    }
  }

  /**
   * Three records of 10, 20 and 30 bytes. The second starts at byte 26 (10 + 16): length 26-33, length CRC 34-37,
   * data 38-57, data CRC 58-61.
   */
  private static final int SECOND = 26;

  @ParameterizedTest(name = "flipped byte at {0} ({1})")
  @CsvSource({
      "26, LENGTH_CRC",  // lowest byte of the length
      "33, LENGTH_CRC",  // highest byte of the length
      "34, LENGTH_CRC",  // first byte of the length CRC
      "43, DATA_CRC",    // a data byte
      "61, DATA_CRC",    // last byte of the data CRC
  })
  void detectsAFlippedByteInTheSecondRecord(int position, Problem problem) throws IOException {
    Path file = write(threeRecords());
    byte[] bytes = Files.readAllBytes(file);
    bytes[position] ^= 0x10;
    Files.write(file, bytes);

    assertCorruptSecondRecord(file, problem);
  }

  @ParameterizedTest(name = "cut after {0} bytes ({1})")
  @CsvSource({
      "31, TRUNCATED_HEADER",  // inside the length
      "37, TRUNCATED_HEADER",  // inside the length CRC
      "45, TRUNCATED_DATA",    // inside the data
      "58, TRUNCATED_DATA",    // all data, none of its CRC
      "60, TRUNCATED_DATA",    // all data, half of its CRC
  })
  void detectsATruncatedSecondRecord(int size, Problem problem) throws IOException {
    Path file = write(threeRecords());
    Files.write(file, Arrays.copyOf(Files.readAllBytes(file), size));

    assertCorruptSecondRecord(file, problem);
  }

  @Test
  void iteratorReportsCorruptionUnchecked() throws IOException {
    Path file = write(threeRecords());
    Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 40));
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> reader.forEach(r -> { }));
      assertInstanceOf(CorruptRecordException.class, e.getCause());
    }
  }

  @Test
  void refusesALengthNoJavaArrayCanHold() throws IOException {
    Path file = dir.resolve("huge.tfrecord");
    Files.write(file, header(1L << 40));
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      CorruptRecordException e = assertThrows(CorruptRecordException.class, reader::next);
      assertEquals(Problem.TOO_LARGE, e.problem());
      assertEquals(0, e.offset());
    }
  }

  @Test
  void aLengthBeyondTheFileIsTruncationNotAnAllocation() throws IOException {
    Path file = dir.resolve("short.tfrecord");
    Files.write(file, Arrays.copyOf(header(2_000_000_000L), 12 + 5));
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      CorruptRecordException e = assertThrows(CorruptRecordException.class, reader::next);
      assertEquals(Problem.TRUNCATED_DATA, e.problem());
      assertTrue(e.getMessage().contains("expected 2000000000 data bytes and a 4-byte CRC, found 5 bytes"),
          e.getMessage());
    }
  }

  /** A well-formed 12-byte header announcing {@code length} bytes. */
  private static byte[] header(long length) {
    ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(length);
    h.putInt(TfRecordFraming.maskedCrc32c(h.array(), 0, 8));
    return h.array();
  }

  private static List<byte[]> threeRecords() {
    List<byte[]> records = new ArrayList<>();
    for (int size : new int[] {10, 20, 30}) {
      byte[] r = new byte[size];
      Arrays.fill(r, (byte) size);
      records.add(r);
    }
    return records;
  }

  private static void assertCorruptSecondRecord(Path file, Problem problem) throws IOException {
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      assertArrayEquals(threeRecords().get(0), reader.next(), "the record before the damage reads fine");
      CorruptRecordException e = assertThrows(CorruptRecordException.class, reader::next);
      assertEquals(problem, e.problem());
      assertEquals(SECOND, e.offset());
      assertEquals(file.toString(), e.source());
      assertTrue(e.getMessage().startsWith(file + ": corrupt TFRecord at byte offset 26: "), e.getMessage());
    }
  }

  private Path write(List<byte[]> records) throws IOException {
    Path file = dir.resolve("records.tfrecord");
    try (TfRecordWriter writer = TfRecordWriter.create(file)) {
      for (byte[] r : records) {
        writer.write(r);
      }
      assertEquals(records.size(), writer.records());
    }
    return file;
  }

  private static void assertRecords(List<byte[]> expected, Path file) throws IOException {
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      for (int i = 0; i < expected.size(); i++) {
        assertArrayEquals(expected.get(i), reader.next(), "record " + i);
      }
      assertNull(reader.next());
    }
  }
}
