package electra.trainer.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code export.json}: what a serving process needs to know about an exported QA model besides the SavedModel
 * itself: which head produced it and under which signature output names, and exactly how its inputs must be made
 * (window sizes, casing, and the vocabulary by fingerprint, whose file lies next to it as {@code vocab.txt}).
 *
 * <p>The head is named so that a second head type can be served by the same code: {@value #HEAD_SIMPLE} has the
 * outputs {@code start_logits} and {@code end_logits}; a joint head would add an answerability output, listed under
 * {@code outputs} with the role {@code answerable_logit}.
 *
 * @param formatVersion {@value #FORMAT_VERSION}; a reader refuses newer ones
 * @param head the head type, {@value #HEAD_SIMPLE} for Hugging Face's {@code qa_outputs}
 * @param signature the SavedModel signature key
 * @param inputs role -> signature input name (input_ids, input_mask, segment_ids), all int32 [batch, length]
 * @param outputs role -> signature output name (start_logits, end_logits[, answerable_logit]), float32
 * @param maxSeqLength tokens per window, what the model was fine-tuned with
 * @param docStride how far apart windows start
 * @param maxQueryLength the question is cut to this many WordPieces
 * @param doLowerCase whether the tokenizer lower-cases and strips accents
 * @param maxInputCharsPerWord longer words become [UNK]
 * @param vocabFile the vocabulary file, relative to the export folder
 * @param vocabFingerprint SHA-256 of its bytes; a mismatch is refused
 * @param vocabSize its number of tokens
 * @param source where the weights came from, for people
 */
public record ExportMetadata(int formatVersion, String head, String signature, Map<String, String> inputs,
    Map<String, String> outputs, int maxSeqLength, int docStride, int maxQueryLength, boolean doLowerCase,
    int maxInputCharsPerWord, String vocabFile, String vocabFingerprint, int vocabSize, String source) {

  public static final String FILE = "export.json";
  public static final String VOCAB_FILE = "vocab.txt";
  public static final String CONFIG_FILE = "config.json";
  public static final int FORMAT_VERSION = 1;
  public static final String HEAD_SIMPLE = "simple";
  public static final String SIGNATURE = "serving_default";
  public static final String INPUT_IDS = "input_ids";
  public static final String INPUT_MASK = "input_mask";
  public static final String SEGMENT_IDS = "segment_ids";
  public static final String START_LOGITS = "start_logits";
  public static final String END_LOGITS = "end_logits";
  public static final String ANSWERABLE_LOGIT = "answerable_logit";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ExportMetadata {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(signature, "signature");
    inputs = Map.copyOf(inputs);
    outputs = Map.copyOf(outputs);
    Objects.requireNonNull(vocabFile, "vocabFile");
    Objects.requireNonNull(vocabFingerprint, "vocabFingerprint");
    for (String role : List.of(INPUT_IDS, INPUT_MASK, SEGMENT_IDS)) {
      if (!inputs.containsKey(role)) {
        throw new IllegalArgumentException("export metadata lacks the input " + role);
      }
    }
    for (String role : List.of(START_LOGITS, END_LOGITS)) {
      if (!outputs.containsKey(role)) {
        throw new IllegalArgumentException("export metadata lacks the output " + role);
      }
    }
    if (maxSeqLength < 4 || docStride < 1 || maxQueryLength < 1) {
      throw new IllegalArgumentException("bad window sizes in export metadata: max_seq_length " + maxSeqLength
          + ", doc_stride " + docStride + ", max_query_length " + maxQueryLength);
    }
  }

  /** The metadata of a simple-head export with the standard names. */
  public static ExportMetadata simpleHead(int maxSeqLength, int docStride, int maxQueryLength, boolean doLowerCase,
      int maxInputCharsPerWord, String vocabFingerprint, int vocabSize, String source) {
    Map<String, String> inputs = new LinkedHashMap<>();
    for (String n : List.of(INPUT_IDS, INPUT_MASK, SEGMENT_IDS)) {
      inputs.put(n, n);
    }
    return new ExportMetadata(FORMAT_VERSION, HEAD_SIMPLE, SIGNATURE, inputs,
        Map.of(START_LOGITS, START_LOGITS, END_LOGITS, END_LOGITS), maxSeqLength, docStride, maxQueryLength,
        doLowerCase, maxInputCharsPerWord, VOCAB_FILE, vocabFingerprint, vocabSize, source);
  }

  /** Whether the model gives an answerability score per window (a joint head). */
  public boolean hasAnswerableLogit() {
    return outputs.containsKey(ANSWERABLE_LOGIT);
  }

  public void write(Path dir) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    n.put("format_version", formatVersion);
    n.put("head", head);
    n.put("signature", signature);
    ObjectNode in = n.putObject("inputs");
    new java.util.TreeMap<>(inputs).forEach(in::put);
    ObjectNode out = n.putObject("outputs");
    new java.util.TreeMap<>(outputs).forEach(out::put);
    n.put("max_seq_length", maxSeqLength);
    n.put("doc_stride", docStride);
    n.put("max_query_length", maxQueryLength);
    n.put("do_lower_case", doLowerCase);
    n.put("max_input_chars_per_word", maxInputCharsPerWord);
    n.put("vocab_file", vocabFile);
    n.put("vocab_fingerprint", vocabFingerprint);
    n.put("vocab_size", vocabSize);
    n.put("source", source);
    Files.writeString(dir.resolve(FILE), JSON.writeValueAsString(n) + "\n");
  }

  /** Reads {@code dir/export.json}; errors name the file and the problem. */
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
      return new ExportMetadata(version, n.get("head").asText(), n.get("signature").asText(),
          strings(n.get("inputs")), strings(n.get("outputs")), n.get("max_seq_length").asInt(),
          n.get("doc_stride").asInt(), n.get("max_query_length").asInt(), n.get("do_lower_case").asBoolean(),
          n.path("max_input_chars_per_word").asInt(100), n.get("vocab_file").asText(),
          n.get("vocab_fingerprint").asText(), n.path("vocab_size").asInt(0), n.path("source").asText(""));
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
