package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  private static final long MS = 1_000_000;

  /** Batches of {@code size}; requests wait at most 10 ms for others. */
  private static MicroBatcher<String> batcher(int size) {
    return new MicroBatcher<>(size, Duration.ofMillis(10));
  }

  @Test
  void requestsWaitUntilTheBatchIsFullOrTheSourceRunsDry() {
    MicroBatcher<String> b = batcher(3);
    assertEquals(List.of(), b.add("a", 0));
    assertEquals(List.of(), b.add("b", MS));
    assertEquals(List.of("a", "b", "c"), b.add("c", 2 * MS), "a full batch runs at once");
    assertEquals(List.of(), b.add("d", 3 * MS));
    assertEquals(List.of("d"), b.idle(), "a mark runs what is waiting");
    assertEquals(List.of(), b.drain());
  }

  @Test
  void aRequestArrivingAfterTheOldestWaitedItsLongestRunsTheBatch() {
    MicroBatcher<String> b = batcher(16);
    assertEquals(List.of(), b.add("a", 100 * MS));
    assertEquals(List.of(), b.add("b", 105 * MS));
    assertEquals(List.of(), b.add("c", 109 * MS), "a has waited 9 ms");
    assertEquals(List.of("a", "b", "c", "d"), b.add("d", 110 * MS), "a has waited 10 ms: requests arriving back "
        + "to back, with no mark between them, do not wait for a full batch or the bundle's end");
    assertEquals(List.of(), b.add("e", 111 * MS), "the wait counts from the oldest request still waiting");
    assertEquals(List.of(), b.add("f", 120 * MS));
    assertEquals(List.of("e", "f", "g"), b.add("g", 121 * MS));
  }

  @Test
  void afterAMarkThatFoundNothingWaitingTheNextRequestRunsAlone() {
    MicroBatcher<String> b = batcher(4);
    assertEquals(List.of(), b.idle());
    assertEquals(List.of(), b.idle());
    assertEquals(List.of("lone"), b.add("lone", 0), "the queue was dry: no wait for the next mark");
    assertEquals(List.of(), b.add("x", MS), "the request after it batches again");
    assertEquals(List.of("x"), b.idle());
  }

  @Test
  void aMarkThatRanABatchDoesNotMakeTheNextRequestRunAlone() {
    MicroBatcher<String> b = batcher(4);
    b.add("a", 0);
    assertEquals(List.of("a"), b.idle());
    // Requests that queued while "a" was answered arrive back to back: they form one batch.
    assertEquals(List.of(), b.add("b", 50 * MS));
    assertEquals(List.of(), b.add("c", 51 * MS));
    assertEquals(List.of("b", "c"), b.idle());
  }

  @Test
  void theEndOfABundleTakesEverythingWaiting() {
    MicroBatcher<String> b = batcher(4);
    b.idle();
    assertEquals(List.of(), b.drain());
    assertEquals(List.of("a"), b.add("a", 0), "a bundle's end with nothing waiting leaves the queue known as dry");
    assertEquals(List.of(), b.add("b", MS));
    assertEquals(List.of(), b.add("c", 2 * MS));
    assertEquals(List.of("b", "c"), b.drain());
    assertEquals(List.of(), b.add("d", 3 * MS), "after a drain that ran a batch, nothing is known of the queue");
    assertEquals(List.of("d"), b.drain());
  }

  @Test
  void aBatchSizeBelowOneOrANegativeWaitIsRefused() {
    assertEquals("the batch size must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
        () -> new MicroBatcher<String>(0, Duration.ofMillis(10))).getMessage());
    assertEquals("the longest wait must not be negative, got PT-0.001S", assertThrows(IllegalArgumentException.class,
        () -> new MicroBatcher<String>(1, Duration.ofMillis(-1))).getMessage());
  }
}
