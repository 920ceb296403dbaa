package electra.trainer.onnx;

import static electra.trainer.onnx.OnnxGraphBuilder.floatAttribute;
import static electra.trainer.onnx.OnnxGraphBuilder.intAttribute;
import static electra.trainer.onnx.OnnxGraphBuilder.intsAttribute;

import electra.export.ExportMetadata;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.trainer.model.Embeddings;
import electra.trainer.model.HostTensor;
import electra.trainer.model.JointSpanHead;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.onnx.proto.Model;
import electra.trainer.onnx.proto.Tensor;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The QA network of the TensorFlow graph ({@code QaGraph}: {@code Encoder} and the head) as an ONNX model of
 * standard operators (opset {@value OnnxGraphBuilder#OPSET}), with given weights under their checkpoint names: the
 * same maths as the SavedModel, operation by operation, so the two agree to float rounding. Inputs and outputs carry
 * the export's standard names ({@link ExportMetadata#standard}): int32 {@code input_ids}, {@code input_mask},
 * {@code segment_ids} [batch, sequence] in, the head's outputs out (int32 indices, as the SavedModel gives them).
 *
 * <p>Where two ONNX spellings compute the same thing, the one ONNX Runtime's graph optimiser fuses is used: GELU as
 * {@code x·(erf(x/√2)+1)·0.5} becomes one BiasGelu kernel with the bias before it, the scores' scale folds into
 * their MatMul, and MatMul on [batch, sequence, width] stays one GEMM. After that optimiser the simple head's graph
 * has the same nodes as PyTorch's export of the same model.
 */
public final class OnnxQaModel {

  private static final String BATCH = "batch";
  private static final String SEQUENCE = "sequence";
  private static final String BEAM = "beam";
  private static final float SQRT2 = (float) Math.sqrt(2);
  /** [B, T, heads, headSize] to [B, heads, T, headSize], and back. */
  private static final long[] HEADS_FIRST = {0, 2, 1, 3};
  /** Keys as [B, heads, headSize, T], so that the attention scores are a plain MatMul. */
  private static final long[] KEYS_TRANSPOSED = {0, 2, 3, 1};
  /** Added to the attention scores of padding keys, as in the TensorFlow graph. */
  private static final float MASKED_SCORE = -10000f;
  /** The joint head's penalty on logits outside the answer mask ([G]). */
  private static final float OUTSIDE_ANSWER = 1000f;

  private final ElectraConfig config;
  private final QaHead head;
  private final int beamSize;
  private final Function<String, HostTensor> weights;
  private final OnnxGraphBuilder b;

  private OnnxQaModel(ElectraConfig config, QaHead head, int beamSize, Function<String, HostTensor> weights) {
    this.config = config;
    this.head = head;
    this.beamSize = beamSize;
    this.weights = weights;
    this.b = new OnnxGraphBuilder("electra_qa_" + head.id());
  }

  /**
   * The ONNX model of the discriminator with {@code head} ({@code beamSize}: the joint head's k), its weights looked
   * up by checkpoint name.
   */
  public static Model of(ElectraConfig config, QaHead head, int beamSize, Function<String, HostTensor> weights) {
    return new OnnxQaModel(config, head, beamSize, weights).build();
  }

  private Model build() {
    String ids = b.input(ExportMetadata.INPUT_IDS, Tensor.DataType.INT32, BATCH, SEQUENCE);
    String mask = b.input(ExportMetadata.INPUT_MASK, Tensor.DataType.INT32, BATCH, SEQUENCE);
    String segments = b.input(ExportMetadata.SEGMENT_IDS, Tensor.DataType.INT32, BATCH, SEQUENCE);
    String length = b.op("Shape", List.of(intAttribute("start", 1), intAttribute("end", 2)), ids); // int64 [1]
    String hidden = encoder(ids, mask, segments, length);
    if (head == QaHead.SIMPLE) {
      String logits = dense(hidden, SpanHead.SCOPE); // [B, T, 2]
      b.output(gather(logits, 0, 2), ExportMetadata.START_LOGITS, Tensor.DataType.FLOAT, BATCH, SEQUENCE);
      b.output(gather(logits, 1, 2), ExportMetadata.END_LOGITS, Tensor.DataType.FLOAT, BATCH, SEQUENCE);
    } else {
      jointHead(hidden, mask, segments, length);
    }
    return b.build("electra ExportModel", "ELECTRA question answering, " + head.id() + " head",
        Map.of("head", head.id()));
  }

  /** Final hidden states [B, T, H], as {@code Encoder} computes them. */
  private String encoder(String ids, String mask, String segments, String length) {
    String positions = b.op("Slice", weight(Embeddings.SCOPE + "/position_embeddings"), b.int64s(0), length,
        b.int64s(0)); // [T, E]
    String summed = b.op("Add", b.op("Add", gather(weight(Embeddings.SCOPE + "/word_embeddings"), ids),
        gather(weight(Embeddings.SCOPE + "/token_type_embeddings"), segments)), positions);
    String x = layerNorm(summed, Embeddings.SCOPE + "/LayerNorm");
    String tower = Tower.DISCRIMINATOR.scope;
    if (config.projectsEmbeddings()) {
      x = dense(x, tower + "/embeddings_project");
    }
    // Padding is masked as a key only: [B, 1, 1, T] of 0 for real keys, -10000 for padding.
    String keyMask = b.op("Cast", List.of(intAttribute("to", Tensor.DataType.FLOAT_VALUE)), mask);
    String maskAdder = b.op("Unsqueeze", b.op("Mul", b.op("Sub", b.scalar(1f), keyMask), b.scalar(MASKED_SCORE)),
        b.int64s(1, 2));
    for (int i = 0; i < config.numHiddenLayers(); i++) {
      x = transformerLayer(x, maskAdder, tower + "/encoder/layer_" + i);
    }
    return x;
  }

  /** One post-LayerNorm BERT layer on [B, T, H], as {@code TransformerLayer}. */
  private String transformerLayer(String x, String maskAdder, String scope) {
    String q = heads(x, scope + "/attention/self/query", HEADS_FIRST);
    String k = heads(x, scope + "/attention/self/key", KEYS_TRANSPOSED);
    String v = heads(x, scope + "/attention/self/value", HEADS_FIRST);
    String scores = b.op("Mul", b.op("MatMul", q, k), b.scalar((float) (1 / Math.sqrt(config.headSize()))));
    String probs = b.op("Softmax", List.of(intAttribute("axis", -1)), b.op("Add", scores, maskAdder));
    String context = b.op("Reshape", b.op("Transpose", List.of(intsAttribute("perm", HEADS_FIRST)),
        b.op("MatMul", probs, v)), b.int64s(0, 0, config.hiddenSize()));
    String attended = layerNorm(b.op("Add", dense(context, scope + "/attention/output/dense"), x),
        scope + "/attention/output/LayerNorm");
    String ffn = dense(gelu(dense(attended, scope + "/intermediate/dense")), scope + "/output/dense");
    return layerNorm(b.op("Add", ffn, attended), scope + "/output/LayerNorm");
  }

  /** A dense layer's output [B, T, H] split into heads [B, T, heads, headSize], then transposed by {@code perm}. */
  private String heads(String x, String scope, long[] perm) {
    return b.op("Transpose", List.of(intsAttribute("perm", perm)),
        b.op("Reshape", dense(x, scope), b.int64s(0, 0, config.numAttentionHeads(), config.headSize())));
  }

  /**
   * Google's joint head at inference, as {@code JointSpanHead.beam}: the k best starts, for each the k best ends,
   * and the answerable logit.
   */
  private void jointHead(String hidden, String mask, String segments, String length) {
    String scope = JointSpanHead.SCOPE;
    String answerMask = answerMask(mask, segments, length);
    String start = masked(squeezeLast(dense(hidden, scope + "/dense")), answerMask); // [B, T]
    String[] topStarts = topK(b.op("LogSoftmax", List.of(intAttribute("axis", -1)), start));
    // The hidden state of each start beam, [B, k, H].
    String beamShape = b.op("Shape", topStarts[1]);
    String startStates = b.op("GatherElements", List.of(intAttribute("axis", 1)), hidden, b.op("Expand",
        b.op("Unsqueeze", topStarts[1], b.int64s(2)), concat(beamShape, b.int64s(config.hiddenSize()))));
    // [B, k, T, 2H] = [start state of beam i ; hidden_t]
    String pairShape = concat(beamShape, length, b.int64s(config.hiddenSize()));
    String pair = b.op("Concat", List.of(intAttribute("axis", -1)),
        b.op("Expand", b.op("Unsqueeze", startStates, b.int64s(2)), pairShape),
        b.op("Expand", b.op("Unsqueeze", hidden, b.int64s(1)), pairShape));
    String end = squeezeLast(dense(gelu(dense(pair, scope + "/qa_hidden")), scope + "/dense_1")); // [B, k, T]
    end = masked(end, b.op("Unsqueeze", answerMask, b.int64s(1)));
    String[] topEnds = topK(b.op("LogSoftmax", List.of(intAttribute("axis", -1)), end));

    String startProbs = b.op("Unsqueeze", b.op("Softmax", List.of(intAttribute("axis", -1)), start), b.int64s(-1));
    String weighted = b.op("ReduceSum", List.of(intAttribute("keepdims", 0)), b.op("Mul", startProbs, hidden),
        b.int64s(1)); // [B, H]
    String features = b.op("Concat", List.of(intAttribute("axis", -1)), gather(hidden, 0, 1), weighted);
    String answerable = squeezeLast(dense(gelu(dense(features, scope + "/dense_2")), scope + "/dense_3"));

    b.output(topStarts[0], ExportMetadata.START_TOP_LOG_PROBS, Tensor.DataType.FLOAT, BATCH, BEAM);
    b.output(int32(topStarts[1]), ExportMetadata.START_TOP_INDEX, Tensor.DataType.INT32, BATCH, BEAM);
    b.output(topEnds[0], ExportMetadata.END_TOP_LOG_PROBS, Tensor.DataType.FLOAT, BATCH, BEAM, BEAM);
    b.output(int32(topEnds[1]), ExportMetadata.END_TOP_INDEX, Tensor.DataType.INT32, BATCH, BEAM, BEAM);
    b.output(answerable, ExportMetadata.ANSWERABLE_LOGIT, Tensor.DataType.FLOAT, BATCH);
  }

  /** [B, T]: 1 on the context tokens (mask × segment) and on [CLS] (position 0), else 0. */
  private String answerMask(String mask, String segments, String length) {
    String context = b.op("Cast", List.of(intAttribute("to", Tensor.DataType.FLOAT_VALUE)),
        b.op("Mul", mask, segments));
    String positions = b.op("Range", b.int64(0), b.op("Squeeze", length), b.int64(1));
    String cls = b.op("Cast", List.of(intAttribute("to", Tensor.DataType.FLOAT_VALUE)),
        b.op("Equal", positions, b.int64(0)));
    return b.op("Max", context, cls);
  }

  /** logits − 1000 where the mask is 0. */
  private String masked(String logits, String mask) {
    return b.op("Add", logits, b.op("Mul", b.op("Sub", mask, b.scalar(1f)), b.scalar(OUTSIDE_ANSWER)));
  }

  /** The beam's k largest values along the last axis, best first, and their int64 indices. */
  private String[] topK(String x) {
    return b.ops("TopK", List.of(intAttribute("axis", -1), intAttribute("largest", 1), intAttribute("sorted", 1)), 2,
        x, b.int64s(beamSize));
  }

  /** {@code x·kernel + bias} over the last axis of any rank. */
  private String dense(String x, String scope) {
    return b.op("Add", b.op("MatMul", x, weight(scope + "/kernel")), weight(scope + "/bias"));
  }

  /** Exact GELU. */
  private String gelu(String x) {
    String cdfTimesTwo = b.op("Add", b.op("Erf", b.op("Div", x, b.scalar(SQRT2))), b.scalar(1f));
    return b.op("Mul", b.op("Mul", x, cdfTimesTwo), b.scalar(0.5f));
  }

  private String layerNorm(String x, String scope) {
    return b.op("LayerNormalization", List.of(intAttribute("axis", -1),
        floatAttribute("epsilon", (float) config.layerNormEps())),
        x, weight(scope + "/gamma"), weight(scope + "/beta"));
  }

  /** Rows of {@code table} at int32 {@code indices} (embedding lookup). */
  private String gather(String table, String indices) {
    return b.op("Gather", table, indices);
  }

  /** Position {@code index} of {@code axis}, which goes away. */
  private String gather(String x, long index, int axis) {
    return b.op("Gather", List.of(intAttribute("axis", axis)), x, b.int64(index));
  }

  private String squeezeLast(String x) {
    return b.op("Squeeze", x, b.int64s(-1));
  }

  private String concat(String... int64Vectors) {
    return b.op("Concat", List.of(intAttribute("axis", 0)), int64Vectors);
  }

  private String int32(String x) {
    return b.op("Cast", List.of(intAttribute("to", Tensor.DataType.INT32_VALUE)), x);
  }

  private String weight(String name) {
    HostTensor w = weights.apply(name);
    return b.weight(name, w.shape(), w.values());
  }
}
