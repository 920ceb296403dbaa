package electra.trainer.runtime;

/** The update rule: LAMB (NVIDIA's pre-training) or Adam with decoupled weight decay (Google's, and fine-tuning). */
public enum OptimizerKind { LAMB, ADAM }
