package electra.trainer.pretrain;

import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Dynamic masking of one batch in Java (spec §2.2), a pure function of the batch and a random generator, so a
 * step's masks depend only on (seed, step) and a resumed run masks exactly as an uninterrupted one.
 *
 * <p>Per sequence: candidates are real tokens ({@code input_mask} 1) other than [CLS], [SEP], [MASK] and [PAD];
 * k = max(1, min(N, round_half_even(real tokens × maskProb))), at most the number of candidates; k positions
 * are drawn uniformly <em>without</em> replacement (a documented deviation from Google, whose draw with
 * replacement can write an arbitrary averaged token on duplicates); each chosen token becomes [MASK] with
 * probability 0.85 and stays itself otherwise (no random-token replacement). Unused slots have position 0, id 0
 * and weight 0.
 */
public final class Masking {

  /** Probability that a chosen position shows [MASK]; the rest keep the original token. */
  public static final double MASK_TOKEN_PROB = 0.85;

  /** Token ids that are never masked, and the [MASK] id. */
  public record SpecialIds(int cls, int sep, int mask, int pad) {}

  private Masking() {}

  /**
   * Masks a batch. {@code inputIds}, {@code inputMask} are [batch × length] row-major; N =
   * {@code maxPredictions}. Per chosen slot, {@code random} gives one {@code nextInt} (which remaining candidate)
   * and one {@code nextDouble} ([MASK] below {@link #MASK_TOKEN_PROB}); a test may script those draws.
   */
  public static MaskedBatch mask(int[] inputIds, int[] inputMask, int[] segmentIds, int batch, int length,
      int maxPredictions, double maskProb, SpecialIds special, RandomGenerator random) {
    if (inputIds.length != batch * length || inputMask.length != inputIds.length
        || segmentIds.length != inputIds.length) {
      throw new IllegalArgumentException("batch arrays must hold " + batch + " x " + length + " values");
    }
    int n = maxPredictions;
    int[] masked = inputIds.clone();
    int[] positions = new int[batch * n];
    int[] ids = new int[batch * n];
    float[] weights = new float[batch * n];
    int[] candidates = new int[length];
    for (int b = 0; b < batch; b++) {
      int row = b * length;
      int realTokens = 0;
      int count = 0;
      for (int t = 0; t < length; t++) {
        if (inputMask[row + t] == 1) {
          realTokens++;
          int id = inputIds[row + t];
          if (id != special.cls() && id != special.sep() && id != special.mask() && id != special.pad()) {
            candidates[count++] = t;
          }
        }
      }
      int k = Math.min(count, Math.max(1, Math.min(n, (int) Math.rint(realTokens * maskProb))));
      for (int i = 0; i < k; i++) {
        int j = i + random.nextInt(count - i); // partial Fisher-Yates: k distinct candidates
        int pos = candidates[j];
        candidates[j] = candidates[i];
        candidates[i] = pos;
        positions[b * n + i] = pos;
        ids[b * n + i] = inputIds[row + pos];
        weights[b * n + i] = 1f;
        if (random.nextDouble() < MASK_TOKEN_PROB) {
          masked[row + pos] = special.mask();
        }
      }
    }
    return new MaskedBatch(batch, length, n, masked, inputMask.clone(), segmentIds.clone(), positions, ids, weights);
  }

  /** The original ids of a masked batch: the masked ids with each used slot's original token written back. */
  public static int[] unmask(MaskedBatch m) {
    int[] out = m.maskedInputIds().clone();
    for (int b = 0; b < m.batch(); b++) {
      for (int i = 0; i < m.maxPredictions(); i++) {
        int slot = b * m.maxPredictions() + i;
        if (m.maskedLmWeights()[slot] > 0) {
          out[b * m.length() + m.maskedLmPositions()[slot]] = m.maskedLmIds()[slot];
        }
      }
    }
    return out;
  }

  /** The generator of step {@code step} (micro-batch index) of a run with {@code seed}: SplitMix of both. */
  public static SplittableRandom randomFor(long seed, long step) {
    return new SplittableRandom(mix(seed) ^ mix(step + 0x632BE59BD9B4E019L));
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
