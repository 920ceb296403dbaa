package electra.serving;

import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.InferenceEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The network of an export as one engine runs it: token ids of a batch of windows in, the head's outputs out.
 * Implementations are thread-safe (runs may overlap) and keep every native tensor inside {@link #run}.
 */
interface QaEngine extends AutoCloseable {

  /**
   * Loads the export's network for {@code engine}, {@code auto} resolved against this export
   * ({@link InferenceEngine#resolve}): TensorFlow reads the SavedModel, ONNX Runtime the export's {@code model.onnx}.
   * Both run ops one after another (one inter-op thread) with the engine's default number of threads inside an op
   * (the machine's cores).
   */
  static QaEngine load(InferenceEngine engine, Path dir, ExportMetadata metadata) throws IOException {
    return engine.resolve(metadata) == InferenceEngine.ONNXRUNTIME ? OnnxRuntimeEngine.load(dir, metadata)
        : SavedModelEngine.load(dir, metadata);
  }

  /** The runtime: TensorFlow or ONNX Runtime, never {@code auto}. */
  InferenceEngine kind();

  /**
   * Runs {@code rows} windows of {@code length} tokens (the inputs row-major, as int32 [rows, length]) and hands
   * {@code read} the outputs by role; they are valid until {@code read} returns.
   */
  <T> T run(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds, Function<HeadOutputs, T> read);

  @Override
  void close();
}
