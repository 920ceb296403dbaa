package electra.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import electra.data.FileServer.Request;
import electra.data.SampleData.Located;
import electra.data.SampleData.Origin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sample files through a mirror on a loopback port: what is served is verified before it is cached or used, and
 * only complete, verified files ever carry the cached name. Tests that need the real bytes (their digests are
 * fixed) read them from the reference data folder and skip without it.
 */
class SampleDataTest {

  static final String VOCAB_ON_MIRROR = "/huggingface.co/bert-base-uncased/resolve/main/vocab.txt";

  @TempDir Path temp;
  FileServer mirror;
  ByteArrayOutputStream log;

  @BeforeEach
  void start() throws IOException {
    mirror = new FileServer();
    log = new ByteArrayOutputStream();
  }

  @AfterEach
  void stop() {
    mirror.close();
  }

  /** The reference data folder, {@code ../shared/data} beside the checkout; the test skips without it. */
  static Path sharedData() {
    String property = System.getProperty("electra.shared.dir");
    Path data = property == null ? null : Path.of(property, "data");
    assumeTrue(data != null && Files.isDirectory(data),
        "skipped: reference data folder not found (electra.shared.dir=" + property + "); it is ../shared beside"
            + " the repository");
    return data;
  }

  static byte[] realVocabulary() throws IOException {
    return Files.readAllBytes(sharedData().resolve(SampleFile.BERT_VOCABULARY.sharedPath()));
  }

  SampleData samples(Optional<Path> sharedData) {
    return new SampleData(temp.resolve("cache"), sharedData, new Downloader(
        new PrintStream(log, true, StandardCharsets.UTF_8), DownloadFixtures.FAST, Mirror.parse(mirror.base())));
  }

  List<Path> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void aDownloadIsVerifiedCachedAndThenTakenFromTheCache() throws IOException {
    byte[] vocabulary = realVocabulary();
    mirror.serve(VOCAB_ON_MIRROR, vocabulary);
    SampleData samples = samples(Optional.empty());

    Located first = samples.locate(SampleFile.BERT_VOCABULARY);
    assertEquals(new Located(temp.resolve("cache/vocab/bert-base-uncased-vocab.txt"), Origin.DOWNLOADED), first);
    assertArrayEquals(vocabulary, Files.readAllBytes(first.file()));
    assertEquals(List.of(first.file()), filesIn(temp.resolve("cache")), "nothing but the verified file is left");

    assertEquals(new Located(first.file(), Origin.CACHED), samples.locate(SampleFile.BERT_VOCABULARY));
    assertEquals(List.of(new Request(VOCAB_ON_MIRROR, null)), mirror.requests(), "the second time from the cache");
  }

  @Test
  void aCorruptedDownloadIsRefusedAndNotCached() throws IOException {
    String onMirror = "/" + SampleFile.WIKIPEDIA_SAMPLE.url().getHost() + SampleFile.WIKIPEDIA_SAMPLE.url().getPath();
    byte[] corrupted = DownloadFixtures.randomBytes(10_000, 5);
    mirror.serve(onMirror, corrupted);
    SampleData samples = samples(Optional.empty());

    ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
        () -> samples.locate(SampleFile.WIKIPEDIA_SAMPLE));
    assertEquals(SampleFile.WIKIPEDIA_SAMPLE.sha256(), e.expected());
    assertEquals(DownloadFixtures.sha256(corrupted), e.actual());
    assertEquals(mirror.url(onMirror), e.url());
    assertTrue(e.getMessage().contains(SampleFile.WIKIPEDIA_SAMPLE.sha256().hex()), e.getMessage());
    assertFalse(Files.exists(samples.cachedFile(SampleFile.WIKIPEDIA_SAMPLE)));
    assertEquals(List.of(), filesIn(temp.resolve("cache")), "no .part is kept either");

