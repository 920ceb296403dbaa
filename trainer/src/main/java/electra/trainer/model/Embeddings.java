package electra.trainer.model;

import electra.model.ElectraConfig;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Word + position + token-type embeddings, LayerNorm, dropout: the table both towers share under
 * {@code electra/embeddings} (Google's default, tied generator embeddings). Width E is the discriminator's
 * embedding size; each tower projects it to its own hidden size.
 */
public final class Embeddings {

  public static final String SCOPE = "electra/embeddings";

  private final ModelGraph g;
  private final ElectraConfig config;
  private final Operand<TFloat32> word;
  private final Operand<TFloat32> position;
  private final Operand<TFloat32> tokenType;
  private final LayerNorm layerNorm;

  public Embeddings(ModelGraph g, ElectraConfig config) {
    this.g = g;
    this.config = config;
    long e = config.embeddingSize();
    double std = config.initializerRange();
    this.word = g.variable(SCOPE + "/word_embeddings", ModelGraph.Init.TRUNCATED_NORMAL, std, config.vocabSize(), e);
    this.position = g.variable(SCOPE + "/position_embeddings", ModelGraph.Init.TRUNCATED_NORMAL, std,
        config.maxPositionEmbeddings(), e);
    this.tokenType = g.variable(SCOPE + "/token_type_embeddings", ModelGraph.Init.TRUNCATED_NORMAL, std,
        config.typeVocabSize(), e);
    this.layerNorm = new LayerNorm(g, SCOPE + "/LayerNorm", e, config.layerNormEps());
  }

  /** Embedded tokens [B, T, E] for ids and segment ids [B, T]; positions are 0..T-1. */
  public Operand<TFloat32> apply(Operand<TInt32> inputIds, Operand<TInt32> segmentIds) {
    Ops tf = g.tf();
    Operand<TInt32> axis0 = tf.constant(0);
    Operand<TInt32> length = tf.gather(tf.shape(inputIds), tf.constant(1), axis0);
    Operand<TFloat32> positions = tf.slice(position, tf.constant(new int[] {0, 0}),
        tf.stack(List.of(length, tf.constant(-1))));
    Operand<TFloat32> sum = tf.math.add(
        tf.math.add(tf.gather(word, inputIds, axis0), tf.gather(tokenType, segmentIds, axis0)), positions);
    return g.dropout(layerNorm.apply(sum), config.hiddenDropoutProb());
  }

  /** The word-embedding table [V, E]; the generator's output layer is tied to it. */
  public Operand<TFloat32> wordEmbeddings() {
    return word;
  }

  public ElectraConfig config() {
    return config;
  }
}
