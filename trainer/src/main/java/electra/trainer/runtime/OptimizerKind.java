package electra.trainer.runtime;

import java.util.Locale;

/** The update rule: LAMB (NVIDIA's pre-training) or Adam with decoupled weight decay (Google's, and fine-tuning). */
public enum OptimizerKind {
  LAMB, ADAM;

  /** {@code lamb}, {@code adam} or {@code adamw}, in any case. */
  public static OptimizerKind parse(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "lamb" -> LAMB;
      case "adam", "adamw" -> ADAM;
      default -> throw new IllegalArgumentException("unknown optimizer '" + name + "': choose lamb or adam");
    };
  }
}
