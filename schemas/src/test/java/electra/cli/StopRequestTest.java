package electra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StopRequestTest {

  @Test
  void actionsRunOnceAtTheRequestAndAtOnceWhenRegisteredLate() throws Exception {
    StopRequest stop = new StopRequest();
    List<String> ran = new ArrayList<>();
    stop.onRequest(() -> ran.add("early"));
    assertFalse(stop.requested());
    assertFalse(stop.await(Duration.ofMillis(10)), "no request yet");
    assertEquals(List.of(), ran);

    stop.request();
    stop.request(); // a second request does nothing
    assertTrue(stop.requested());
    assertTrue(stop.await(Duration.ofDays(1)), "returns at once after the request");
    assertEquals(List.of("early"), ran);

    stop.onRequest(() -> ran.add("late")); // a job whose trainer exists only after the request came
    assertEquals(List.of("early", "late"), ran);
  }

  @Test
  void aWaitEndsWhenAnotherThreadAsks() throws Exception {
    StopRequest stop = new StopRequest();
    Thread asker = new Thread(stop::request);
    asker.start();
    assertTrue(stop.await(Duration.ofMinutes(1)));
    asker.join();
  }
}
