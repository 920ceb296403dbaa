package electra.trainer.model;

import electra.model.ElectraConfig;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;

/**
 * Masked-language-model head of the generator: dense Hg->E with GELU, LayerNorm, then logits over the vocabulary
 * through the transposed word-embedding table (tied output layer) plus a bias. Google's names
 * {@code generator_predictions/{dense,LayerNorm,output_bias}}.
 */
public final class GeneratorHead {

  public static final String SCOPE = "generator_predictions";

  private final Ops tf;
  private final Embeddings embeddings;
  private final Dense dense;
  private final LayerNorm layerNorm;
  private final Operand<TFloat32> outputBias;

  public GeneratorHead(ModelGraph g, ElectraConfig generatorConfig, Embeddings embeddings) {
    this.tf = g.tf();
    this.embeddings = embeddings;
    long e = embeddings.config().embeddingSize();
    this.dense = Dense.gelu(g, SCOPE + "/dense", generatorConfig.hiddenSize(), e,
        generatorConfig.initializerRange());
    this.layerNorm = new LayerNorm(g, SCOPE + "/LayerNorm", e, generatorConfig.layerNormEps());
    this.outputBias = g.variable(SCOPE + "/output_bias", ModelGraph.Init.ZEROS, 0,
        embeddings.config().vocabSize());
  }

  /**
   * Vocabulary logits [..., V] from generator hidden states [..., Hg]. Pass only the masked positions' rows (as
   * Google does) to avoid computing V logits for every token.
   */
  public Operand<TFloat32> logits(Operand<TFloat32> hidden) {
    return Dense.onRows(tf, hidden, embeddings.config().vocabSize(), rows -> tf.nn.biasAdd(
        tf.linalg.matMul(layerNorm.apply(dense.apply(rows)), embeddings.wordEmbeddings(), MatMul.transposeB(true)),
        outputBias));
  }
}
