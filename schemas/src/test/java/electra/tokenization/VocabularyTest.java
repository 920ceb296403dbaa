package electra.tokenization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.data.DownloadFixtures;
import electra.data.Downloader;
import electra.data.Mirror;
import electra.data.SampleData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VocabularyTest {

  private static final String REAL_SHA256 = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";
  /** Nothing listens on port 1: a download attempt would fail loudly. */
  private static final Mirror UNREACHABLE = Mirror.parse("http://127.0.0.1:1");

  @TempDir
  Path temp;

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

  /** Names resolve through {@link SampleData}; nothing is downloaded here (its tests cover that). */
  private VocabularyResolver resolver(Optional<Path> sharedData) {
    return new VocabularyResolver(new SampleData(temp.resolve("cache"), sharedData,
        new Downloader(new PrintStream(OutputStream.nullOutputStream()), DownloadFixtures.FAST, UNREACHABLE)));
  }

  @Test
  void pathsLoadAndMissingPathsSayWhatToGive() throws IOException {
    VocabularyResolver resolver = resolver(Optional.empty());
    assertEquals(REAL_SHA256, resolver.resolve(SharedData.vocabFile().toString()).fingerprint());
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> resolver.resolve("no/such/vocab.txt"));
    assertTrue(e.getMessage().contains("bert-base-uncased"), e.getMessage());
  }

  @Test
  void theNameIsTheSampleVocabulary() throws IOException {
    Vocabulary vocabulary = resolver(Optional.of(SharedData.dir().resolve("data"))).resolve("bert-base-uncased");
    assertEquals(SharedData.vocabFile().toString(), vocabulary.source());
    assertEquals(REAL_SHA256, vocabulary.fingerprint());
    IOException unreachable = assertThrows(IOException.class, () -> resolver(Optional.empty())
        .resolve("bert-base-uncased"));
    assertTrue(unreachable.getMessage().contains("127.0.0.1:1/huggingface.co/"), unreachable.getMessage());
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
