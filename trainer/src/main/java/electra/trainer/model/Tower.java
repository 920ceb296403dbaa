package electra.trainer.model;

/**
 * The two transformer towers of ELECTRA and the variable scope each lives under in Google's checkpoints. Both
 * use the shared embeddings under {@code electra/embeddings}.
 */
public enum Tower {
  DISCRIMINATOR("electra"),
  GENERATOR("generator");

  /** First component of the tower's variable names, e.g. {@code generator/encoder/layer_0/...}. */
  public final String scope;

  Tower(String scope) {
    this.scope = scope;
  }
}
