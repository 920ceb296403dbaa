package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.ingest.Documents.TokenizedDocumentCoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DocumentsTest {

  @Test
  void tokenizedDocumentsSurviveTheCoderBackToBackInOneStream() throws Exception {
    SplittableRandom random = new SplittableRandom(3);
    List<TokenizedDocument> documents = new ArrayList<>();
    documents.add(new TokenizedDocument("empty", List.of()));
    documents.add(new TokenizedDocument("two-byte ids", List.of(new int[] {0, 101, 65535}, new int[0])));
    documents.add(new TokenizedDocument("wide ids", List.of(new int[] {65536, 7}, new int[] {-5, Integer.MAX_VALUE})));
    for (int d = 0; d < 20; d++) {
      List<int[]> sentences = new ArrayList<>();
      for (int s = random.nextInt(50); s > 0; s--) {
        int[] ids = new int[random.nextInt(200)];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = d % 2 == 0 ? random.nextInt(30522) : random.nextInt(Integer.MAX_VALUE); // 2- and 4-byte blocks
        }
        sentences.add(ids);
      }
      documents.add(new TokenizedDocument("doc-" + d + "-ü", sentences));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (TokenizedDocument document : documents) {
      TokenizedDocumentCoder.of().encode(document, bytes);
    }
    ByteArrayInputStream in = new ByteArrayInputStream(bytes.toByteArray());
    for (TokenizedDocument expected : documents) {
      TokenizedDocument back = TokenizedDocumentCoder.of().decode(in);
      assertEquals(expected.id(), back.id());
      assertEquals(expected.sentences().size(), back.sentences().size(), expected.id());
      for (int s = 0; s < expected.sentences().size(); s++) {
        assertArrayEquals(expected.sentences().get(s), back.sentences().get(s), expected.id() + " sentence " + s);
      }
    }
    assertEquals(0, in.available(), "each document read exactly its own bytes");
  }
}
