package electra.trainer.finetune;

import electra.cli.Directories;
import electra.export.ClassifierExport;
import electra.export.ExportMetadata;
import electra.tokenization.Vocabulary;
import electra.trainer.model.HostTensor;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Safetensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Writes a fine-tuned sequence classifier or tagger as one folder ({@code --export_dir} of FinetuneGlue and
 * FinetuneTagging) that Hugging Face's {@code transformers} loads as it is ({@code model.safetensors},
 * {@code config.json} with the labels, {@code vocab.txt}, {@code tokenizer_config.json}; {@link ClassifierExport})
 * and that {@code Infer --task=classify|tag} runs: a SavedModel of the same weights beside them. The SavedModel is
 * written from a fresh inference graph loaded from the folder's own safetensors, so it computes what
 * {@code transformers} would.
 */
final class ClassifierExports {

  /** The sequence classifier's output layer, scaled when a regression's targets were scaled for training. */
  private static final String[] OUTPUT_LAYER = {"classifier.out_proj.weight", "classifier.out_proj.bias"};

  private static final String SAVED_MODEL = "saved_model.pb";
  private static final String VARIABLES = "variables";

  private ClassifierExports() {}

  /**
   * Writes the folder {@code dir} (claimed and empty but for its marker).
   *
   * @param trained the graph holding the weights (a training graph is fine)
   * @param inference builds an empty inference graph of the same head
   * @param outputScale what the outputs are multiplied by (a regression trained on its score / 5 gives the score
   *     again with 5); 1 for classifiers
   */
  static void write(FinetuneGraph trained, Supplier<FinetuneGraph> inference, ClassifierExport export,
      Vocabulary vocab, Path dir, double outputScale) throws IOException {
    trained.saveHuggingFace(dir);
    if (outputScale != 1) {
      scaleOutputs(dir.resolve(HuggingFaceWeights.WEIGHTS_FILE), (float) outputScale);
    }
    Files.write(dir.resolve(ExportMetadata.VOCAB_FILE), vocab.fileBytes());
    export.write(dir);
    try (FinetuneGraph graph = inference.get()) {
      HuggingFaceWeights.Report report = graph.loadHuggingFace(dir);
      if (!report.leftAsInitialised().isEmpty() || !report.ignored().isEmpty()) {
        throw new IllegalStateException("the written " + dir + " does not fit its own head: " + report);
      }
      // a continued run exports again into its folder: the SavedModel is written anew, not over the old one
      Files.deleteIfExists(dir.resolve(SAVED_MODEL));
      if (Files.exists(dir.resolve(VARIABLES))) {
        Directories.deleteRecursively(dir.resolve(VARIABLES));
      }
      graph.exportSavedModel(dir);
    }
  }

  private static void scaleOutputs(Path file, float scale) throws IOException {
    Map<String, HostTensor> tensors = new TreeMap<>();
    Map<String, String> metadata;
    try (Safetensors in = Safetensors.open(file)) {
      for (String name : in.names()) {
        tensors.put(name, in.read(name));
      }
      metadata = in.metadata();
    }
    for (String name : OUTPUT_LAYER) {
      HostTensor t = tensors.get(name);
      float[] scaled = t.values().clone();
      for (int i = 0; i < scaled.length; i++) {
        scaled[i] *= scale;
      }
      tensors.put(name, new HostTensor(t.shape(), scaled));
    }
    Safetensors.write(file, tensors, metadata);
  }
}
