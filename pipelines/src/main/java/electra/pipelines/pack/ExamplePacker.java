package electra.pipelines.pack;

import electra.records.PretrainingExample;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Packs the tokenized sentences of one document into ELECTRA pre-training examples, following Google's
 * {@code build_pretraining_dataset.py} {@code ExampleBuilder} (electra-spec §4.2):
 * <ul>
 *   <li>sentences accumulate until their tokens reach the target length, then an example is emitted; the end of the
 *       document flushes what is left, so examples never cross documents;</li>
 *   <li>10% of examples have a single segment; otherwise segment A aims at (target - 3) / 2 tokens and each sentence
 *       goes to A when A is empty, when it still fits, or (while B is empty and A is short) on a fair coin;</li>
 *   <li>A is cut to max - 2 tokens, B to what is left after [CLS] A [SEP] ... [SEP];</li>
 *   <li>after each example the next target is max, or with probability 5% uniform in [5, max].</li>
 * </ul>
 * One deviation, on purpose: Google's builder carries its target length from one document into the next within a
 * file, which ties the output to how files are split among workers. Here each document starts with a target drawn
 * by the same 5% rule from the document's own random stream, so output depends only on the document and the seed.
 */
public final class ExamplePacker implements Serializable {

  /** Chance that an example holds one segment only, as in classification inputs. */
  static final double SINGLE_SEGMENT_PROBABILITY = 0.1;
  /** Chance that the next example aims at a random length instead of the maximum. */
  static final double SHORT_TARGET_PROBABILITY = 0.05;
  /** Shortest random target length. */
  static final int MIN_RANDOM_TARGET = 5;
  /** Segment-A target that never binds, for single-segment examples. */
  private static final int UNBOUNDED_TARGET = 100_000;

  private final int maxSeqLength;
  private final int clsId;
  private final int sepId;

  public ExamplePacker(int maxSeqLength, int clsId, int sepId) {
    if (maxSeqLength < MIN_RANDOM_TARGET) {
      throw new IllegalArgumentException("max_seq_length must be at least " + MIN_RANDOM_TARGET + ", got " + maxSeqLength);
    }
    this.maxSeqLength = maxSeqLength;
    this.clsId = clsId;
    this.sepId = sepId;
  }

  public int maxSeqLength() {
    return maxSeqLength;
  }

  /** Packs one document, given as its sentences' token ids in order; {@code random} is the document's own stream. */
  public List<PretrainingExample> pack(List<int[]> sentences, RandomGenerator random) {
    List<PretrainingExample> examples = new ArrayList<>();
    List<int[]> buffer = new ArrayList<>();
    int buffered = 0;
    int target = nextTarget(random);
    for (int[] sentence : sentences) {
      buffer.add(sentence);
      buffered += sentence.length;
      if (buffered >= target) {
        examples.add(emit(buffer, target, random));
        buffer.clear();
        buffered = 0;
        target = nextTarget(random);
      }
    }
    if (buffered > 0) {
      examples.add(emit(buffer, target, random));
    }
    return examples;
  }

  private int nextTarget(RandomGenerator random) {
    return random.nextDouble() < SHORT_TARGET_PROBABILITY
        ? random.nextInt(MIN_RANDOM_TARGET, maxSeqLength + 1)
        : maxSeqLength;
  }

  private PretrainingExample emit(List<int[]> sentences, int target, RandomGenerator random) {
    int firstTarget = random.nextDouble() < SINGLE_SEGMENT_PROBABILITY ? UNBOUNDED_TARGET : (target - 3) / 2;
    TokenRun first = new TokenRun();
    TokenRun second = new TokenRun();
    for (int[] sentence : sentences) {
      boolean intoFirst = first.length == 0
          || first.length + sentence.length < firstTarget
          || (second.length == 0 && first.length < firstTarget && random.nextDouble() < 0.5);
      (intoFirst ? first : second).append(sentence);
    }
    int[] a = first.truncated(maxSeqLength - 2);
    int[] b = second.truncated(Math.max(0, maxSeqLength - a.length - 3));
    return assemble(a, b);
  }

  /** {@code [CLS] A [SEP] (B [SEP])}, then zero padding to the maximum length. */
  PretrainingExample assemble(int[] a, int[] b) {
    int[] ids = new int[maxSeqLength];
    int[] mask = new int[maxSeqLength];
    int[] segments = new int[maxSeqLength];
    int n = 0;
    ids[n++] = clsId;
    System.arraycopy(a, 0, ids, n, a.length);
    n += a.length;
    ids[n++] = sepId;
    if (b.length > 0) {
      System.arraycopy(b, 0, ids, n, b.length);
      Arrays.fill(segments, n, n + b.length + 1, 1);
      n += b.length;
      ids[n++] = sepId;
    }
    Arrays.fill(mask, 0, n, 1);
    return new PretrainingExample(ids, mask, segments);
  }

  /** A growing run of token ids (segment A or B). */
  private static final class TokenRun {
    private int[] tokens = new int[64];
    private int length;

    void append(int[] sentence) {
      if (length + sentence.length > tokens.length) {
        tokens = Arrays.copyOf(tokens, Math.max(tokens.length * 2, length + sentence.length));
      }
      System.arraycopy(sentence, 0, tokens, length, sentence.length);
      length += sentence.length;
    }

    int[] truncated(int limit) {
      return Arrays.copyOf(tokens, Math.min(length, limit));
    }
  }
}
