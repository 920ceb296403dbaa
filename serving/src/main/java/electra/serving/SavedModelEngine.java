package electra.serving;

import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.InferenceEngine;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** {@code --engine=tensorflow}: the export's SavedModel, called through its signature. */
final class SavedModelEngine implements QaEngine {

  private final Path dir;
  private final ExportMetadata metadata;
  private final SavedModelBundle bundle;
  private final SessionFunction function;

  private SavedModelEngine(Path dir, ExportMetadata metadata, SavedModelBundle bundle) {
    this.dir = dir;
    this.metadata = metadata;
    this.bundle = bundle;
    this.function = bundle.function(metadata.signature());
  }

  static SavedModelEngine load(Path dir, ExportMetadata metadata) throws IOException {
    SavedModelBundle bundle = SavedModelBundle.loader(dir.toString()).withTags(SavedModelBundle.DEFAULT_TAG)
        .withConfigProto(ConfigProto.newBuilder().setInterOpParallelismThreads(1).build()).load();
    try {
      return new SavedModelEngine(dir, metadata, bundle);
    } catch (RuntimeException e) {
      bundle.close();
      throw new IOException(dir + ": the SavedModel has no usable signature '" + metadata.signature() + "': " + e, e);
    }
  }

  @Override
  public InferenceEngine kind() {
    return InferenceEngine.TENSORFLOW;
  }

  @Override
  public <T> T run(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds,
      Function<HeadOutputs, T> read) {
    Shape shape = Shape.of(rows, length);
    try (TInt32 ids = TInt32.tensorOf(shape, DataBuffers.of(inputIds, true, false));
        TInt32 mask = TInt32.tensorOf(shape, DataBuffers.of(inputMask, true, false));
        TInt32 segments = TInt32.tensorOf(shape, DataBuffers.of(segmentIds, true, false))) {
      Map<String, Tensor> feeds = new LinkedHashMap<>();
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_IDS), ids);
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_MASK), mask);
      feeds.put(metadata.inputs().get(ExportMetadata.SEGMENT_IDS), segments);
      try (Result result = function.call(feeds)) {
        return read.apply(outputsOf(result));
      }
    }
  }

  /** The signature's outputs by role, copied out of the run's tensors. */
  private HeadOutputs outputsOf(Result result) {
    return new HeadOutputs() {
      @Override
      public float[] floats(String role) {
        TFloat32 t = output(role, TFloat32.class);
        float[] values = new float[Math.toIntExact(t.size())];
        t.copyTo(DataBuffers.of(values, false, false));
        return values;
      }

      @Override
      public int[] ints(String role) {
        TInt32 t = output(role, TInt32.class);
        int[] values = new int[Math.toIntExact(t.size())];
        t.copyTo(DataBuffers.of(values, false, false));
        return values;
      }

      private <T extends Tensor> T output(String role, Class<T> type) {
        Tensor t = result.get(metadata.outputs().get(role)).orElse(null);
        if (!type.isInstance(t)) {
          throw new IllegalStateException(dir + ": the SavedModel gave no " + type.getSimpleName() + " output "
              + metadata.outputs().get(role) + " (" + role + "): " + t);
        }
        return type.cast(t);
      }
    };
  }

  @Override
  public void close() {
    bundle.close();
  }
}
