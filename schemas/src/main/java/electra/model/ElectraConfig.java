package electra.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * Every architecture hyper-parameter of one ELECTRA tower (generator or discriminator), with Hugging Face's
 * {@code config.json} key names. The constructor refuses combinations that cannot build a model.
 *
 * @param vocabSize rows of the word-embedding table (30522 for the uncased BERT vocabulary)
 * @param embeddingSize width E of the embeddings; a projection E->H follows when E != H
 * @param hiddenSize width H of the transformer
 * @param numHiddenLayers number of transformer layers
 * @param numAttentionHeads attention heads per layer; H must be divisible by it
 * @param intermediateSize width of the feed-forward layer (4H in every preset)
 * @param hiddenAct activation of the feed-forward layer and heads; only exact erf "gelu" is supported
 * @param hiddenDropoutProb dropout after embeddings and after each dense output, training only
 * @param attentionProbsDropoutProb dropout on attention probabilities, training only
 * @param maxPositionEmbeddings longest sequence the position table covers
 * @param typeVocabSize number of segment ids (2)
 * @param initializerRange standard deviation of the truncated-normal initializer
 * @param layerNormEps epsilon inside every LayerNorm (1e-12)
 */
public record ElectraConfig(
    int vocabSize,
    int embeddingSize,
    int hiddenSize,
    int numHiddenLayers,
    int numAttentionHeads,
    int intermediateSize,
    String hiddenAct,
    double hiddenDropoutProb,
    double attentionProbsDropoutProb,
    int maxPositionEmbeddings,
    int typeVocabSize,
    double initializerRange,
    double layerNormEps) {

  /** Vocabulary size of the uncased BERT WordPiece vocabulary every preset uses. */
  public static final int BERT_VOCAB_SIZE = 30522;

  /** HF keys that describe the checkpoint rather than the architecture; accepted and not used. */
  private static final Set<String> DESCRIPTIVE_KEYS = Set.of(
      "architectures", "model_type", "pad_token_id", "position_embedding_type", "transformers_version",
      "torch_dtype", "use_cache", "classifier_dropout", "summary_type", "summary_use_proj",
      "summary_activation", "summary_last_dropout", "_name_or_path", "tokenizer_class", "id2label", "label2id",
      "problem_type", "num_labels", "finetuning_task");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ElectraConfig {
    positive("vocab_size", vocabSize);
    positive("embedding_size", embeddingSize);
    positive("hidden_size", hiddenSize);
    positive("num_hidden_layers", numHiddenLayers);
    positive("num_attention_heads", numAttentionHeads);
    positive("intermediate_size", intermediateSize);
    positive("max_position_embeddings", maxPositionEmbeddings);
    positive("type_vocab_size", typeVocabSize);
    if (hiddenSize % numAttentionHeads != 0) {
      throw new IllegalArgumentException("hidden_size " + hiddenSize + " is not divisible by num_attention_heads "
          + numAttentionHeads + ": each head must get the same width");
    }
    if (!"gelu".equals(hiddenAct)) {
      throw new IllegalArgumentException("hidden_act '" + hiddenAct + "' is not supported: ELECTRA uses exact erf \"gelu\"");
    }
    probability("hidden_dropout_prob", hiddenDropoutProb);
    probability("attention_probs_dropout_prob", attentionProbsDropoutProb);
    if (!(initializerRange > 0)) {
      throw new IllegalArgumentException("initializer_range must be > 0, got " + initializerRange);
    }
    if (!(layerNormEps > 0 && layerNormEps < 1)) {
      throw new IllegalArgumentException("layer_norm_eps must be in (0, 1), got " + layerNormEps);
    }
  }

  private static void positive(String key, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(key + " must be a positive integer, got " + value);
    }
  }

  private static void probability(String key, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new IllegalArgumentException(key + " must be in [0, 1), got " + value);
    }
  }

  /** Width of one attention head. */
  public int headSize() {
    return hiddenSize / numAttentionHeads;
  }

  /** Whether the embeddings pass through {@code embeddings_project} (E != H). */
  public boolean projectsEmbeddings() {
    return embeddingSize != hiddenSize;
  }

  /** The discriminator sizes of Google's recipe: heads = H/64, FFN = 4H, E = 128 for small, else H. */
  public static ElectraConfig preset(String size) {
    return switch (size.toLowerCase(Locale.ROOT)) {
      case "small" -> standard(128, 256, 12);
      case "base" -> standard(768, 768, 12);
      case "large" -> standard(1024, 1024, 24);
      default -> throw new IllegalArgumentException(
          "unknown model size '" + size + "': choose small, base or large (or give a config.json)");
    };
  }

  /** The same architecture with {@code size} rows of word embeddings: a vocabulary's own size. */
  public ElectraConfig withVocabSize(int size) {
    return new ElectraConfig(size, embeddingSize, hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize,
        hiddenAct, hiddenDropoutProb, attentionProbsDropoutProb, maxPositionEmbeddings, typeVocabSize,
        initializerRange, layerNormEps);
  }

  /** A tower of Google's shape: heads = max(1, H/64), FFN = 4H, BERT vocabulary, 512 positions. */
  public static ElectraConfig standard(int embeddingSize, int hiddenSize, int layers) {
    return new ElectraConfig(BERT_VOCAB_SIZE, embeddingSize, hiddenSize, layers, Math.max(1, hiddenSize / 64),
        4 * hiddenSize, "gelu", 0.1, 0.1, 512, 2, 0.02, 1e-12);
  }

  /**
   * The generator that goes with this discriminator (Google's {@code get_generator_config}): hidden =
   * round(H x hiddenMultiplier), layers = round(L x layersMultiplier), FFN = 4 x hidden, heads = max(1, hidden/64);
   * it shares the discriminator's embedding width. NVIDIA additionally rounds hidden up to a multiple of 64
   * ({@code roundToMultipleOf64}). Rounding is Python's {@code round()}: halves go to the even neighbour.
   */
  public ElectraConfig generator(double hiddenMultiplier, double layersMultiplier, boolean roundToMultipleOf64) {
    if (!(hiddenMultiplier > 0) || !(layersMultiplier > 0)) {
      throw new IllegalArgumentException("generator size multipliers must be > 0, got hidden " + hiddenMultiplier
          + " and layers " + layersMultiplier);
    }
    int hidden = (int) Math.rint(hiddenSize * hiddenMultiplier);
    if (roundToMultipleOf64) {
      hidden = ((hidden + 63) / 64) * 64;
    }
    int layers = (int) Math.rint(numHiddenLayers * layersMultiplier);
    return new ElectraConfig(vocabSize, embeddingSize, hidden, Math.max(1, layers), Math.max(1, hidden / 64),
        4 * hidden, hiddenAct, hiddenDropoutProb, attentionProbsDropoutProb, maxPositionEmbeddings, typeVocabSize,
        initializerRange, layerNormEps);
  }

  /** Reads a Hugging Face {@code config.json}; unknown keys are refused by name. Errors name the file. */
  public static ElectraConfig readJson(Path file) throws IOException {
    return readJson(file, BERT_VOCAB_SIZE);
  }

  /** {@link #readJson(Path)}, with {@code defaultVocabSize} word embeddings when the file has no vocab_size. */
  public static ElectraConfig readJson(Path file, int defaultVocabSize) throws IOException {
    JsonNode node;
    try {
      node = JSON.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      // Jackson's own message points into an anonymous string, not at the file.
      String where = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage() + where, e);
    }
    try {
      return fromJson(node, defaultVocabSize);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  public static ElectraConfig fromJson(JsonNode node) {
    return fromJson(node, BERT_VOCAB_SIZE);
  }

  private static ElectraConfig fromJson(JsonNode node, int defaultVocabSize) {
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException("config must be a JSON object");
    }
    JsonNode type = node.get("model_type");
    if (type != null && !"electra".equals(type.asText())) {
      throw new IllegalArgumentException("model_type is '" + type.asText() + "', expected 'electra'");
    }
    JsonNode positions = node.get("position_embedding_type");
    if (positions != null && !"absolute".equals(positions.asText())) {
      throw new IllegalArgumentException("position_embedding_type '" + positions.asText()
          + "' is not supported: ELECTRA uses \"absolute\"");
    }
    Set<String> known = Set.of("vocab_size", "embedding_size", "hidden_size", "num_hidden_layers",
        "num_attention_heads", "intermediate_size", "hidden_act", "hidden_dropout_prob",
        "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size", "initializer_range",
        "layer_norm_eps");
    for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!known.contains(key) && !DESCRIPTIVE_KEYS.contains(key)) {
        throw new IllegalArgumentException("unknown config key '" + key + "'");
      }
    }
    return new ElectraConfig(
        optionalInt(node, "vocab_size", defaultVocabSize),
        // Required: Hugging Face defaults a missing embedding_size to 128, Google to hidden_size.
        requiredInt(node, "embedding_size"),
        requiredInt(node, "hidden_size"),
        requiredInt(node, "num_hidden_layers"),
        requiredInt(node, "num_attention_heads"),
        requiredInt(node, "intermediate_size"),
        node.has("hidden_act") ? node.get("hidden_act").asText() : "gelu",
        optionalDouble(node, "hidden_dropout_prob", 0.1),
        optionalDouble(node, "attention_probs_dropout_prob", 0.1),
        optionalInt(node, "max_position_embeddings", 512),
        optionalInt(node, "type_vocab_size", 2),
        optionalDouble(node, "initializer_range", 0.02),
        optionalDouble(node, "layer_norm_eps", 1e-12));
  }

  private static int requiredInt(JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (v == null) {
      throw new IllegalArgumentException("missing config key '" + key + "'");
    }
    if (!v.canConvertToExactIntegral() || !v.canConvertToInt()) {
      throw new IllegalArgumentException("config key '" + key + "' must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static int optionalInt(JsonNode node, String key, int fallback) {
    return node.has(key) ? requiredInt(node, key) : fallback;
  }

  private static double optionalDouble(JsonNode node, String key, double fallback) {
    JsonNode v = node.get(key);
    if (v == null) {
      return fallback;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("config key '" + key + "' must be a number, got " + v);
    }
    return v.doubleValue();
  }

  /** This config as a Hugging Face {@code config.json} object, for the given architecture name. */
  public ObjectNode toJson(String architecture) {
    ObjectNode n = JSON.createObjectNode();
    n.put("vocab_size", vocabSize);
    n.put("embedding_size", embeddingSize);
    n.put("hidden_size", hiddenSize);
    n.put("num_hidden_layers", numHiddenLayers);
    n.put("num_attention_heads", numAttentionHeads);
    n.put("intermediate_size", intermediateSize);
    n.put("hidden_act", hiddenAct);
    n.put("hidden_dropout_prob", hiddenDropoutProb);
    n.put("attention_probs_dropout_prob", attentionProbsDropoutProb);
    n.put("max_position_embeddings", maxPositionEmbeddings);
    n.put("type_vocab_size", typeVocabSize);
    n.put("initializer_range", initializerRange);
    n.put("layer_norm_eps", layerNormEps);
    n.put("pad_token_id", 0);
    n.putArray("architectures").add(architecture);
    n.put("model_type", "electra");
    n.put("position_embedding_type", "absolute");
    return n;
  }

  public void writeJson(Path file, String architecture) throws IOException {
    Files.writeString(file, JSON.writeValueAsString(toJson(architecture)) + "\n");
  }

  /** Parameter count of this tower's encoder and embeddings (no heads), for logs and sanity checks. */
  public long encoderParameters() {
    long emb = (long) (vocabSize + maxPositionEmbeddings + typeVocabSize) * embeddingSize + 2L * embeddingSize;
    long project = projectsEmbeddings() ? (long) embeddingSize * hiddenSize + hiddenSize : 0;
    long attention = 4L * ((long) hiddenSize * hiddenSize + hiddenSize) + 2L * hiddenSize;
    long ffn = (long) hiddenSize * intermediateSize + intermediateSize
        + (long) intermediateSize * hiddenSize + hiddenSize + 2L * hiddenSize;
    return emb + project + numHiddenLayers * (attention + ffn);
  }

  /** Short human-readable summary for logs. */
  @Override
  public String toString() {
    return String.format(Locale.ROOT, "ElectraConfig[E=%d H=%d L=%d heads=%d FFN=%d vocab=%d]", embeddingSize,
        hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, vocabSize);
  }
}
