package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

  @Test
  void linearWarmupThenPolynomialDecayToEndLr() {
    // NVIDIA phase 1: 6e-3, warmup 2000 of 10000, power 0.5, end 0.
    LearningRateSchedule s = new LearningRateSchedule(6e-3, 0, 2000, 10000, 0.5);
    assertEquals(0, s.at(0), 0);
    assertEquals(6e-3 * 500 / 2000, s.at(500), 1e-15);
    assertEquals(6e-3, s.at(2000), 1e-15);
    assertEquals(6e-3 * Math.sqrt(1 - 2000.0 / 8000), s.at(4000), 1e-15);
    assertEquals(0, s.at(10000), 0);
    assertEquals(0, s.at(12000), 0, "after the last step the rate stays at end_lr");

    LearningRateSchedule linear = new LearningRateSchedule(1e-3, 1e-5, 10, 110, 1.0);
    assertEquals(1e-3 * 3 / 10, linear.at(3), 1e-18);
    assertEquals((1e-3 - 1e-5) * (1 - 50 / 100.0) + 1e-5, linear.at(60), 1e-15);
    assertEquals(1e-5, linear.at(110), 1e-18);
  }

  @Test
  void noWarmupStartsAtThePeak() {
    LearningRateSchedule s = new LearningRateSchedule(2e-4, 0, 0, 100, 1.0);
    assertEquals(2e-4, s.at(0), 0);
    assertEquals(2e-4 * 0.75, s.at(25), 1e-18);
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(1e-3, 0, 200, 100, 1));
    assertThrows(IllegalArgumentException.class, () -> new LearningRateSchedule(0, 0, 0, 100, 1));
  }
}
