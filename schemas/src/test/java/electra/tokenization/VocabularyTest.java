package electra.tokenization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {

  private static final String REAL_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";
  /** Nothing listens on port 1: a download attempt would fail loudly. */
  private static final URI UNREACHABLE = URI.create("http://127.0.0.1:1/vocab.txt");

  @TempDir
  Path temp;
  private HttpServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void serializationKeepsEveryTokenIdAndTheFingerprint() throws Exception {
    Vocabulary vocabulary = SharedData.vocabulary();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(vocabulary);
    }
    Vocabulary copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (Vocabulary) in.readObject();
    }
    assertEquals(vocabulary.fingerprint(), copy.fingerprint());
    assertEquals(vocabulary.source(), copy.source());
    assertEquals(vocabulary.size(), copy.size());
    for (int id = 0; id < vocabulary.size(); id++) {
      assertEquals(id, copy.id(vocabulary.token(id)));
    }
  }

  @Test
  void realVocabularyHasTheBertIds() {
    Vocabulary vocabulary = SharedData.vocabulary();
    assertEquals(30522, vocabulary.size());
    assertEquals(0, vocabulary.padId());
    assertEquals(100, vocabulary.unkId());
    assertEquals(101, vocabulary.clsId());
    assertEquals(102, vocabulary.sepId());
    assertEquals(103, vocabulary.maskId());
    assertEquals(1996, vocabulary.id("the"));
    assertEquals(2015, vocabulary.id("##s"));
    assertEquals("[unused0]", vocabulary.token(1));
    assertEquals(REAL_SHA256, vocabulary.fingerprint());
    assertEquals(List.of("[CLS]", "the", "##s", "[SEP]"), vocabulary.tokens(101, 1996, 2015, 102));
    assertThrows(IndexOutOfBoundsException.class, () -> vocabulary.token(30522));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> vocabulary.id("Hello"));
    assertTrue(missing.getMessage().contains("'Hello'"), missing.getMessage());
  }

  @Test
  void linesAreStrippedLikePythonAndDuplicatesKeepTheLastId() {
    String text = "[PAD]\n  [UNK] \r\nhello\u2028\n\nhello\nlast";
    Vocabulary vocabulary = Vocabulary.fromBytes(text.getBytes(StandardCharsets.UTF_8), "test");
    assertEquals(6, vocabulary.size());
    assertEquals(1, vocabulary.unkId());
    assertEquals("hello", vocabulary.token(2));
    assertEquals("", vocabulary.token(3));
    assertEquals(4, vocabulary.id("hello"));
    assertEquals(5, vocabulary.id("last"));
    assertEquals(Vocabulary.sha256(text.getBytes(StandardCharsets.UTF_8)), vocabulary.fingerprint());
    IllegalStateException noCls = assertThrows(IllegalStateException.class, vocabulary::clsId);
    assertTrue(noCls.getMessage().contains("[CLS]"), noCls.getMessage());
  }

  @Test
  void vocabularyWithoutUnkOrWithBadUtf8IsRefused() {
    IllegalArgumentException noUnk = assertThrows(IllegalArgumentException.class,
        () -> Vocabulary.fromBytes("<unk>\n\u2581the\n".getBytes(StandardCharsets.UTF_8), "spm.vocab"));
    assertTrue(noUnk.getMessage().contains("spm.vocab has no [UNK]"), noUnk.getMessage());
    IllegalArgumentException badUtf8 = assertThrows(IllegalArgumentException.class,
        () -> Vocabulary.fromBytes(new byte[] {'[', 'U', 'N', 'K', ']', '\n', (byte) 0xFF}, "bad.txt"));
    assertTrue(badUtf8.getMessage().contains("not valid UTF-8"), badUtf8.getMessage());
  }

  @Test
  void pathsLoadAndMissingPathsSayWhatToGive() throws IOException {
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), UNREACHABLE, temp);
    assertEquals(REAL_SHA256, resolver.resolve(SharedData.vocabFile().toString()).fingerprint());
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> resolver.resolve("no/such/vocab.txt"));
    assertTrue(e.getMessage().contains("bert-base-uncased"), e.getMessage());
  }

  @Test
  void cachedCopyIsUsedAndAWrongOneRefused() throws IOException {
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), UNREACHABLE, temp);
    Files.createDirectories(resolver.cachedFile().getParent());
    Files.copy(SharedData.vocabFile(), resolver.cachedFile());
    assertEquals(resolver.cachedFile().toString(), resolver.resolve("bert-base-uncased").source());

    Files.writeString(resolver.cachedFile(), "[UNK]\n");
    IOException e = assertThrows(IOException.class, () -> resolver.resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains("delete it"), e.getMessage());
  }

  @Test
  void developerCheckoutsUseTheSharedFolderBesideTheRepository() throws IOException {
    Path repository = temp.resolve("repo");
    Files.createDirectories(repository.resolve(".git"));
    Files.createDirectories(repository.resolve("schemas/src"));
    Path shared = temp.resolve("shared/data/vocab/bert-base-uncased-vocab.txt");
    Files.createDirectories(shared.getParent());
    Files.copy(SharedData.vocabFile(), shared);
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), UNREACHABLE, repository.resolve("schemas/src"));
    assertEquals(shared.toString(), resolver.resolve("bert-base-uncased").source());
    assertFalse(Files.exists(resolver.cachedFile()), "a checkout's copy is not duplicated into the cache");
  }

  @Test
  void downloadIsVerifiedAndCached() throws IOException {
    byte[] real = Files.readAllBytes(SharedData.vocabFile());
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), serve(200, real), temp);
    Vocabulary vocabulary = resolver.resolve("bert-base-uncased");
    assertEquals(REAL_SHA256, vocabulary.fingerprint());
    assertEquals(30522, vocabulary.size());
    assertArrayEquals(real, Files.readAllBytes(resolver.cachedFile()));
    try (Stream<Path> left = Files.list(resolver.cachedFile().getParent())) {
      assertEquals(List.of(resolver.cachedFile()), left.toList(), "no temporary file is left behind");
    }
    server.stop(0);
    assertEquals(REAL_SHA256, resolver.resolve("bert-base-uncased").fingerprint(), "second time from the cache");
  }

  @Test
  void downloadWithTheWrongChecksumIsRefusedAndNotCached() throws IOException {
    byte[] tampered = Files.readAllBytes(SharedData.vocabFile());
    tampered[tampered.length - 2] ^= 1;
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), serve(200, tampered), temp);
    IOException e = assertThrows(IOException.class, () -> resolver.resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains(resolver.downloadUrl().toString()) && e.getMessage().contains(REAL_SHA256)
        && e.getMessage().contains("ELECTRA_VOCAB_URL"), e.getMessage());
    assertFalse(Files.exists(resolver.cachedFile()));
  }

  @Test
  void httpErrorsNameTheUrl() throws IOException {
    VocabularyResolver resolver = new VocabularyResolver(temp.resolve("cache"), serve(404, "gone".getBytes()), temp);
    IOException e = assertThrows(IOException.class, () -> resolver.resolve("bert-base-uncased"));
    assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains(resolver.downloadUrl().toString()),
        e.getMessage());
    IOException refused = assertThrows(IOException.class,
        () -> new VocabularyResolver(temp.resolve("cache"), UNREACHABLE, temp).resolve("bert-base-uncased"));
    assertTrue(refused.getMessage().contains(UNREACHABLE.toString()), refused.getMessage());
  }

  @Test
  void downloadUrlCanBeSetBySystemProperty() {
    String before = System.getProperty(VocabularyResolver.URL_PROPERTY);
    try {
      System.setProperty(VocabularyResolver.URL_PROPERTY, "http://mirror.example/vocab.txt");
      assertEquals(URI.create("http://mirror.example/vocab.txt"), VocabularyResolver.fromEnvironment().downloadUrl());
    } finally {
      if (before == null) {
        System.clearProperty(VocabularyResolver.URL_PROPERTY);
      } else {
        System.setProperty(VocabularyResolver.URL_PROPERTY, before);
      }
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new VocabularyResolver(temp, URI.create("ftp://host/vocab.txt"), temp));
    assertTrue(e.getMessage().contains("http"), e.getMessage());
  }

  /** Serves {@code body} with {@code status} at /vocab.txt on a loopback port; returns its URL. */
  private URI serve(int status, byte[] body) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/vocab.txt", exchange -> {
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/vocab.txt");
  }

  @Test
  void fileBytesAreTheSourceFilesOwnOrOneTokenPerLineWithTheSameFingerprint() throws IOException {
    byte[] crlf = "[PAD]\r\n[UNK]\r\nhello\r\n".getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(temp.resolve("vocab.txt"), crlf);
    Vocabulary fromFile = Vocabulary.load(file);
    assertArrayEquals(crlf, fromFile.fileBytes());

    byte[] plain = "[PAD]\n[UNK]\nhello\n".getBytes(StandardCharsets.UTF_8);
    Vocabulary inMemory = Vocabulary.fromBytes(plain, "not a file");
    assertArrayEquals(plain, inMemory.fileBytes());

    Files.delete(file);
    IOException e = assertThrows(IOException.class, fromFile::fileBytes);
    assertTrue(e.getMessage().contains("cannot reproduce the bytes of vocabulary " + file), e.getMessage());
  }
}
