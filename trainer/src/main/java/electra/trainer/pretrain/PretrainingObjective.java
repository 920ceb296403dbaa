package electra.trainer.pretrain;

import electra.model.ElectraConfig;
import electra.trainer.model.DiscriminatorHead;
import electra.trainer.model.Embeddings;
import electra.trainer.model.Encoder;
import electra.trainer.model.GeneratorHead;
import electra.trainer.model.Inputs;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Tower;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The replaced-token-detection objective in graph ops (spec §2.3–2.7), built on the model parts: the generator
 * predicts the masked tokens, replacements are sampled from it (no gradient), the discriminator labels every token
 * real or replaced. The graph reads the masked batch of {@link Masking}; the replacements are drawn by
 * {@link ModelGraph#categorical}, i.e. from the fed step seed.
 */
public final class PretrainingObjective {

  /** The fed inputs: the model's three and the masked-LM slots [B, N]. */
  public record Feeds(Inputs inputs, Placeholder<TInt32> maskedLmPositions, Placeholder<TInt32> maskedLmIds,
      Placeholder<TFloat32> maskedLmWeights) {}

  /** Scalars of one step (losses and the metrics of spec §2.7 but AUC) and the per-token outputs AUC needs. */
  public record Outputs(Operand<TFloat32> total, Operand<TFloat32> mlmLoss, Operand<TFloat32> discLoss,
      Operand<TFloat32> mlmAccuracy, Operand<TFloat32> sampledAccuracy, Operand<TFloat32> discAccuracy,
      Operand<TFloat32> discPrecision, Operand<TFloat32> discRecall, Operand<TFloat32> discProbs,
      Operand<TFloat32> discLabels) {

    /** The fetch order of {@link #scalars()}. */
    public static final List<String> SCALAR_NAMES = List.of("total_loss", "masked_lm_loss", "disc_loss",
        "masked_lm_accuracy", "sampled_masked_lm_accuracy", "disc_accuracy", "disc_precision", "disc_recall");

    public List<Operand<TFloat32>> scalars() {
      return List.of(total, mlmLoss, discLoss, mlmAccuracy, sampledAccuracy, discAccuracy, discPrecision,
          discRecall);
    }
  }

  private final ModelGraph g;
  private final Ops tf;
  private final Feeds feeds;
  private final Outputs outputs;
  private final PlaceholderWithDefault<TInt32> sampledTokens;
  private final Operand<TInt32> discriminatorInput;

  /**
   * Builds generator, discriminator, both heads and the losses into {@code g}.
   *
   * @param discriminator the discriminator's architecture; {@code generator} shares its embeddings
   */
  public PretrainingObjective(ModelGraph g, ElectraConfig discriminator, ElectraConfig generator, double genWeight,
      double discWeight, double temperature) {
    this.g = g;
    this.tf = g.tf();
    Inputs in = Inputs.placeholders(tf);
    this.feeds = new Feeds(in, slots("masked_lm_positions", TInt32.class), slots("masked_lm_ids", TInt32.class),
        slots("masked_lm_weights", TFloat32.class));
    Embeddings embeddings = new Embeddings(g, discriminator);
    Encoder generatorTower = new Encoder(g, Tower.GENERATOR, generator, embeddings);
    GeneratorHead mlmHead = new GeneratorHead(g, generator, embeddings);
    Encoder discriminatorTower = new Encoder(g, Tower.DISCRIMINATOR, discriminator, embeddings);
    DiscriminatorHead rtdHead = new DiscriminatorHead(g, discriminator);

    Operand<TInt32> positions = feeds.maskedLmPositions();
    Operand<TFloat32> weights = tf.reshape(feeds.maskedLmWeights(), tf.constant(new int[] {-1}));
    Operand<TInt32> targets = tf.reshape(feeds.maskedLmIds(), tf.constant(new int[] {-1}));
    Operand<TBool> used = tf.math.greater(feeds.maskedLmWeights(), tf.constant(0f));

    // Generator: MLM logits at the N slots of each sequence, [B*N, V].
    Operand<TFloat32> genHidden = generatorTower.apply(in.inputIds(), in.inputMask(), in.segmentIds());
    Operand<TFloat32> logits = mlmHead.logits(gatherRows(genHidden, positions));
    Operand<TFloat32> perSlotLoss = tf.math.neg(tf.reduceSum(tf.math.mul(tf.nn.logSoftmax(logits),
        tf.oneHot(targets, tf.constant(discriminator.vocabSize()), tf.constant(1f), tf.constant(0f))),
        tf.constant(-1)));
    Operand<TFloat32> mlmLoss = weightedMean(perSlotLoss, weights);

    // Replacements: the original tokens with a sampled token written at every used slot.
    Operand<TInt32> original = unmask(in.inputIds(), positions, feeds.maskedLmIds(), used);
    this.sampledTokens = sample(g, logits, temperature);
    Operand<TInt32> fake = replace(original, positions, tf.reshape(sampledTokens, tf.shape(positions)), used);
    this.discriminatorInput = fake;
    Operand<TFloat32> labels = tf.dtypes.cast(tf.math.notEqual(fake, original), TFloat32.class);

    // Discriminator: one logit per token, sigmoid cross-entropy over real (unpadded) tokens.
    Operand<TFloat32> discLogits = rtdHead.logits(discriminatorTower.apply(fake, in.inputMask(), in.segmentIds()));
    Operand<TFloat32> tokenMask = tf.dtypes.cast(in.inputMask(), TFloat32.class);
    Operand<TFloat32> discLoss = weightedMean(sigmoidCrossEntropy(discLogits, labels), tokenMask);
    Operand<TFloat32> total = tf.math.add(tf.math.mul(tf.constant((float) genWeight), mlmLoss),
        tf.math.mul(tf.constant((float) discWeight), discLoss));

    // Metrics (spec §2.7).
    Operand<TFloat32> predicted = tf.dtypes.cast(tf.math.argMax(logits, tf.constant(-1), TInt32.class),
        TFloat32.class);
    Operand<TFloat32> targetsF = tf.dtypes.cast(targets, TFloat32.class);
    Operand<TFloat32> mlmAccuracy = weightedMean(equal(predicted, targetsF), weights);
    Operand<TFloat32> sampledAccuracy = weightedMean(equal(tf.dtypes.cast(sampledTokens, TFloat32.class), targetsF),
        weights);
    Operand<TFloat32> preds = tf.dtypes.cast(tf.math.greater(discLogits, tf.constant(0f)), TFloat32.class);
    Operand<TFloat32> correct = equal(preds, labels);
    Operand<TFloat32> discAccuracy = weightedMean(correct, tokenMask);
    Operand<TFloat32> precision = ratio(correct, tf.math.mul(preds, tokenMask));
    Operand<TFloat32> recall = ratio(correct, tf.math.mul(labels, tokenMask));
    this.outputs = new Outputs(total, mlmLoss, discLoss, mlmAccuracy, sampledAccuracy, discAccuracy, precision,
        recall, tf.math.sigmoid(discLogits), labels);
  }

  public Feeds feeds() {
    return feeds;
  }

  public Outputs outputs() {
    return outputs;
  }

  /** The token drawn for each slot, [B*N]: tests feed fixed draws here. */
  PlaceholderWithDefault<TInt32> sampledTokens() {
    return sampledTokens;
  }

  /** The discriminator's input [B, T]: the original ids with the sampled replacements written in. */
  Operand<TInt32> discriminatorInput() {
    return discriminatorInput;
  }

  private <T extends org.tensorflow.types.family.TType> Placeholder<T> slots(String name, Class<T> type) {
    return tf.withName(name).placeholder(type, Placeholder.shape(Shape.of(-1, -1)));
  }

  /** Rows of {@code hidden} [B, T, H] at {@code positions} [B, N], as [B*N, H]. */
  private Operand<TFloat32> gatherRows(Operand<TFloat32> hidden, Operand<TInt32> positions) {
    long width = hidden.shape().get(2);
    Operand<TInt32> flat = flatIndices(hidden, positions);
    return tf.gather(tf.reshape(hidden, tf.constant(new long[] {-1, width})), flat, tf.constant(0));
  }

  /** b·T + position for every slot, [B*N]. */
  private Operand<TInt32> flatIndices(Operand<?> batchByLength, Operand<TInt32> positions) {
    Operand<TInt32> shape = tf.shape(batchByLength);
    Operand<TInt32> b = tf.gather(shape, tf.constant(0), tf.constant(0));
    Operand<TInt32> t = tf.gather(shape, tf.constant(1), tf.constant(0));
    Operand<TInt32> rowStarts = tf.math.mul(tf.range(tf.constant(0), b, tf.constant(1)), t);
    return tf.reshape(tf.math.add(positions, tf.expandDims(rowStarts, tf.constant(1))), tf.constant(new int[] {-1}));
  }

  /** [B*N, 2] (row, position) indices of every slot. */
  private Operand<TInt32> slotIndices(Operand<TInt32> positions) {
    Operand<TInt32> b = tf.gather(tf.shape(positions), tf.constant(0), tf.constant(0));
    Operand<TInt32> rows = tf.math.mul(tf.expandDims(tf.range(tf.constant(0), b, tf.constant(1)), tf.constant(1)),
        tf.onesLike(positions));
    return tf.reshape(tf.stack(List.of(rows, positions), org.tensorflow.op.core.Stack.axis(-1L)),
        tf.constant(new int[] {-1, 2}));
  }

  /** {@code ids} [B, T] with {@code values} [B, N] written at the used slots' positions (others untouched). */
  private Operand<TInt32> writeAtSlots(Operand<TInt32> ids, Operand<TInt32> positions, Operand<TInt32> values,
      Operand<TBool> used) {
    Operand<TInt32> indices = slotIndices(positions);
    Operand<TInt32> current = tf.gatherNd(ids, indices);
    Operand<TInt32> updates = tf.select(tf.reshape(used, tf.constant(new int[] {-1})),
        tf.reshape(values, tf.constant(new int[] {-1})), current);
    return tf.tensorScatterNdUpdate(ids, indices, updates);
  }

  /** The original ids: the masked ids with each used slot's original token restored. */
  Operand<TInt32> unmask(Operand<TInt32> maskedIds, Operand<TInt32> positions, Operand<TInt32> originalIds,
      Operand<TBool> used) {
    return writeAtSlots(maskedIds, positions, originalIds, used);
  }

  /** The discriminator's input: sampled tokens written over the originals at the used slots. */
  Operand<TInt32> replace(Operand<TInt32> original, Operand<TInt32> positions, Operand<TInt32> sampled,
      Operand<TBool> used) {
    return writeAtSlots(original, positions, sampled, used);
  }

  /**
   * One token per row of {@code logits} [R, V] drawn from softmax(logits / temperature): the distribution that
   * Gumbel-max (argmax of logits/temperature plus Gumbel noise, Google's and the peer's way) samples, drawn with one
   * uniform a row instead of one for every vocabulary entry. No gradient flows back into the generator.
   */
  static PlaceholderWithDefault<TInt32> sample(ModelGraph g, Operand<TFloat32> logits, double temperature) {
    Ops tf = g.tf();
    Operand<TFloat32> scaled = tf.math.div(tf.stopGradient(logits), tf.constant((float) temperature));
    return tf.withName("sampled_tokens").placeholderWithDefault(g.categorical(scaled), Shape.of(-1));
  }

  /** max(x, 0) − x·z + log(1 + exp(−|x|)): sigmoid cross-entropy without overflow. */
  private Operand<TFloat32> sigmoidCrossEntropy(Operand<TFloat32> x, Operand<TFloat32> z) {
    return tf.math.add(tf.math.sub(tf.math.maximum(x, tf.constant(0f)), tf.math.mul(x, z)),
        tf.math.log1p(tf.math.exp(tf.math.neg(tf.math.abs(x)))));
  }

  /** Σ w·x / (Σ w + 1e-6), over all elements. */
  private Operand<TFloat32> weightedMean(Operand<TFloat32> x, Operand<TFloat32> w) {
    Operand<TFloat32> wf = tf.reshape(w, tf.constant(new int[] {-1}));
    Operand<TFloat32> xf = tf.reshape(x, tf.constant(new int[] {-1}));
    return tf.math.div(tf.reduceSum(tf.math.mul(xf, wf), tf.constant(0)),
        tf.math.add(tf.reduceSum(wf, tf.constant(0)), tf.constant(1e-6f)));
  }

  /** Σ w·x / Σ w, 0 when Σ w = 0. */
  private Operand<TFloat32> ratio(Operand<TFloat32> x, Operand<TFloat32> w) {
    Operand<TFloat32> wf = tf.reshape(w, tf.constant(new int[] {-1}));
    Operand<TFloat32> xf = tf.reshape(x, tf.constant(new int[] {-1}));
    return tf.math.divNoNan(tf.reduceSum(tf.math.mul(xf, wf), tf.constant(0)), tf.reduceSum(wf, tf.constant(0)));
  }

  private Operand<TFloat32> equal(Operand<TFloat32> a, Operand<TFloat32> b) {
    return tf.dtypes.cast(tf.math.equal(a, b), TFloat32.class);
  }
}
