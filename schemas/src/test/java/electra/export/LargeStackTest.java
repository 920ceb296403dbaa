package electra.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LargeStackTest {

  /** Deeper than a default 1 MB thread stack holds (about 100 bytes a frame). */
  private static int depth(int n) {
    return n == 0 ? 0 : 1 + depth(n - 1);
  }

  @Test
  void runsTheTaskOnItsOwnThreadWithTheStackItAsksFor() {
    assertEquals("deep", LargeStack.call("deep", 256L << 20, () -> Thread.currentThread().getName()));
    assertEquals(200_000, LargeStack.call("deep", 256L << 20, () -> depth(200_000)));
  }

  @Test
  void failuresReachTheCaller() {
    IllegalStateException thrown = new IllegalStateException("no");
    assertSame(thrown, assertThrows(IllegalStateException.class, () -> LargeStack.call("fails", 1 << 20, () -> {
      throw thrown;
    })));
    assertThrows(StackOverflowError.class, () -> LargeStack.call("shallow", 1 << 20, () -> depth(1_000_000)));
  }
}
