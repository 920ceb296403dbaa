package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MaskingTest {

  private static final Masking.SpecialIds SPECIAL = new Masking.SpecialIds(101, 102, 103, 0);

  /** B rows of length T: [CLS] words [SEP] words [SEP] then padding; real length varies by row. */
  private static int[][] batch(int b, int t) {
    int[] ids = new int[b * t];
    int[] mask = new int[b * t];
    for (int r = 0; r < b; r++) {
      int real = t - (r % 5) * (t / 6);
      for (int i = 0; i < real; i++) {
        int id = i == 0 ? 101 : (i == real / 2 || i == real - 1) ? 102 : 1000 + (r * 31 + i * 7) % 20000;
        ids[r * t + i] = id;
        mask[r * t + i] = 1;
      }
    }
    return new int[][] {ids, mask, new int[b * t]};
  }

  @Test
  void neverMasksSpecialTokensOrPaddingAndHitsTheRates() {
    int b = 400;
    int t = 128;
    int n = (int) ((0.15 + 0.005) * t);
    assertEquals(19, n);
    int[][] in = batch(b, t);
    MaskedBatch m = Masking.mask(in[0], in[1], in[2], b, t, n, 0.15, SPECIAL, Masking.randomFor(7, 0));
    long chosen = 0;
    long shownAsMask = 0;
    for (int r = 0; r < b; r++) {
      int real = 0;
      for (int i = 0; i < t; i++) {
        real += in[1][r * t + i];
      }
      int used = 0;
      Set<Integer> positions = new HashSet<>();
      for (int s = 0; s < n; s++) {
        int slot = r * n + s;
        if (m.maskedLmWeights()[slot] == 0) {
          assertEquals(0, m.maskedLmPositions()[slot]);
          assertEquals(0, m.maskedLmIds()[slot]);
          continue;
        }
        used++;
        int pos = m.maskedLmPositions()[slot];
        int original = in[0][r * t + pos];
        assertTrue(positions.add(pos), "position drawn twice");
        assertEquals(1, in[1][r * t + pos], "padding masked");
        assertTrue(original != 101 && original != 102 && original != 0, "special token " + original + " masked");
        assertEquals(original, m.maskedLmIds()[slot]);
        int shown = m.maskedInputIds()[r * t + pos];
        assertTrue(shown == 103 || shown == original, "a masked slot shows [MASK] or the original, never another");
        shownAsMask += shown == 103 ? 1 : 0;
      }
      assertEquals(Math.max(1, Math.min(n, (int) Math.rint(real * 0.15))), used, "row " + r + " of " + real);
      chosen += used;
      for (int i = 0; i < t; i++) {
        if (!positions.contains(i)) {
          assertEquals(in[0][r * t + i], m.maskedInputIds()[r * t + i], "unchosen position changed");
        }
      }
    }
    double maskRate = shownAsMask / (double) chosen;
    assertTrue(Math.abs(maskRate - 0.85) < 0.02, "[MASK] share " + maskRate + " of " + chosen);
    assertArrayEquals(in[0], Masking.unmask(m), "unmask restores the original ids");
  }

  @Test
  void masksArePureFunctionsOfSeedAndStep() {
    int[][] in = batch(8, 64);
    MaskedBatch a = Masking.mask(in[0], in[1], in[2], 8, 64, 10, 0.15, SPECIAL, Masking.randomFor(3, 41));
    MaskedBatch again = Masking.mask(in[0], in[1], in[2], 8, 64, 10, 0.15, SPECIAL, Masking.randomFor(3, 41));
    MaskedBatch next = Masking.mask(in[0], in[1], in[2], 8, 64, 10, 0.15, SPECIAL, Masking.randomFor(3, 42));
    assertArrayEquals(a.maskedLmPositions(), again.maskedLmPositions());
    assertArrayEquals(a.maskedInputIds(), again.maskedInputIds());
    assertNotEquals(java.util.Arrays.toString(a.maskedLmPositions()),
        java.util.Arrays.toString(next.maskedLmPositions()));
  }
}
