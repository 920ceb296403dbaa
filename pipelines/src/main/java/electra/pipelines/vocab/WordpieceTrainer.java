package electra.pipelines.vocab;

import electra.cli.UsageException;
import electra.tokenization.BasicTokenizer;
import electra.tokenization.Vocabulary;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Learns a WordPiece vocabulary from word counts, the way BERT's authors describe it and Hugging Face's
 * {@code tokenizers} trains one: every word starts as its characters (the first as itself, the rest as {@code ##}
 * continuation pieces); the alphabet enters the vocabulary first, after the special tokens; then the adjacent pair
 * of pieces with the highest likelihood score {@code freq(pair) / (freq(first) * freq(second))} is merged into one
 * new piece, again and again, until the vocabulary has {@code vocabSize} entries or no pair is left that occurs at
 * least {@code minFrequency} times. (Hugging Face's WordPieceTrainer ranks pairs by their count alone, as BPE does;
 * the likelihood score is the WordPiece criterion, which prefers pairs whose parts rarely occur apart.)
 *
 * <p>The loop keeps every pair's count, the words each pair occurs in, and a priority queue of scores, and updates
 * them incrementally: a merge touches only the words holding its pair, and re-queues only the pairs whose count or
 * whose parts' frequencies changed. Stale queue entries are recognised when they come up and dropped. Ties are
 * broken by count, then by the pieces' order of creation, so the same counts always give the same vocabulary.
 */
public final class WordpieceTrainer {

  /** The special tokens, first in every vocabulary built here: [PAD] is id 0, which pads every record. */
  public static final List<String> SPECIAL_TOKENS =
      List.of(Vocabulary.PAD, Vocabulary.UNK, Vocabulary.CLS, Vocabulary.SEP, Vocabulary.MASK);

  private static final String CONTINUATION = "##";

  private final int vocabSize;
  private final long minFrequency;

  /**
   * @param vocabSize the most entries the vocabulary may have, special tokens and alphabet included
   * @param minFrequency words rarer than this take no part in merges, and no rarer pair is merged
   */
  public WordpieceTrainer(int vocabSize, long minFrequency) {
    if (vocabSize <= SPECIAL_TOKENS.size()) {
      throw new UsageException("--vocab_size must exceed the " + SPECIAL_TOKENS.size() + " special tokens, got "
          + vocabSize);
    }
    if (minFrequency < 1) {
      throw new UsageException("--min_frequency must be at least 1, got " + minFrequency);
    }
    this.vocabSize = vocabSize;
    this.minFrequency = minFrequency;
  }

  /** Every character (code point) of these words. */
  public static SortedSet<Integer> alphabet(Iterable<String> words) {
    SortedSet<Integer> alphabet = new TreeSet<>();
    for (String word : words) {
      word.codePoints().forEach(alphabet::add);
    }
    return alphabet;
  }

  /**
   * The pieces the alphabet contributes: each character as a word-initial piece, then each as a {@code ##} piece,
   * in code point order; characters that always stand alone (punctuation, CJK) never continue a word and get no
   * {@code ##} piece.
   */
  public static List<String> alphabetPieces(SortedSet<Integer> alphabet) {
    List<String> pieces = new ArrayList<>();
    for (int c : alphabet) {
      pieces.add(Character.toString(c));
    }
    for (int c : alphabet) {
      if (!BasicTokenizer.standsAlone(c)) {
        pieces.add(CONTINUATION + Character.toString(c));
      }
    }
    return pieces;
  }

  /**
   * The vocabulary in id order: special tokens, alphabet, merged pieces in the order they were learnt.
   *
   * @param wordCounts basic tokens (as BasicTokenizer makes them) and how often each occurs; only those occurring at
   *     least {@code minFrequency} times are merged
   * @param alphabet every character of the corpus, rare words' too; must cover the words' characters
   */
  public List<String> train(SortedMap<String, Long> wordCounts, SortedSet<Integer> alphabet) {
    List<String> vocabulary = new ArrayList<>(SPECIAL_TOKENS);
    List<String> pieces = alphabetPieces(alphabet);
    if (vocabulary.size() + pieces.size() > vocabSize) {
      throw new UsageException("the corpus has " + alphabet.size() + " distinct characters, which need "
          + pieces.size() + " pieces besides the " + SPECIAL_TOKENS.size() + " special tokens: raise --vocab_size "
          + "to at least " + (vocabulary.size() + pieces.size()));
    }
    vocabulary.addAll(pieces);
    Merges merges = new Merges(pieces, wordCounts);
    while (vocabulary.size() < vocabSize) {
      String piece = merges.next();
      if (piece == null) {
        break;
      }
      vocabulary.add(piece);
    }
    return vocabulary;
  }

  /** One queued pair: its score and count when queued, and its two pieces' ids. */
  private record Candidate(double score, long count, int first, int second) {}

  private static final Comparator<Candidate> BEST_FIRST = Comparator.comparingDouble(Candidate::score).reversed()
      .thenComparing(Comparator.comparingLong(Candidate::count).reversed())
      .thenComparingInt(Candidate::first)
      .thenComparingInt(Candidate::second);

  /** An adjacent pair of pieces: how often it occurs, weighted by word count, and the words it may occur in. */
  private static final class Pair {
    long count;
    int[] words = new int[2];
    int size;

    /** Remembers a word the pair occurs in (a word listed before may be listed again; merging skips repeats). */
    void addWord(int word) {
      if (size > 0 && words[size - 1] == word) {
        return;
      }
      if (size == words.length) {
        words = Arrays.copyOf(words, size * 2);
      }
      words[size++] = word;
    }
  }

  /** The merge loop's state: pieces, the words as pieces, pair counts, piece frequencies and the queue. */
  private final class Merges {
    private final List<String> pieces = new ArrayList<>();
    private final Map<String, Integer> pieceIds = new HashMap<>();
    private final List<Set<Long>> pairsOfPiece = new ArrayList<>();
    private long[] frequency = new long[64];
    private final int[][] words;
    private final long[] counts;
    /** The merge that last looked at each word, so a word listed twice under a pair is merged once. */
    private final int[] mergedBy;
    private final Map<Long, Pair> pairs = new HashMap<>();
    private final PriorityQueue<Candidate> queue = new PriorityQueue<>(BEST_FIRST);
    private int merge;

    Merges(List<String> alphabetPieces, SortedMap<String, Long> wordCounts) {
      alphabetPieces.forEach(this::pieceId);
      List<int[]> kept = new ArrayList<>();
      List<Long> keptCounts = new ArrayList<>();
      wordCounts.forEach((word, count) -> {
        if (count >= minFrequency) {
          kept.add(initialPieces(word));
          keptCounts.add(count);
        }
      });
      words = kept.toArray(int[][]::new);
      counts = keptCounts.stream().mapToLong(Long::longValue).toArray();
      mergedBy = new int[words.length];
      Arrays.fill(mergedBy, -1);
      for (int w = 0; w < words.length; w++) {
        int[] word = words[w];
        for (int i = 0; i < word.length; i++) {
          frequency[word[i]] += counts[w];
          if (i + 1 < word.length) {
            addToPair(word[i], word[i + 1], counts[w], w);
          }
        }
      }
      pairs.keySet().forEach(this::enqueue);
    }

    private int[] initialPieces(String word) {
      int[] codePoints = word.codePoints().toArray();
      int[] ids = new int[codePoints.length];
      for (int i = 0; i < codePoints.length; i++) {
        String piece = (i == 0 ? "" : CONTINUATION) + Character.toString(codePoints[i]);
        Integer id = pieceIds.get(piece);
        if (id == null) {
          throw new IllegalArgumentException("the alphabet lacks '" + piece + "' of the word '" + word + "'");
        }
        ids[i] = id;
      }
      return ids;
    }

    private int pieceId(String piece) {
      Integer known = pieceIds.get(piece);
      if (known != null) {
        return known;
      }
      int id = pieces.size();
      pieces.add(piece);
      pieceIds.put(piece, id);
      pairsOfPiece.add(new HashSet<>());
      if (id == frequency.length) {
        frequency = Arrays.copyOf(frequency, id * 2);
      }
      return id;
    }

    /** Merges the best pair and returns its piece when that piece is new; null when no pair is left to merge. */
    String next() {
      while (!queue.isEmpty()) {
        Candidate best = queue.poll();
        long key = key(best.first(), best.second());
        if (!best.equals(candidate(key))) {
          continue; // queued before its count or its pieces' frequencies changed
        }
        int before = pieces.size();
        int merged = apply(best.first(), best.second());
        if (queue.size() > 4 * pairs.size() + 1024) {
          rebuildQueue();
        }
        if (pieces.size() > before) {
          return pieces.get(merged);
        }
      }
      return null;
    }

    /** Replaces the pair in every word that holds it and re-queues what that changed; returns the merged piece. */
    private int apply(int first, int second) {
      merge++;
      int merged = pieceId(pieces.get(first) + pieces.get(second).substring(CONTINUATION.length()));
      Pair pair = pairs.get(key(first, second));
      Map<Long, Long> netChange = new HashMap<>();
      int[] holders = Arrays.copyOf(pair.words, pair.size);
      for (int w : holders) {
        if (mergedBy[w] == merge) {
          continue;
        }
        mergedBy[w] = merge;
        int[] before = words[w];
        int[] after = replace(before, first, second, merged);
        if (after == before) {
          continue; // the word held the pair once, an earlier merge took it apart
        }
        long count = counts[w];
        for (int i = 0; i < before.length; i++) {
          frequency[before[i]] -= count;
          if (i + 1 < before.length) {
            netChange.merge(addToPair(before[i], before[i + 1], -count, w), -count, Long::sum);
          }
        }
        for (int i = 0; i < after.length; i++) {
          frequency[after[i]] += count;
          if (i + 1 < after.length) {
            netChange.merge(addToPair(after[i], after[i + 1], count, w), count, Long::sum);
          }
        }
        words[w] = after;
      }
      Set<Long> requeue = new HashSet<>();
      netChange.forEach((key, change) -> {
        if (change != 0) {
          requeue.add(key);
        }
      });
      for (long key : netChange.keySet()) {
        Pair p = pairs.get(key);
        if (p != null && p.count == 0) {
          pairs.remove(key);
          pairsOfPiece.get(firstOf(key)).remove(key);
          pairsOfPiece.get(secondOf(key)).remove(key);
          requeue.remove(key);
        }
      }
      // the three pieces whose frequency changed change the score of every pair they are part of
      for (int piece : new int[] {first, second, merged}) {
        requeue.addAll(pairsOfPiece.get(piece));
      }
      requeue.forEach(this::enqueue);
      return merged;
    }

    /** Adds {@code change} to the pair's count, creating it when new; returns its key. */
    private long addToPair(int first, int second, long change, int word) {
      long key = key(first, second);
      Pair pair = pairs.get(key);
      if (pair == null) {
        pair = new Pair();
        pairs.put(key, pair);
        pairsOfPiece.get(first).add(key);
        pairsOfPiece.get(second).add(key);
      }
      pair.count += change;
      if (change > 0) {
        pair.addWord(word);
      }
      return key;
    }

    /** The pair's entry as it would be queued now; null when it no longer occurs. */
    private Candidate candidate(long key) {
      Pair pair = pairs.get(key);
      if (pair == null || pair.count == 0) {
        return null;
      }
      int first = firstOf(key);
      int second = secondOf(key);
      double score = pair.count / ((double) frequency[first] * frequency[second]);
      return new Candidate(score, pair.count, first, second);
    }

    private void enqueue(long key) {
      Candidate candidate = candidate(key);
      if (candidate != null && candidate.count() >= minFrequency) {
        queue.add(candidate);
      }
    }

    /** Drops the stale entries: one current entry per pair. */
    private void rebuildQueue() {
      queue.clear();
      pairs.keySet().forEach(this::enqueue);
    }
  }

  /** The word with each occurrence of {@code first second} replaced by {@code merged}; the same array if none. */
  static int[] replace(int[] word, int first, int second, int merged) {
    int[] out = null;
    int n = 0;
    for (int i = 0; i < word.length; i++) {
      boolean match = i + 1 < word.length && word[i] == first && word[i + 1] == second;
      if (match && out == null) {
        out = Arrays.copyOf(word, word.length - 1);
        n = i;
      }
      if (match) {
        out[n++] = merged;
        i++;
      } else if (out != null) {
        out[n++] = word[i];
      }
    }
    return out == null ? word : Arrays.copyOf(out, n);
  }

  private static long key(int first, int second) {
    return ((long) first << 32) | (second & 0xFFFFFFFFL);
  }

  private static int firstOf(long key) {
    return (int) (key >>> 32);
  }

  private static int secondOf(long key) {
    return (int) key;
  }
}
