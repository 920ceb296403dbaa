package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.cli.UsageException;
import org.junit.jupiter.api.Test;

/** The request limits' defaults come from their flags; each bad limit names its flag. */
class RequestLimitsTest {

  @Test
  void defaultsAreTheFlagsDefaults() {
    assertEquals(new RequestLimits(1_000, 0, 20_000, 16), RequestLimits.DEFAULTS);
  }

  @Test
  void aBadLimitNamesItsFlag() {
    assertEquals("--max_question_tokens must be at least 0, got -1",
        assertThrows(UsageException.class, () -> new RequestLimits(1_000, -1, 20_000, 16)).getMessage());
    assertEquals("--max_windows must be at least 1, got 0",
        assertThrows(UsageException.class, () -> new RequestLimits(1_000, 0, 20_000, 0)).getMessage());
  }
}
