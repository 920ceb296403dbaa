package electra.trainer.finetune;

import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Layer-wise learning-rate decay for fine-tuning (spec §3.6, [G] {@code _get_layer_lrs}): a variable at depth d
 * learns at {@code decay^(n_layers + 2 − d)} times the learning rate, where the embeddings and
 * {@code embeddings_project} are depth 0, encoder layer i is depth i + 1 and the task heads ({@code task_specific/},
 * {@code qa_outputs/} and {@code classifier/}) depth n_layers + 2 (multiplier 1). So the top encoder layer gets
 * decay², not decay. A variable matching none of these is an error, as in [G] and [N], so a new head cannot silently
 * escape the rule.
 */
public final class LayerwiseDecay implements ToDoubleFunction<String> {

  private static final Pattern LAYER = Pattern.compile("(?:^|/)encoder/layer_(\\d+)/");

  private final double decay;
  private final int layers;

  /** @param decay 0.8 for small/base, 0.9 for large; 1 switches the decay off */
  public LayerwiseDecay(double decay, int layers) {
    if (!(decay > 0 && decay <= 1)) {
      throw new IllegalArgumentException("layer-wise decay must be in (0, 1], got " + decay);
    }
    this.decay = decay;
    this.layers = layers;
  }

  /** Depth of a variable, by its Google name. */
  public int depth(String name) {
    if (name.contains("task_specific/") || name.startsWith("qa_outputs/") || name.startsWith("classifier/")) {
      return layers + 2;
    }
    Matcher m = LAYER.matcher(name);
    if (m.find()) {
      int layer = Integer.parseInt(m.group(1));
      if (layer >= layers) {
        throw new IllegalArgumentException("variable " + name + " is in layer " + layer + " of a " + layers
            + "-layer model");
      }
      return layer + 1;
    }
    if (name.contains("/embeddings/") || name.contains("/embeddings_project/")) {
      return 0;
    }
    throw new IllegalArgumentException("no layer-wise learning rate for variable '" + name
        + "' (expected embeddings, encoder/layer_i or a task head)");
  }

  @Override
  public double applyAsDouble(String name) {
    return Math.pow(decay, layers + 2 - depth(name));
  }
}
