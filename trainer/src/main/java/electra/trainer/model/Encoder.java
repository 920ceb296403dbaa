package electra.trainer.model;

import electra.model.ElectraConfig;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * One ELECTRA tower (discriminator or generator): the shared embeddings, the tower's own
 * {@code embeddings_project} when E != H, and the transformer layers. Gives the final hidden state of every
 * token, which is what every head reads.
 */
public final class Encoder {

  private final ModelGraph g;
  private final ElectraConfig config;
  private final Embeddings embeddings;
  private final Dense project;
  private final List<TransformerLayer> layers = new ArrayList<>();

  /**
   * @param config this tower's sizes; its embedding size must be the shared embeddings' (the generator of Google's
   *     recipe is narrower than the discriminator but reads the same E-wide table)
   */
  public Encoder(ModelGraph g, Tower tower, ElectraConfig config, Embeddings embeddings) {
    if (config.embeddingSize() != embeddings.config().embeddingSize()
        || config.vocabSize() != embeddings.config().vocabSize()) {
      throw new IllegalArgumentException(tower + " config " + config + " does not fit the shared embeddings "
          + embeddings.config() + ": embedding_size and vocab_size must be equal");
    }
    this.g = g;
    this.config = config;
    this.embeddings = embeddings;
    this.project = config.projectsEmbeddings()
        ? Dense.linear(g, tower.scope + "/embeddings_project", config.embeddingSize(), config.hiddenSize(),
            config.initializerRange())
        : null;
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      layers.add(new TransformerLayer(g, tower.scope + "/encoder/layer_" + i, config));
    }
  }

  /** Final hidden states [B, T, H]. */
  public Operand<TFloat32> apply(Operand<TInt32> inputIds, Operand<TInt32> inputMask, Operand<TInt32> segmentIds) {
    Ops tf = g.tf();
    Operand<TFloat32> x = embeddings.apply(inputIds, segmentIds);
    if (project != null) {
      x = project.apply(x);
    }
    Operand<TInt32> length = tf.gather(tf.shape(inputIds), tf.constant(1), tf.constant(0));
    Operand<TInt32> headShape = tf.stack(List.of(tf.constant(-1), length,
        tf.constant(config.numAttentionHeads()), tf.constant(config.headSize())));
    // Padding is masked as a key only ("to" positions); padded queries still get well-defined outputs.
    Operand<TFloat32> keys = tf.expandDims(tf.expandDims(tf.dtypes.cast(inputMask, TFloat32.class),
        tf.constant(1)), tf.constant(1));
    Operand<TFloat32> maskAdder = tf.math.mul(tf.math.sub(tf.constant(1f), keys), tf.constant(-10000f));
    return Dense.onRows(tf, x, config.hiddenSize(), rows -> {
      Operand<TFloat32> h = rows;
      for (TransformerLayer layer : layers) {
        h = layer.apply(h, maskAdder, headShape);
      }
      return h;
    });
  }

  public Operand<TFloat32> apply(Inputs inputs) {
    return apply(inputs.inputIds(), inputs.inputMask(), inputs.segmentIds());
  }

  public ElectraConfig config() {
    return config;
  }
}
