package electra.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import java.net.URI;
import org.junit.jupiter.api.Test;

class MirrorTest {

  @Test
  void aPublicUrlIsFetchedFromItsHostsFolderOnTheMirror() {
    Mirror mirror = Mirror.parse("http://127.0.0.1:8000");
    assertEquals(URI.create("http://127.0.0.1:8000/dumps.wikimedia.org/enwiki/latest/enwiki-latest-sha1sums.txt"),
        mirror.locate(URI.create("https://dumps.wikimedia.org/enwiki/latest/enwiki-latest-sha1sums.txt")));
    assertEquals(URI.create("http://127.0.0.1:8000/rajpurkar.github.io/SQuAD-explorer/dataset/dev-v1.1.json"),
        mirror.locate(SampleFile.SQUAD_DEV_V1_1.url()));
    assertEquals(URI.create("http://127.0.0.1:8000/huggingface.co/bert-base-uncased/resolve/main/vocab.txt"),
        mirror.locate(SampleFile.BERT_VOCABULARY.url()));
  }

  @Test
  void aMirrorMayLiveInAFolderAndKeepsPortsQueriesAndEscapes() {
    Mirror mirror = Mirror.parse(" https://mirror.example/electra/ ");
    assertEquals(URI.create("https://mirror.example/electra/example.org:8443/a%20b/c.json?rev=2"),
        mirror.locate(URI.create("https://example.org:8443/a%20b/c.json?rev=2")));
    assertEquals(URI.create("https://mirror.example/electra/example.org/"),
        mirror.locate(URI.create("http://example.org")));
  }

  @Test
  void withoutAMirrorEveryUrlIsItsOwnSource() {
    assertSame(Mirror.NONE, Mirror.parse(null));
    assertSame(Mirror.NONE, Mirror.parse("  "));
    URI url = URI.create("https://dumps.wikimedia.org/x.bz2");
    assertSame(url, Mirror.NONE.locate(url));
  }

  @Test
  void aMirrorThatIsNoHttpUrlIsAUsageErrorNamingTheVariable() {
    for (String bad : new String[] {"localhost:8000", "ftp://host/files", "http://host/?page=1", "http:///x",
        "http://host:port"}) {
      UsageException e = assertThrows(UsageException.class, () -> Mirror.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("ELECTRA_MIRROR must be a URL such as http://host:port"), e.getMessage());
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
  }
}
