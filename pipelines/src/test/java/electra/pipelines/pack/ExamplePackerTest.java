package electra.pipelines.pack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.records.PretrainingExample;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExamplePackerTest {

  private static final int CLS = 101;
  private static final int SEP = 102;

  /** Returns scripted doubles so each branch of the packing rules can be chosen by the test. */
  private static final class Scripted implements RandomGenerator {
    private final Deque<Double> doubles = new ArrayDeque<>();

    Scripted(double... values) {
      for (double v : values) {
        doubles.add(v);
      }
    }

    @Override
    public double nextDouble() {
      return doubles.removeFirst();
    }

    @Override
    public long nextLong() {
      throw new AssertionError("the packer should only draw doubles in this script");
    }
  }

  private static int[] run(int from, int count) {
    return IntStream.range(from, from + count).toArray();
  }

  @Test
  void twoSegmentsSplitAtHalfTheTargetAndPadToMax() {
    ExamplePacker packer = new ExamplePacker(16, CLS, SEP);
    // target 16 (0.9 >= 0.05), two segments (0.9 >= 0.1): A aims at (16-3)/2 = 6 tokens.
    List<PretrainingExample> out = packer.pack(List.of(run(1000, 4), run(2000, 4), run(3000, 9)),
        new Scripted(0.9, 0.9, 0.9, 0.9));
    assertEquals(1, out.size());
    PretrainingExample e = out.get(0);
    // A = first sentence (empty A); second does not fit (4+4 >= 6) and the coin (0.9) says no -> B gets the rest,
    // cut to 16 - 4 - 3 = 9 of its 13 tokens.
    int[] expectedIds = new int[16];
    int[] a = run(1000, 4);
    int[] b = IntStream.concat(IntStream.of(run(2000, 4)), IntStream.of(run(3000, 9))).limit(9).toArray();
    expectedIds[0] = CLS;
    System.arraycopy(a, 0, expectedIds, 1, 4);
    expectedIds[5] = SEP;
    System.arraycopy(b, 0, expectedIds, 6, 9);
    expectedIds[15] = SEP;
    assertArrayEquals(expectedIds, e.inputIds());
    assertArrayEquals(IntStream.generate(() -> 1).limit(16).toArray(), e.inputMask());
    int[] segments = new int[16];
    Arrays.fill(segments, 6, 16, 1);
    assertArrayEquals(segments, e.segmentIds());
  }

  @Test
  void coinCanPutASentenceIntoAWhileBIsEmpty() {
    ExamplePacker packer = new ExamplePacker(16, CLS, SEP);
    // A has 4 < 6 and B is empty: coin 0.3 < 0.5 sends the second sentence to A as well.
    List<PretrainingExample> out = packer.pack(List.of(run(1, 4), run(11, 4), run(21, 9)),
        new Scripted(0.9, 0.9, 0.3, 0.9));
    int[] ids = out.get(0).inputIds();
    assertArrayEquals(new int[] {CLS, 1, 2, 3, 4, 11, 12, 13, 14, SEP, 21, 22, 23, 24, 25, SEP}, ids);
  }

  @Test
  void singleSegmentExamplesAndShortDocumentsArePadded() {
    ExamplePacker packer = new ExamplePacker(12, CLS, SEP);
    // 0.05 < 0.1: single segment. Document shorter than the target is flushed at its end.
    PretrainingExample e = packer.pack(List.of(run(5, 3), run(8, 2)), new Scripted(0.9, 0.05)).get(0);
    assertArrayEquals(new int[] {CLS, 5, 6, 7, 8, 9, SEP, 0, 0, 0, 0, 0}, e.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0}, e.inputMask());
    assertArrayEquals(new int[12], e.segmentIds());
  }

  @Test
  void longSingleSentenceIsCutToMaxMinusTwo() {
    ExamplePacker packer = new ExamplePacker(8, CLS, SEP);
    PretrainingExample e = packer.pack(List.of(run(1, 50)), new Scripted(0.9, 0.9, 0.9)).get(0);
    assertArrayEquals(new int[] {CLS, 1, 2, 3, 4, 5, 6, SEP}, e.inputIds());
  }

  @Test
  void examplesNeverCrossDocumentsAndKeepEveryTokenWhenNothingIsCut() {
    ExamplePacker packer = new ExamplePacker(128, CLS, SEP);
    SplittableRandom lengths = new SplittableRandom(7);
    int next = 1000;
    List<int[]> doc = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      int n = lengths.nextInt(1, 20);
      doc.add(run(next, n));
      next += n;
    }
    List<PretrainingExample> out = packer.pack(doc, new SplittableRandom(42));
    int[] seen = out.stream().flatMapToInt(e -> IntStream.of(e.inputIds()).filter(t -> t >= 1000)).sorted().toArray();
    // every token appears once, unless the packing cut a segment: cut tokens are the only ones missing
    assertTrue(seen.length <= next - 1000 && seen.length > 0.85 * (next - 1000), "kept " + seen.length);
    assertEquals(seen.length, IntStream.of(seen).distinct().count());
    for (PretrainingExample e : out) {
      assertEquals(CLS, e.inputIds()[0]);
      int real = IntStream.of(e.inputMask()).sum();
      assertTrue(real <= 128 && real >= 3);
      assertEquals(SEP, e.inputIds()[real - 1]);
      for (int i = real; i < 128; i++) {
        assertEquals(0, e.inputIds()[i]);
        assertEquals(0, e.segmentIds()[i]);
      }
    }
  }

  @Test
  void rulesHitTheirRatesOverManyDocuments() {
    ExamplePacker packer = new ExamplePacker(128, CLS, SEP);
    SplittableRandom seeds = new SplittableRandom(1);
    int examples = 0;
    int singleSegment = 0;
    int shortTarget = 0;
    for (int d = 0; d < 300; d++) {
      List<int[]> doc = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        doc.add(run(1000, 12));
      }
      List<PretrainingExample> out = packer.pack(doc, new SplittableRandom(seeds.nextLong()));
      for (PretrainingExample e : out.subList(0, out.size() - 1)) { // the last one is the document's leftover
        examples++;
        int real = IntStream.of(e.inputMask()).sum();
        if (IntStream.of(e.segmentIds()).sum() == 0) {
          singleSegment++;
        }
        if (real < 100) {
          shortTarget++;
        }
      }
    }
    double single = singleSegment / (double) examples;
    double shortRate = shortTarget / (double) examples;
    assertTrue(Math.abs(single - 0.10) < 0.02, "single-segment rate " + single);
    assertTrue(shortRate > 0.02 && shortRate < 0.06, "short-target rate " + shortRate);
  }

  @Test
  void sameSeedSameExamples() {
    ExamplePacker packer = new ExamplePacker(32, CLS, SEP);
    List<int[]> doc = List.of(run(1, 7), run(20, 9), run(40, 11), run(60, 5), run(80, 13), run(100, 3));
    List<PretrainingExample> first = packer.pack(doc, new SplittableRandom(99));
    List<PretrainingExample> second = packer.pack(doc, new SplittableRandom(99));
    assertEquals(first.size(), second.size());
    for (int i = 0; i < first.size(); i++) {
      assertArrayEquals(first.get(i).inputIds(), second.get(i).inputIds());
      assertArrayEquals(first.get(i).segmentIds(), second.get(i).segmentIds());
    }
  }

  @Test
  void refusesLengthsBelowFive() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ExamplePacker(4, CLS, SEP));
    assertTrue(e.getMessage().contains("at least 5"));
  }
}
