package electra.data;

import static electra.data.DownloadFixtures.FAST;
import static electra.data.DownloadFixtures.checksum;
import static electra.data.DownloadFixtures.randomBytes;
import static electra.data.DownloadFixtures.sha256;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.data.FileServer.Fault;
import electra.data.FileServer.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {

  static final String PATH = "/dumps/file.bin";
  static final byte[] CONTENT = randomBytes(300_000, 7);

  @TempDir Path dir;
  FileServer server;
  ByteArrayOutputStream log;
  Downloader downloader;

  @BeforeEach
  void start() throws IOException {
    server = new FileServer().serve(PATH, CONTENT);
    log = new ByteArrayOutputStream();
    downloader = downloader(Mirror.NONE);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  Downloader downloader(Mirror mirror) {
    return new Downloader(new PrintStream(log, true, StandardCharsets.UTF_8), FAST, mirror);
  }

  Path download(Checksum expected) throws Exception {
    return downloader.download(server.url(PATH), dir.resolve("file.bin"), Optional.ofNullable(expected));
  }

  String log() {
    return log.toString(StandardCharsets.UTF_8);
  }

  @Test
  void downloadsVerifiesAndRenames() throws Exception {
    Path file = download(sha256(CONTENT));
    assertEquals(dir.resolve("file.bin"), file);
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertFalse(Files.exists(Downloader.partFile(file)), ".part must be renamed away");
    assertEquals(List.of(new Request(PATH, null)), server.requests());
    assertTrue(log().contains("file.bin: 0.3 MB of 0.3 MB (100%)"), log());
    assertTrue(log().contains(sha256(CONTENT) + " (verified)"), log());
  }

  @Test
  void checksumsOfEachAlgorithmAreChecked() throws Exception {
    for (Checksum.Algorithm algorithm : Checksum.Algorithm.values()) {
      Path file = downloader.download(server.url(PATH), dir.resolve(algorithm.label()),
          Optional.of(checksum(algorithm, CONTENT)));
      assertArrayEquals(CONTENT, Files.readAllBytes(file));
    }
  }

  @Test
  void wrongChecksumIsRefusedAndLeavesNoFile() {
    Checksum wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));
    ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class, () -> download(wrong));
    assertEquals(wrong, e.expected());
    assertEquals(sha256(CONTENT), e.actual());
    assertTrue(e.getMessage().contains(server.url(PATH).toString()), e.getMessage());
    assertTrue(e.getMessage().contains(wrong.hex()), e.getMessage());
    assertTrue(e.getMessage().contains(sha256(CONTENT).hex()), e.getMessage());
    assertFalse(Files.exists(dir.resolve("file.bin")));
    assertFalse(Files.exists(dir.resolve("file.bin.part")));
  }

  @Test
  void resumesAfterTheConnectionDrops() throws Exception {
    server.fail(PATH, Fault.DROP_HALFWAY);
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    List<Request> requests = server.requests();
    assertEquals(2, requests.size(), requests.toString());
    assertEquals(null, requests.get(0).range());
    long resumedAt = Long.parseLong(requests.get(1).range().replaceAll("bytes=(\\d+)-", "$1"));
    assertTrue(resumedAt > 0 && resumedAt <= CONTENT.length / 2, requests.toString());
  }

  @Test
  void resumesAPartFileLeftByAnEarlierRun() throws Exception {
    Files.write(dir.resolve("file.bin.part"), Arrays.copyOf(CONTENT, 100_000));
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(List.of(new Request(PATH, "bytes=100000-")), server.requests());
    assertTrue(log().contains("file.bin.part: resuming an earlier download at byte 100000"), log());
    assertTrue(log().contains("file.bin: 0.3 MB of 0.3 MB (100%)"), log());
  }

  @Test
  void aCompletePartFileIsFinishedWithoutItsBytes() throws Exception {
    Files.write(dir.resolve("file.bin.part"), CONTENT);
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(List.of(new Request(PATH, "bytes=300000-")), server.requests(), "answered 416 with the total");
  }

  @Test
  void aServerThatIgnoresRangeGivesTheWholeFileAgain() throws Exception {
    server.ignoreRange();
    // Wrong bytes in the .part prove the restart overwrote it rather than appending.
    Files.write(dir.resolve("file.bin.part"), new byte[100_000]);
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(List.of(new Request(PATH, "bytes=100000-")), server.requests());
    assertTrue(log().contains("does not resume downloads"), log());
  }

  @Test
  void notFoundNamesTheUrlAndIsNotRetried() {
    URI missing = server.url("/dumps/missing.bin");
    HttpStatusException e = assertThrows(HttpStatusException.class,
        () -> downloader.download(missing, dir.resolve("missing.bin"), Optional.empty()));
    assertEquals(404, e.status());
    assertEquals("HTTP 404 (not found) for " + missing, e.getMessage());
    assertEquals(1, server.requests().size());
    assertFalse(Files.exists(dir.resolve("missing.bin.part")));
  }

  @Test
  void aVerifiedFileIsNotFetchedAgain() throws Exception {
    download(sha256(CONTENT));
    download(sha256(CONTENT));
    assertEquals(1, server.requests().size());
    assertTrue(log().contains("already there, " + sha256(CONTENT) + " (verified)"), log());
  }

  @Test
  void aFileWithTheWrongChecksumIsReplaced() throws Exception {
    Files.write(dir.resolve("file.bin"), new byte[] {1, 2, 3});
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(1, server.requests().size());
  }

  @Test
  void retriesAfterAServerError() throws Exception {
    server.fail(PATH, Fault.ERROR_500);
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(List.of(new Request(PATH, null), new Request(PATH, null)), server.requests());
    assertTrue(log().contains(server.url(PATH) + ": HTTP 500; trying again in 0.0 s"), log());
  }

  @Test
  void givesUpAfterTheLastTryNamingTheUrl() {
    server.fail(PATH, Fault.ERROR_500, Fault.ERROR_500, Fault.ERROR_500);
    IOException e = assertThrows(IOException.class, () -> download(sha256(CONTENT)));
    assertEquals("gave up on " + server.url(PATH) + " after 3 tries in a row without progress (" + server.url(PATH)
        + ": HTTP 500); check this machine's internet access, or set ELECTRA_MIRROR=http://host:port to a mirror"
        + " that keeps the public hosts' paths", e.getMessage());
    assertEquals(3, server.requests().size());
  }

  @Test
  void aMirrorServesEachPublicUrlUnderItsHost() throws Exception {
    byte[] dump = randomBytes(1000, 3);
    server.serve("/dumps.wikimedia.org/enwiki/latest/enwiki-latest-sha1sums.txt", "sums".getBytes(StandardCharsets.UTF_8))
        .serve("/dumps.wikimedia.org/enwiki/latest/dump.bz2", dump);
    Downloader mirrored = downloader(Mirror.parse(server.base() + "/"));
    URI published = URI.create("https://dumps.wikimedia.org/enwiki/latest/dump.bz2");
    Path file = mirrored.download(published, dir.resolve("dump.bz2"), Optional.of(sha256(dump)));
    assertArrayEquals(dump, Files.readAllBytes(file));
    assertEquals("sums", mirrored.fetchText(URI.create("https://dumps.wikimedia.org/enwiki/latest/"
        + "enwiki-latest-sha1sums.txt")));
    assertEquals(List.of(new Request("/dumps.wikimedia.org/enwiki/latest/dump.bz2", null),
        new Request("/dumps.wikimedia.org/enwiki/latest/enwiki-latest-sha1sums.txt", null)), server.requests());
  }

  @Test
  void aMirrorThatFailsIsNamedInTheAdvice() {
    server.fail("/example.org/file.bin", Fault.ERROR_500, Fault.ERROR_500, Fault.ERROR_500)
        .serve("/example.org/file.bin", CONTENT);
    IOException e = assertThrows(IOException.class, () -> downloader(Mirror.parse(server.base()))
        .download(URI.create("https://example.org/file.bin"), dir.resolve("file.bin"), Optional.empty()));
    assertTrue(e.getMessage().startsWith("gave up on " + server.url("/example.org/file.bin") + " after 3 tries"),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("; is the mirror ELECTRA_MIRROR=" + server.base() + " running and reachable?"),
        e.getMessage());
  }

  @Test
  void aSilentServerIsLeftAndResumed() throws Exception {
    server.fail(PATH, Fault.STALL_HALFWAY);
    Path file = download(sha256(CONTENT));
    assertArrayEquals(CONTENT, Files.readAllBytes(file));
    assertEquals(2, server.requests().size());
    assertTrue(server.requests().get(1).range().startsWith("bytes="), server.requests().toString());
    assertTrue(log().contains(server.url(PATH) + ": no data for 0.7 s after "), log());
  }

  @Test
  void fetchesText() throws Exception {
    server.serve("/sums.txt", "abc  file\n".getBytes(StandardCharsets.UTF_8)).fail("/sums.txt", Fault.ERROR_500);
    assertEquals("abc  file\n", downloader.fetchText(server.url("/sums.txt")));
    assertEquals(2, server.requests().size());
  }

  @Test
  void progressLines() {
    assertEquals("x: 12.5 MB of 50.0 MB (25%), 2.0 MB/s, ETA 19 s",
        Progress.describe("x", 12_500_000, 50_000_000, 2e6));
    assertEquals("x: 12.5 MB, 0.5 MB/s", Progress.describe("x", 12_500_000, -1, 5e5));
    assertEquals("x: 0.0 MB of 50.0 MB (0%), 0.0 MB/s", Progress.describe("x", 0, 50_000_000, 0),
        "no ETA before the first byte");
    assertEquals("x: 50.0 MB of 50.0 MB (100%), 2.0 MB/s", Progress.describe("x", 50_000_000, 50_000_000, 2e6),
        "no ETA after the last byte");
  }

  /** The line printed after {@code bytes} more bytes arrived in {@code seconds}, on a fake clock. */
  private static String progressAfter(long startBytes, long totalBytes, long bytes, long seconds) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long[] now = {0};
    Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "f", startBytes, totalBytes,
        Duration.ofSeconds(5), () -> now[0]);
    now[0] = Duration.ofSeconds(seconds).toNanos();
    progress.advance(bytes);
    return out.toString(StandardCharsets.UTF_8).strip();
  }

  @Test
  void progressShowsRateAndEtaFromTheTimeTaken() {
    assertEquals("f: 50.0 MB of 100.0 MB (50%), 10.0 MB/s, ETA 5 s", progressAfter(0, 100_000_000, 50_000_000, 5));
    assertEquals("f: 50.0 MB, 10.0 MB/s", progressAfter(0, -1, 50_000_000, 5), "an unknown size: no share, no ETA");
    assertEquals("f: 50.0 MB of 100.0 MB (50%), 2.0 MB/s, ETA 25 s", progressAfter(40_000_000, 100_000_000,
        10_000_000, 5), "bytes resumed from disk count towards the share, not towards the rate");
    assertEquals("f: 1000.0 MB of 20000.0 MB (5%), 10.0 MB/s, ETA 31 min 40 s",
        progressAfter(0, 20_000_000_000L, 1_000_000_000, 100));
  }

  @Test
  void etaDurations() {
    assertEquals("0 s", Progress.duration(0.4));
    assertEquals("59 s", Progress.duration(59));
    assertEquals("1 min 00 s", Progress.duration(60));
    assertEquals("12 min 05 s", Progress.duration(725));
    assertEquals("3 h 20 min", Progress.duration(3 * 3600 + 20 * 60 + 59));
  }

  @Test
  void progressIsPrintedAtMostOncePerInterval() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long[] now = {0};
    Progress progress = new Progress(new PrintStream(out, true, StandardCharsets.UTF_8), "f", 1_000_000, 4_000_000,
        Duration.ofSeconds(5), () -> now[0]);
    progress.advance(1_000_000);
    now[0] = 4_000_000_000L;
    progress.advance(1_000_000);
    now[0] = 5_000_000_000L;
    progress.advance(1_000_000);
    progress.finish();
    assertEquals("f: 4.0 MB of 4.0 MB (100%), 0.6 MB/s\nf: 4.0 MB of 4.0 MB (100%), 0.6 MB/s\n",
        out.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
  }

  @Test
  void contentRangeHeaders() {
    assertEquals(Optional.of(new Downloader.ContentRange(100, 1000)),
        Downloader.ContentRange.parse("bytes 100-999/1000"));
    assertEquals(Optional.of(new Downloader.ContentRange(-1, 1000)), Downloader.ContentRange.parse("bytes */1000"));
    assertEquals(Optional.of(new Downloader.ContentRange(5, -1)), Downloader.ContentRange.parse("bytes 5-9/*"));
    assertEquals(Optional.empty(), Downloader.ContentRange.parse("items 1-2/3"));
  }

  @Test
  void checksumsValidateThemselves() {
    assertEquals("sha1:" + "ab".repeat(20), Checksum.sha1("AB".repeat(20)).toString());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checksum.sha256("abc"));
    assertEquals("a sha256 checksum is 64 hex digits, got 'abc'", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Checksum.md5("g".repeat(32)));
  }
}
