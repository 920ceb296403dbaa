package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class MicroBatcherTest {

  @Test
  void requestsWaitUntilTheBatchIsFullOrTheSourceRunsDry() {
    MicroBatcher<String> b = new MicroBatcher<>(3);
    assertEquals(List.of(), b.add("a"));
    assertEquals(List.of(), b.add("b"));
    assertEquals(List.of("a", "b", "c"), b.add("c"), "a full batch runs at once");
    assertEquals(List.of(), b.add("d"));
    assertEquals(List.of("d"), b.idle(), "a mark runs what is waiting");
    assertEquals(List.of(), b.drain());
  }

  @Test
  void afterAMarkThatFoundNothingWaitingTheNextRequestRunsAlone() {
    MicroBatcher<String> b = new MicroBatcher<>(4);
    assertEquals(List.of(), b.idle());
    assertEquals(List.of(), b.idle());
    assertEquals(List.of("lone"), b.add("lone"), "the queue was dry: no wait for the next mark");
    assertEquals(List.of(), b.add("x"), "the request after it batches again");
    assertEquals(List.of("x"), b.idle());
  }

  @Test
  void aMarkThatRanABatchDoesNotMakeTheNextRequestRunAlone() {
    MicroBatcher<String> b = new MicroBatcher<>(4);
    b.add("a");
    assertEquals(List.of("a"), b.idle());
    // Requests that queued while "a" was answered arrive back to back: they form one batch.
    assertEquals(List.of(), b.add("b"));
    assertEquals(List.of(), b.add("c"));
    assertEquals(List.of("b", "c"), b.idle());
  }

  @Test
  void theEndOfABundleTakesEverythingWaiting() {
    MicroBatcher<String> b = new MicroBatcher<>(4);
    b.idle();
    assertEquals(List.of(), b.drain());
    assertEquals(List.of("a"), b.add("a"), "a bundle's end with nothing waiting leaves the queue known as dry");
    assertEquals(List.of(), b.add("b"));
    assertEquals(List.of(), b.add("c"));
    assertEquals(List.of("b", "c"), b.drain());
    assertEquals(List.of(), b.add("d"), "after a drain that ran a batch, nothing is known of the queue");
    assertEquals(List.of("d"), b.drain());
  }

  @Test
  void aBatchSizeBelowOneIsRefused() {
    assertEquals("the batch size must be at least 1, got 0",
        assertThrows(IllegalArgumentException.class, () -> new MicroBatcher<String>(0)).getMessage());
  }
}