    assertThrows(ChecksumMismatchException.class, () -> samples.locate(SampleFile.WIKIPEDIA_SAMPLE));
    assertEquals(2, mirror.requests().size(), "a refused file is asked for again, never taken from the cache");
  }

  @Test
  void aHalfWrittenCachedFileIsNeverUsed() throws IOException {
    byte[] vocabulary = realVocabulary();
    mirror.serve(VOCAB_ON_MIRROR, vocabulary);
    SampleData samples = samples(Optional.empty());
    Path cached = samples.cachedFile(SampleFile.BERT_VOCABULARY);
    Files.createDirectories(cached.getParent());
    Files.write(cached, Arrays.copyOf(vocabulary, vocabulary.length / 2)); // as a writer without rename would leave

    assertEquals(new Located(cached, Origin.DOWNLOADED), samples.locate(SampleFile.BERT_VOCABULARY));
    assertArrayEquals(vocabulary, Files.readAllBytes(cached));
    assertEquals(List.of(new Request(VOCAB_ON_MIRROR, null)), mirror.requests());
  }

  @Test
  void anInterruptedDownloadResumesAndCountsOnlyOnceVerified() throws IOException {
    byte[] vocabulary = realVocabulary();
    mirror.serve(VOCAB_ON_MIRROR, vocabulary);
    SampleData samples = samples(Optional.empty());
    Path cached = samples.cachedFile(SampleFile.BERT_VOCABULARY);
    Files.createDirectories(cached.getParent());
    Files.write(Downloader.partFile(cached), Arrays.copyOf(vocabulary, 100_000));

    assertEquals(new Located(cached, Origin.DOWNLOADED), samples.locate(SampleFile.BERT_VOCABULARY));
    assertArrayEquals(vocabulary, Files.readAllBytes(cached));
    assertEquals(List.of(new Request(VOCAB_ON_MIRROR, "bytes=100000-")), mirror.requests());
    assertEquals(List.of(cached), filesIn(temp.resolve("cache")));
  }

  @Test
  void theCheckoutsCopyComesFirstAndIsVerified() throws IOException {
    Path shared = temp.resolve("shared/data");
    Path copy = shared.resolve(SampleFile.BERT_VOCABULARY.sharedPath());
    Files.createDirectories(copy.getParent());
    Files.write(copy, realVocabulary());
    assertEquals(new Located(copy, Origin.SHARED_COPY), samples(Optional.of(shared)).locate(
        SampleFile.BERT_VOCABULARY));

    Files.writeString(copy, "[UNK]\n");
    IOException damaged = assertThrows(IOException.class,
        () -> samples(Optional.of(shared)).locate(SampleFile.BERT_VOCABULARY));
    assertTrue(damaged.getMessage().startsWith(copy + " has sha256:"), damaged.getMessage());
    assertTrue(damaged.getMessage().contains("shared/data folder is damaged"), damaged.getMessage());
    assertEquals(List.of(), mirror.requests(), "a checkout's copy, good or bad, is never replaced by a download");
    assertFalse(Files.exists(temp.resolve("cache")), "nor copied into the cache");
  }

  @Test
  void theReferenceDataHoldsEverySampleWithItsRecordedDigests() throws IOException {
    Path shared = sharedData();
    for (SampleFile sample : SampleFile.values()) {
      assertEquals(new Located(shared.resolve(sample.sharedPath()), Origin.SHARED_COPY),
          samples(Optional.of(shared)).locate(sample), sample.name());
    }
    // The SQuAD copy is gzipped: its content must be the published file.
    try (InputStream in = new GZIPInputStream(Files.newInputStream(
        shared.resolve(SampleFile.SQUAD_DEV_V1_1.sharedPath())))) {
      assertEquals(SampleFile.SQUAD_DEV_V1_1.sha256(), DownloadFixtures.sha256(in.readAllBytes()));
    }
  }

  @Test
  void sharedDataIsFoundBesideTheRepositoryThatHoldsTheWorkingDirectory() throws IOException {
    Path repository = Files.createDirectories(temp.resolve("clone/electra"));
    Path module = Files.createDirectories(repository.resolve("launcher/src"));
    assertEquals(Optional.empty(), SampleData.sharedDataBeside(module), "no repository: no checkout copy");

    Files.createDirectories(repository.resolve(".git"));
    assertEquals(Optional.empty(), SampleData.sharedDataBeside(module), "a public clone: nothing beside it");

    Path shared = Files.createDirectories(temp.resolve("clone/shared/data"));
    assertEquals(Optional.of(shared), SampleData.sharedDataBeside(module));
    assertEquals(Optional.of(shared), SampleData.sharedDataBeside(repository));
  }
}
