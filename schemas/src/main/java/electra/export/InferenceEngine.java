package electra.export;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Which runtime computes an export's logits, and so which of its files it reads: TensorFlow runs the SavedModel,
 * ONNX Runtime runs {@code model.onnx} ({@link ExportMetadata#onnxFile()}). Both compute the same network from the
 * same weights; their logits agree to float rounding.
 *
 * <p>{@link #AUTO} is a choice, not a runtime: it becomes one per export, by {@link #resolve}. It is a value of this
 * type so that every {@code --engine} flag, Beam's options and their JSON spell the three choices the same way; a
 * loaded model's engine is always one of the two runtimes.
 */
public enum InferenceEngine {
  /** ONNX Runtime when the export has a {@code model.onnx}, else TensorFlow: the faster engine the export allows. */
  AUTO,
  TENSORFLOW,
  ONNXRUNTIME;

  /**
   * {@code auto}, {@code tensorflow} or {@code onnxruntime}, as flags spell it (also in JSON, as Beam's options are
   * read).
   */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code auto}, {@code tensorflow} or {@code onnxruntime}, in any case. */
  @JsonCreator
  public static InferenceEngine parse(String id) {
    for (InferenceEngine e : values()) {
      if (e.id().equalsIgnoreCase(id.strip())) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown inference engine '" + id + "', expected auto, tensorflow or "
        + "onnxruntime");
  }

  /**
   * The runtime that runs the export {@code metadata} describes: this one, or for {@link #AUTO} ONNX Runtime when the
   * export names an ONNX model (faster on CPU at small batches, docs/benchmarks.md "SQuAD inference") and TensorFlow
   * for an export made before ExportModel wrote one. The one place where {@code auto} is decided; an explicit engine
   * stays as asked, and ONNX Runtime on an export without {@code model.onnx} is refused when it loads.
   */
  public InferenceEngine resolve(ExportMetadata metadata) {
    if (this != AUTO) {
      return this;
    }
    return metadata.onnxFile() != null ? ONNXRUNTIME : TENSORFLOW;
  }
}
