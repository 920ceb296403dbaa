package electra.trainer.runtime;

/**
 * NVIDIA's pre-training schedule (spec §3.5), a pure function of the optimizer step: linear warmup from 0 to the
 * peak over W steps, then polynomial decay to {@code endLr} over the remaining T − W steps.
 *
 * <pre>
 *   step &lt; W:  lr = peak · step / W
 *   step ≥ W:  lr = (peak − endLr) · (1 − min(step − W, T − W) / (T − W))^power + endLr
 * </pre>
 *
 * {@code step} counts updates already applied (Keras' {@code optimizer.iterations}), so the first update uses 0.
 */
public record LearningRateSchedule(double peak, double endLr, long warmupSteps, long totalSteps, double power) {

  public LearningRateSchedule {
    if (!(peak > 0) || endLr < 0 || warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps || !(power > 0)) {
      throw new IllegalArgumentException("bad schedule: peak " + peak + ", end " + endLr + ", warmup " + warmupSteps
          + ", total " + totalSteps + ", power " + power);
    }
  }

  /** The learning rate of the update that follows {@code step} applied updates. */
  public double at(long step) {
    if (step < warmupSteps) {
      return peak * step / warmupSteps;
    }
    long decaySteps = totalSteps - warmupSteps;
    if (decaySteps == 0) {
      return endLr;
    }
    double done = Math.min(step - warmupSteps, decaySteps) / (double) decaySteps;
    return (peak - endLr) * Math.pow(1 - done, power) + endLr;
  }
}
