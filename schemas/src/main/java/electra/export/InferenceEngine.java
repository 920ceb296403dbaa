package electra.export;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Which runtime computes an export's logits, and so which of its files it reads: TensorFlow runs the SavedModel,
 * ONNX Runtime runs {@code model.onnx} ({@link ExportMetadata#onnxFile()}). Both compute the same network from the
 * same weights; their logits agree to float rounding.
 */
public enum InferenceEngine {
  TENSORFLOW,
  ONNXRUNTIME;

  /** {@code tensorflow} or {@code onnxruntime}, as flags spell it (also in JSON, as Beam's options are read). */
  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code tensorflow} or {@code onnxruntime}, in any case. */
  @JsonCreator
  public static InferenceEngine parse(String id) {
    for (InferenceEngine e : values()) {
      if (e.id().equalsIgnoreCase(id.strip())) {
        return e;
      }
    }
    throw new IllegalArgumentException("unknown inference engine '" + id + "', expected tensorflow or onnxruntime");
  }
}
