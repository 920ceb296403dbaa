package electra.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunks found and counted as conlleval finds and counts them, on cases worked out by hand. */
class TaggingScoresTest {

  private static List<String> tags(String spaced) {
    return Arrays.asList(spaced.split(" "));
  }

  private static List<Chunks.Chunk> chunks(String spaced) {
    return Chunks.of(tags(spaced));
  }

  private static Chunks.Chunk chunk(String type, int start, int end) {
    return new Chunks.Chunk(type, start, end);
  }

  @Test
  void bio2StartsAChunkAtEveryB() {
    assertEquals(List.of(chunk("PER", 0, 2), chunk("PER", 2, 3), chunk("LOC", 4, 5)),
        chunks("B-PER I-PER B-PER O B-LOC"));
  }

  @Test
  void iob1StartsAChunkAtAnIAfterOAndBSeparatesTwoOfOneType() {
    // CoNLL-2003's own files: I- everywhere, B- only where a chunk follows one of its type
    assertEquals(List.of(chunk("PER", 0, 2), chunk("PER", 2, 3), chunk("LOC", 4, 5), chunk("ORG", 5, 6)),
        chunks("I-PER I-PER B-PER O I-LOC I-ORG"));
    assertEquals(tags("B-PER I-PER B-PER O B-LOC B-ORG"), Chunks.bio2(tags("I-PER I-PER B-PER O I-LOC I-ORG")));
  }

  @Test
  void aTypeChangeEndsOneChunkAndStartsAnother() {
    assertEquals(List.of(chunk("PER", 0, 1), chunk("LOC", 1, 3)), chunks("B-PER I-LOC I-LOC"));
  }

  @Test
  void aChunkCutByTheSentenceEndEndsThere() {
    assertEquals(List.of(chunk("ORG", 1, 3)), chunks("O B-ORG I-ORG"));
    // and the next sentence's I- starts a chunk of its own, as after conlleval's boundary line
    TaggingScores s = TaggingScores.count(List.of(tags("O B-ORG I-ORG"), tags("I-ORG O")),
        List.of(tags("O B-ORG I-ORG"), tags("B-ORG O")));
    assertEquals(new TaggingScores(2, 2, 2), s);
  }

  @Test
  void iobesTagsAreReadAsConllevalReadsThem() {
    assertEquals(List.of(chunk("NP", 0, 1), chunk("NP", 1, 3), chunk("VP", 3, 4)), chunks("S-NP B-NP E-NP S-VP"));
  }

  @Test
  void countsTheChunksThatMatchInTypeFirstAndLastWord() {
    // gold: PER[0,2) LOC[3,4) ORG[5,7); predicted: PER[0,1) (too short) LOC[3,4) ORG[5,7) MISC[7,8)
    TaggingScores s = TaggingScores.count(List.of(tags("B-PER I-PER O B-LOC O B-ORG I-ORG O")),
        List.of(tags("B-PER O O B-LOC O B-ORG I-ORG B-MISC")));
    assertEquals(new TaggingScores(3, 4, 2), s);
    assertEquals(0.5, s.precision(), 1e-12);
    assertEquals(2.0 / 3, s.recall(), 1e-12);
    assertEquals(2 * 0.5 * (2.0 / 3) / (0.5 + 2.0 / 3), s.f1(), 1e-12);
    // a right span with the wrong type is not correct
    assertEquals(new TaggingScores(1, 1, 0), TaggingScores.count(List.of(tags("B-PER I-PER")),
        List.of(tags("B-ORG I-ORG"))));
  }

  @Test
  void emptyDenominatorsGiveZeroAsConllevalPrints() {
    TaggingScores none = TaggingScores.count(List.of(tags("O O")), List.of(tags("O O")));
    assertEquals(List.of(0.0, 0.0, 0.0), List.of(none.precision(), none.recall(), none.f1()));
    TaggingScores nothingPredicted = TaggingScores.count(List.of(tags("B-PER O")), List.of(tags("O O")));
    assertEquals(List.of(0.0, 0.0, 0.0), List.of(nothingPredicted.precision(), nothingPredicted.recall(),
        nothingPredicted.f1()));
  }

  @Test
  void misalignedSentencesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> TaggingScores.count(List.of(tags("O O")),
        List.of(tags("O"))));
  }
}
