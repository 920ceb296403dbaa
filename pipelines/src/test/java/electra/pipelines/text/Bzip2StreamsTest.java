package electra.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;

class Bzip2StreamsTest {

  private static byte[] bzip2(String text) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (BZip2CompressorOutputStream bz = new BZip2CompressorOutputStream(out)) {
      bz.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.write(part);
    }
    return out.toByteArray();
  }

  private static Bzip2Streams.SeekableFile inMemory(byte[] file) {
    return offset -> new ByteArrayInputStream(file, (int) offset, file.length - (int) offset);
  }

  /** Bytes that hold no stream start ("BZh" never occurs in them). */
  private static byte[] noise(int length) {
    byte[] bytes = new byte[length];
    new Random(7).nextBytes(bytes);
    for (int i = 0; i < length; i++) {
      if (bytes[i] == 'B') {
        bytes[i] = 'b';
      }
    }
    return bytes;
  }

  @Test
  void findsAStreamStartWhereverItFallsAgainstTheReadBuffer() throws IOException {
    byte[] stream = bzip2("some text");
    for (int at : new int[] {0, 1, 65_536 - 10, 65_536 - 9, 65_536 - 5, 65_536 - 1, 65_536, 65_536 + 3, 200_000}) {
      byte[] file = concat(noise(at), stream, noise(100));
      Bzip2Streams.SeekableFile seekable = inMemory(file);
      assertEquals(at, Bzip2Streams.nextStreamStart(seekable, 0, file.length), "stream at " + at);
      assertEquals(-1, Bzip2Streams.nextStreamStart(seekable, 0, at), "a stream at the limit is not before it");
      assertEquals(at, Bzip2Streams.nextStreamStart(seekable, at, at + 1));
      assertEquals(-1, Bzip2Streams.nextStreamStart(seekable, at + 1, file.length));
    }
  }

  @Test
  void decodesOneStreamAndSaysWhereTheNextBegins() throws IOException {
    byte[] first = bzip2("<mediawiki>");
    byte[] second = bzip2("<page>x</page>");
    byte[] file = concat(first, second, bzip2(""));
    Bzip2Streams.Decoded decoded = Bzip2Streams.decode(inMemory(file), 0);
    assertArrayEquals("<mediawiki>".getBytes(StandardCharsets.UTF_8), decoded.bytes());
    assertEquals(first.length, decoded.end());
    decoded = Bzip2Streams.decode(inMemory(file), first.length);
    assertEquals("<page>x</page>", new String(decoded.bytes(), StandardCharsets.UTF_8));
    assertEquals(first.length + second.length, decoded.end());
    assertEquals(decoded.end(), Bzip2Streams.nextStreamStart(inMemory(file), decoded.end(), file.length),
        "an empty stream (end-of-stream magic right after the header) is a stream start too");
  }

  @Test
  void aFileIsMultistreamWhenASecondStreamFollowsTheFirstWithinTheProbe() throws IOException {
    byte[] header = bzip2("<mediawiki><siteinfo/>");
    byte[] pages = bzip2("<page>x</page>");
    assertTrue(Bzip2Streams.isMultistream(inMemory(concat(header, pages)), 1 << 20));
    assertFalse(Bzip2Streams.isMultistream(inMemory(concat(header, pages)), header.length - 1),
        "the first stream ends beyond the probe");
    assertFalse(Bzip2Streams.isMultistream(inMemory(bzip2("<mediawiki><page>x</page></mediawiki>")), 1 << 20));
    byte[] trailingNoise = concat(header, noise(64));
    assertFalse(Bzip2Streams.isMultistream(inMemory(trailingNoise), 1 << 20));
  }
}
