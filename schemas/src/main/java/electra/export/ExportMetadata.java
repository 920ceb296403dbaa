package electra.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code export.json}: what a serving process needs to know about an exported QA model besides the network itself
 * (the SavedModel, and the same network as {@code model.onnx}): which head produced it and under which output
 * names, exactly how its inputs must be made (window sizes, casing, and the vocabulary by fingerprint, whose file
 * lies next to it as {@code vocab.txt}), and how its outputs are decoded (SQuAD 1.1 or 2.0 with its "no answer"
 * threshold, as FinetuneSquad evaluates).
 *
 * <p>Outputs by head: {@code simple} gives {@code start_logits} and {@code end_logits} [batch, length];
 * {@code joint} gives its beam search as [G] computes it at inference: {@code start_top_log_probs} and
 * {@code start_top_index} [batch, k], {@code end_top_log_probs} and {@code end_top_index} [batch, k, k] (the k best
 * ends given start beam i) and {@code answerable_logit} [batch], with k = {@code beam_size}.
 *
 * @param formatVersion {@value #FORMAT_VERSION}; a reader refuses newer ones
 * @param head the head type
 * @param signature the SavedModel signature key
 * @param inputs role -> signature input name (input_ids, input_mask, segment_ids), all int32 [batch, length]; the
 *     ONNX graph's inputs have the same names
 * @param outputs role -> signature output name (the head's outputs above), also the ONNX graph's output names
 * @param beamSize the joint head's k; 0 for the simple head
 * @param maxSeqLength tokens per window, what the model was fine-tuned with
 * @param docStride how far apart windows start
 * @param maxQueryLength the question is cut to this many WordPieces
 * @param doLowerCase whether the tokenizer lower-cases and strips accents
 * @param maxInputCharsPerWord longer words become [UNK]
 * @param decoding n-best size, longest answer, SQuAD version and v2.0's null-score-diff threshold
 * @param vocabFile the vocabulary file, relative to the export folder
 * @param vocabFingerprint SHA-256 of its bytes; a mismatch is refused
 * @param vocabSize its number of tokens
 * @param source where the weights came from, for people
 * @param onnxFile the ONNX model, relative to the export folder; null in exports made before ExportModel wrote one
 */
public record ExportMetadata(int formatVersion, QaHead head, String signature, Map<String, String> inputs,
    Map<String, String> outputs, int beamSize, int maxSeqLength, int docStride, int maxQueryLength,
    boolean doLowerCase, int maxInputCharsPerWord, AnswerDecoder.Options decoding, String vocabFile,
    String vocabFingerprint, int vocabSize, String source, String onnxFile) {

  public static final String FILE = "export.json";
  public static final String VOCAB_FILE = "vocab.txt";
  public static final String CONFIG_FILE = "config.json";
  public static final String ONNX_FILE = "model.onnx";
  /**
   * 2: the joint head, decoding settings; a reader of version 1 would serve a v2.0 model as v1.1. The optional
   * {@code onnx_file} came later within version 2: a reader that does not know it still serves the SavedModel.
   */
  public static final int FORMAT_VERSION = 2;
  public static final String SIGNATURE = "serving_default";
  public static final String INPUT_IDS = "input_ids";
  public static final String INPUT_MASK = "input_mask";
  public static final String SEGMENT_IDS = "segment_ids";
  public static final String START_LOGITS = "start_logits";
  public static final String END_LOGITS = "end_logits";
  public static final String START_TOP_LOG_PROBS = "start_top_log_probs";
  public static final String START_TOP_INDEX = "start_top_index";
  public static final String END_TOP_LOG_PROBS = "end_top_log_probs";
  public static final String END_TOP_INDEX = "end_top_index";
  public static final String ANSWERABLE_LOGIT = "answerable_logit";
  /** The int32 outputs; every other output is float32. */
  public static final Set<String> INDEX_OUTPUTS = Set.of(START_TOP_INDEX, END_TOP_INDEX);

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ExportMetadata {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(signature, "signature");
    inputs = Map.copyOf(inputs);
    outputs = Map.copyOf(outputs);
    Objects.requireNonNull(decoding, "decoding");
    Objects.requireNonNull(vocabFile, "vocabFile");
    Objects.requireNonNull(vocabFingerprint, "vocabFingerprint");
    for (String role : List.of(INPUT_IDS, INPUT_MASK, SEGMENT_IDS)) {
      if (!inputs.containsKey(role)) {
        throw new IllegalArgumentException("export metadata lacks the input " + role);
      }
    }
    for (String role : head.outputRoles()) {
      if (!outputs.containsKey(role)) {
        throw new IllegalArgumentException("export metadata of a " + head.id() + " head lacks the output " + role);
      }
    }
    if (maxSeqLength < 4 || docStride < 1 || maxQueryLength < 1) {
      throw new IllegalArgumentException("bad window sizes in export metadata: max_seq_length " + maxSeqLength
          + ", doc_stride " + docStride + ", max_query_length " + maxQueryLength);
    }
    if ((head == QaHead.JOINT) != (beamSize > 0) || beamSize > maxSeqLength) {
      throw new IllegalArgumentException("a " + head.id() + " head with beam_size " + beamSize + " (the joint head "
          + "needs 1..max_seq_length, the simple head none)");
    }
  }

  /**
   * The metadata of an export with the standard names (each input and output named as its role) and its ONNX model
   * in {@value #ONNX_FILE}.
   */
  public static ExportMetadata standard(QaHead head, int beamSize, QaFeaturizer.Options windows,
      boolean doLowerCase, int maxInputCharsPerWord, AnswerDecoder.Options decoding, String vocabFingerprint,
      int vocabSize, String source) {
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String n : List.of(INPUT_IDS, INPUT_MASK, SEGMENT_IDS)) {
      inputs.put(n, n);
    }
    Map<String, String> outputs = new LinkedHashMap<>();
    head.outputRoles().forEach(n -> outputs.put(n, n));
    return new ExportMetadata(FORMAT_VERSION, head, SIGNATURE, inputs, outputs, head == QaHead.JOINT ? beamSize : 0,
        windows.maxSeqLength(), windows.docStride(), windows.maxQueryLength(), doLowerCase, maxInputCharsPerWord,
        decoding, VOCAB_FILE, vocabFingerprint, vocabSize, source, ONNX_FILE);
  }

  /** Whether the model may predict "no answer" (SQuAD 2.0). */
  public boolean version2WithNegative() {
    return decoding.version() == SquadVersion.V2_0;
  }

  public void write(Path dir) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("format_version", formatVersion);
    n.put("head", head.id());
    n.put("signature", signature);
    ObjectNode in = n.putObject("inputs");
    new TreeMap<>(inputs).forEach(in::put);
    ObjectNode out = n.putObject("outputs");
    new TreeMap<>(outputs).forEach(out::put);
    if (head == QaHead.JOINT) {
      n.put("beam_size", beamSize);
    }
    n.put("max_seq_length", maxSeqLength);
    n.put("doc_stride", docStride);
    n.put("max_query_length", maxQueryLength);
    n.put("do_lower_case", doLowerCase);
    n.put("max_input_chars_per_word", maxInputCharsPerWord);
    n.put("version_2_with_negative", version2WithNegative());
    n.put("null_score_diff_threshold", decoding.nullScoreDiffThreshold());
    n.put("n_best_size", decoding.nBestSize());
    n.put("max_answer_length", decoding.maxAnswerLength());
    n.put("vocab_file", vocabFile);
    n.put("vocab_fingerprint", vocabFingerprint);
    n.put("vocab_size", vocabSize);
    n.put("source", source);
    if (onnxFile != null) {
      n.put("onnx_file", onnxFile);
    }
    Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(n) + "\n");
  }

  /**
   * Reads {@code dir/export.json}; errors name the file and the problem. A version-1 file (simple head only, no
   * decoding fields) reads as SQuAD 1.1 with the decoder's defaults, which is how it was served.
   */
  public static ExportMetadata read(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IOException(dir + " is not a model export: it has no " + FILE + " (make one with ExportModel)");
    }
    JsonNode n;
    try {
      n = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    List<String> missing = new ArrayList<>();
    for (String key : List.of("format_version", "head", "signature", "inputs", "outputs", "max_seq_length",
        "doc_stride", "max_query_length", "do_lower_case", "vocab_file", "vocab_fingerprint")) {
      if (!n.hasNonNull(key)) {
        missing.add(key);
      }
    }
    if (!missing.isEmpty()) {
      throw new IOException(file + " lacks " + String.join(", ", missing));
    }
    int version = n.get("format_version").asInt();
    if (version > FORMAT_VERSION) {
      throw new IOException(file + " has format_version " + version + "; this build reads up to " + FORMAT_VERSION);
    }
    try {
      QaHead head = QaHead.parse(n.get("head").asText());
      AnswerDecoder.Options defaults = AnswerDecoder.Options.defaults(SquadVersion.V1_1);
      AnswerDecoder.Options decoding = new AnswerDecoder.Options(
          n.path("n_best_size").asInt(defaults.nBestSize()),
          n.path("max_answer_length").asInt(defaults.maxAnswerLength()),
          n.path("version_2_with_negative").asBoolean(false) ? SquadVersion.V2_0 : SquadVersion.V1_1,
          n.path("null_score_diff_threshold").asDouble(head.defaultNullScoreDiffThreshold()));
      return new ExportMetadata(version, head, n.get("signature").asText(), strings(n.get("inputs")),
          strings(n.get("outputs")), n.path("beam_size").asInt(0), n.get("max_seq_length").asInt(),
          n.get("doc_stride").asInt(), n.get("max_query_length").asInt(), n.get("do_lower_case").asBoolean(),
          n.path("max_input_chars_per_word").asInt(100), decoding, n.get("vocab_file").asText(),
          n.get("vocab_fingerprint").asText(), n.path("vocab_size").asInt(0), n.path("source").asText(""),
          n.hasNonNull("onnx_file") ? n.get("onnx_file").asText() : null);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, String> strings(JsonNode object) {
    Map<String, String> out = new LinkedHashMap<>();
    object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }
}
