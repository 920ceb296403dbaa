package electra.pipelines.ingest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.pipelines.pack.ExamplePacker;
import electra.records.PretrainingExample;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompactExamplesTest {

  @Test
  void everyPackedExampleComesBackAsTheSameTfExampleAndTravelsInLessThanHalfItsSize() {
    SplittableRandom random = new SplittableRandom(3);
    long compactBytes = 0;
    long exampleBytes = 0;
    int examples = 0;
    for (int length : new int[] {16, 128, 512}) {
      ExamplePacker packer = new ExamplePacker(length, 101, 102);
      for (int document = 0; document < 40; document++) {
        List<int[]> sentences = new ArrayList<>();
        for (int s = random.nextInt(1, 30); s > 0; s--) {
          int[] sentence = new int[random.nextInt(1, 40)];
          for (int i = 0; i < sentence.length; i++) {
            sentence[i] = random.nextInt(1000, 120_000); // ids of every varint width, as multilingual vocabs have
          }
          sentences.add(sentence);
        }
        for (PretrainingExample e : packer.pack(sentences, new SplittableRandom(document))) {
          byte[] compact = CompactExamples.encode(e);
          assertArrayEquals(e.toBytes(), CompactExamples.toExampleBytes(compact), e.toString());
          compactBytes += compact.length;
          exampleBytes += e.toBytes().length;
          examples++;
        }
      }
    }
    assertTrue(examples > 200, "examples: " + examples);
    assertTrue(compactBytes < 0.5 * exampleBytes, compactBytes + " compact bytes vs " + exampleBytes);
  }

  @Test
  void refusesAnExampleThePackerCannotHaveMade() {
    int[] ids = {101, 7, 102, 0};
    assertThrows(IllegalArgumentException.class, () -> CompactExamples.encode(
        new PretrainingExample(ids, new int[] {1, 1, 1, 0}, new int[] {0, 1, 0, 0}))); // segment B not at the end
    assertThrows(IllegalArgumentException.class, () -> CompactExamples.encode(
        new PretrainingExample(ids, new int[] {1, 0, 1, 0}, new int[] {0, 0, 0, 0}))); // a hole in the mask
    assertThrows(IllegalArgumentException.class, () -> CompactExamples.encode(
        new PretrainingExample(new int[] {101, 7, 102, 5}, new int[] {1, 1, 1, 0}, new int[4]))); // padding not 0
    assertThrows(IllegalArgumentException.class, () -> CompactExamples.encode(
        new PretrainingExample(new int[] {101, -7, 102, 0}, new int[] {1, 1, 1, 0}, new int[4]))); // not a vocab id
  }
}
