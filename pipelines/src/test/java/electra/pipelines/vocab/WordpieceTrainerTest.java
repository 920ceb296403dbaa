package electra.pipelines.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class WordpieceTrainerTest {

  private static final List<String> SPECIALS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]");

  private static List<String> train(int vocabSize, long minFrequency, Map<String, Long> counts) {
    SortedMap<String, Long> words = new TreeMap<>(counts);
    return new WordpieceTrainer(vocabSize, minFrequency).train(words, WordpieceTrainer.alphabet(words.keySet()));
  }

  @Test
  void specialTokensComeFirstThenTheAlphabetAsInitialAndContinuationPieces() {
    List<String> vocab = train(100, 1, Map.of("ab", 10L, "ac", 10L, "zq", 2L, "!", 3L));
    assertEquals(SPECIALS, vocab.subList(0, 5));
    // punctuation always stands alone, so "!" gets no ## piece
    assertEquals(List.of("!", "a", "b", "c", "q", "z", "##a", "##b", "##c", "##q", "##z"), vocab.subList(5, 16));
  }

  @Test
  void pairsMergeByLikelihoodScoreNotByCount() {
    // (a, ##b) occurs 10 times but a and ##b occur 20 and 10 times: 10 / 200; (z, ##q) occurs twice, and z and ##q
    // never apart: 2 / 4. BPE would merge "ab" first; WordPiece merges "zq" first.
    List<String> vocab = train(18, 1, Map.of("ab", 10L, "ac", 10L, "zq", 2L));
    assertEquals(List.of("zq", "ab", "ac"), vocab.subList(15, 18));
    assertEquals(18, vocab.size(), "vocab_size is the total, special tokens and alphabet included");
  }

  @Test
  void continuationPiecesMergeToo() {
    // (##a, ##b), (x, ##a) and (y, ##a) all score 0.1; the pair seen more often wins the tie
    List<String> vocab = train(100, 1, Map.of("xab", 5L, "yab", 5L));
    assertEquals(List.of("##ab", "xab", "yab"), vocab.subList(5 + 8, vocab.size()));
  }

  @Test
  void minFrequencyKeepsRareWordsOutOfMergesButTheirCharactersInTheAlphabet() {
    List<String> vocab = train(100, 3, Map.of("ab", 3L, "abab", 3L, "zzz", 2L));
    assertTrue(vocab.containsAll(List.of("z", "##z")), vocab.toString());
    assertFalse(vocab.contains("##zz") || vocab.contains("zz"), vocab.toString());
    assertTrue(vocab.contains("ab") && vocab.contains("##ab"), vocab.toString());
    // with min_frequency 7 no pair qualifies: (a, ##b) occurs 6 times, the others fewer
    assertEquals(5 + 6, train(100, 7, Map.of("ab", 3L, "abab", 3L, "zzz", 2L)).size());
  }

  @Test
  void tooSmallAVocabularyForTheAlphabetIsRefusedNamingTheSizeNeeded() {
    UsageException e = assertThrows(UsageException.class, () -> train(10, 1, Map.of("abc", 1L)));
    assertEquals("the corpus has 3 distinct characters, which need 6 pieces besides the 5 special tokens: raise "
        + "--vocab_size to at least 11", e.getMessage());
    assertThrows(UsageException.class, () -> new WordpieceTrainer(100, 0));
  }

  @Test
  void replaceMergesEveryOccurrenceLeftToRight() {
    assertArrayEquals(new int[] {9, 1}, WordpieceTrainer.replace(new int[] {1, 1, 1}, 1, 1, 9));
    assertArrayEquals(new int[] {0, 9, 9, 3}, WordpieceTrainer.replace(new int[] {0, 1, 2, 1, 2, 3}, 1, 2, 9));
    int[] none = {1, 2};
    assertTrue(none == WordpieceTrainer.replace(none, 2, 1, 9));
  }

  /**
   * The incremental loop learns exactly what recounting every pair from scratch before each merge learns, on a
   * corpus with few letters, so pieces are reached by several merge paths and frequencies change everywhere.
   */
  @Test
  void incrementalCountsAgreeWithRecountingEverythingAtEachMerge() {
    Random random = new Random(7);
    Map<String, Long> counts = new TreeMap<>();
    for (int i = 0; i < 300; i++) {
      StringBuilder word = new StringBuilder();
      for (int n = 1 + random.nextInt(8); n > 0; n--) {
        word.append("abcde".charAt(Math.min(4, (int) Math.abs(random.nextGaussian() * 1.5))));
      }
      counts.merge(word.toString(), 1L + random.nextInt(20), Long::sum);
    }
    for (long minFrequency : new long[] {1, 5}) {
      List<String> expected = recountingTrainer(400, minFrequency, counts);
      assertTrue(expected.size() > 60, "the oracle merges plenty: " + expected.size());
      assertEquals(expected, train(400, minFrequency, counts), "min_frequency " + minFrequency);
    }
    assertEquals(train(400, 1, counts), train(400, 1, new TreeMap<>(counts)), "deterministic");
  }

  /** The slow, obvious procedure: recount pieces and pairs over every word before each merge. */
  private static List<String> recountingTrainer(int vocabSize, long minFrequency, Map<String, Long> counts) {
    List<String> pieces = new ArrayList<>(WordpieceTrainer.alphabetPieces(WordpieceTrainer.alphabet(counts.keySet())));
    List<String> vocab = new ArrayList<>(SPECIALS);
    vocab.addAll(pieces);
    List<List<String>> words = new ArrayList<>();
    List<Long> wordCounts = new ArrayList<>();
    counts.forEach((word, count) -> {
      if (count >= minFrequency) {
        List<String> split = new ArrayList<>();
        word.codePoints().forEach(c -> split.add((split.isEmpty() ? "" : "##") + Character.toString(c)));
        words.add(split);
        wordCounts.add(count);
      }
    });
    while (vocab.size() < vocabSize) {
      Map<String, Long> frequency = new TreeMap<>();
      Map<List<String>, Long> pairs = new TreeMap<>((x, y) -> x.get(0).equals(y.get(0))
          ? x.get(1).compareTo(y.get(1)) : x.get(0).compareTo(y.get(0)));
      for (int w = 0; w < words.size(); w++) {
        List<String> word = words.get(w);
        for (int i = 0; i < word.size(); i++) {
          frequency.merge(word.get(i), wordCounts.get(w), Long::sum);
          if (i + 1 < word.size()) {
            pairs.merge(List.of(word.get(i), word.get(i + 1)), wordCounts.get(w), Long::sum);
          }
        }
      }
      List<String> best = null;
      double bestScore = -1;
      long bestCount = 0;
      for (Map.Entry<List<String>, Long> pair : pairs.entrySet()) {
        long count = pair.getValue();
        if (count < minFrequency) {
          continue;
        }
        double score = count / ((double) frequency.get(pair.getKey().get(0)) * frequency.get(pair.getKey().get(1)));
        int first = pieces.indexOf(pair.getKey().get(0));
        int second = pieces.indexOf(pair.getKey().get(1));
        boolean better = best == null || score > bestScore || (score == bestScore && (count > bestCount
            || (count == bestCount && (first < pieces.indexOf(best.get(0))
            || (first == pieces.indexOf(best.get(0)) && second < pieces.indexOf(best.get(1)))))));
        if (better) {
          best = pair.getKey();
          bestScore = score;
          bestCount = count;
        }
      }
      if (best == null) {
        break;
      }
      String merged = best.get(0) + best.get(1).substring(2);
      if (!pieces.contains(merged)) {
        pieces.add(merged);
        vocab.add(merged);
      }
      for (List<String> word : words) {
        for (int i = 0; i + 1 < word.size(); i++) {
          if (word.get(i).equals(best.get(0)) && word.get(i + 1).equals(best.get(1))) {
            word.set(i, merged);
            word.remove(i + 1);
          }
        }
      }
    }
    return vocab;
  }
}
