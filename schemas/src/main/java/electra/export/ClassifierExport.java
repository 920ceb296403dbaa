package electra.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a sequence or token classifier's export folder says about its outputs and inputs, in Hugging Face's own
 * files so that {@code transformers} reads the folder as it is: {@code config.json}'s {@code architectures}
 * ({@code ElectraForSequenceClassification} or {@code ElectraForTokenClassification}), {@code id2label} and
 * {@code label2id} (a label's index is its class id), {@code problem_type} ({@code regression} for one score,
 * else {@code single_label_classification}), and {@code tokenizer_config.json}'s {@code do_lower_case} and
 * {@code model_max_length} (the tokens per input the model was fine-tuned with). The folder also holds
 * {@code vocab.txt}, {@code model.safetensors} and a SavedModel (signature {@value ExportMetadata#SIGNATURE}: the
 * three int32 token inputs of {@link ExportMetadata} -> {@value #LOGITS}, [batch, labels] or [batch, length,
 * labels]).
 *
 * @param labels the class names in id order; for a regression one name (Hugging Face's {@code LABEL_0})
 */
public record ClassifierExport(Kind kind, List<String> labels, boolean regression, boolean doLowerCase,
    int maxSeqLength) {

  /** The head: one prediction per input, or one per token. */
  public enum Kind {
    SEQUENCE("ElectraForSequenceClassification"),
    TOKEN("ElectraForTokenClassification");

    private final String architecture;

    Kind(String architecture) {
      this.architecture = architecture;
    }

    public String architecture() {
      return architecture;
    }
  }

  /** The SavedModel's one output. */
  public static final String LOGITS = "logits";
  /** Hugging Face's name of a regression's one output. */
  public static final String REGRESSION_LABEL = "LABEL_0";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public ClassifierExport {
    labels = List.copyOf(labels);
    if (regression ? labels.size() != 1 || kind != Kind.SEQUENCE : labels.size() < 2) {
      throw new IllegalArgumentException((regression ? "a regression has one output and one sequence head"
          : "a classifier needs 2 or more labels") + ", got " + kind + " " + labels);
    }
  }

  /** A regression's export: one score per input. */
  public static ClassifierExport regression(boolean doLowerCase, int maxSeqLength) {
    return new ClassifierExport(Kind.SEQUENCE, List.of(REGRESSION_LABEL), true, doLowerCase, maxSeqLength);
  }

  /**
   * Adds the labels and the problem type to the folder's {@code config.json} (written before, with the weights) and
   * writes {@code tokenizer_config.json}.
   */
  public void write(Path dir) throws IOException {
    Path configFile = dir.resolve(ExportMetadata.CONFIG_FILE);
    ObjectNode config = (ObjectNode) JSON.readTree(configFile.toFile());
    config.putArray("architectures").add(kind.architecture());
    ObjectNode id2label = config.putObject("id2label");
    ObjectNode label2id = config.putObject("label2id");
    for (int i = 0; i < labels.size(); i++) {
      id2label.put(Integer.toString(i), labels.get(i));
      label2id.put(labels.get(i), i);
    }
    config.put("problem_type", regression ? "regression" : "single_label_classification");
    Files.writeString(configFile, JSON.writeValueAsString(config) + "\n");
    TokenizerConfig.write(dir, doLowerCase, maxSeqLength);
  }

  /** Reads a classifier's export folder; says what is missing when it is not one. */
  public static ClassifierExport read(Path dir) throws IOException {
    Path configFile = dir.resolve(ExportMetadata.CONFIG_FILE);
    Path tokenizerFile = dir.resolve(TokenizerConfig.FILE);
    for (Path p : List.of(configFile, tokenizerFile, dir.resolve(ExportMetadata.VOCAB_FILE))) {
      if (!Files.isRegularFile(p)) {
        throw new IOException(dir + " is not a classifier export: no " + p.getFileName() + " (FinetuneGlue and "
            + "FinetuneTagging write one with --export_dir)");
      }
    }
    JsonNode config = JSON.readTree(configFile.toFile());
    String architecture = config.path("architectures").path(0).asText();
    Kind kind = null;
    for (Kind k : Kind.values()) {
      kind = k.architecture.equals(architecture) ? k : kind;
    }
    if (kind == null) {
      throw new IOException(configFile + " names the architecture '" + architecture + "', not a sequence or token "
          + "classifier");
    }
    JsonNode id2label = config.path("id2label");
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < id2label.size(); i++) {
      JsonNode label = id2label.get(Integer.toString(i));
      if (label == null) {
        throw new IOException(configFile + ": id2label has no label " + i);
      }
      labels.add(label.asText());
    }
    JsonNode tokenizer = JSON.readTree(tokenizerFile.toFile());
    try {
      return new ClassifierExport(kind, labels, config.path("problem_type").asText().equals("regression"),
          tokenizer.path("do_lower_case").asBoolean(true), tokenizer.path("model_max_length").asInt(512));
    } catch (IllegalArgumentException e) {
      throw new IOException(configFile + ": " + e.getMessage());
    }
  }
}
