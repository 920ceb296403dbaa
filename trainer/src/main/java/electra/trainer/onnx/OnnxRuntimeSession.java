package electra.trainer.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.OnnxRuntimeStart;
import electra.trainer.onnx.proto.Model;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * An {@link OnnxQaModel} in ONNX Runtime: how ExportModel checks the {@code model.onnx} it writes and how
 * BenchmarkSquad times the engine. Serving reads an export folder instead, through its own engine.
 */
public final class OnnxRuntimeSession implements AutoCloseable {

  private final OrtEnvironment environment = OnnxRuntimeStart.environment(OrtEnvironment::getEnvironment);
  private final OrtSession session;

  /**
   * A session as ONNX Runtime ships it (its threads spin between operators, as in the Node peer), unlike serving's
   * engine, which shares the cores with Kafka and Flink and turns spinning off.
   *
   * @param intraOpThreads threads inside one operator, as TensorFlow's setting of that name; 0: ONNX Runtime's
   *     default (the machine's cores). Operators run one after another, as with one TensorFlow inter-op thread.
   */
  public OnnxRuntimeSession(Model model, int intraOpThreads) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
      }
      session = environment.createSession(model.toByteArray(), options);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime refused the model: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code rows} windows of {@code length} tokens (the inputs row-major) and hands {@code read} the outputs by
   * their {@link ExportMetadata} names; they are valid until {@code read} returns.
   */
  public <T> T run(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds,
      Function<HeadOutputs, T> read) {
    long[] shape = {rows, length};
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      feeds.put(ExportMetadata.INPUT_IDS, OnnxTensor.createTensor(environment, IntBuffer.wrap(inputIds), shape));
      feeds.put(ExportMetadata.INPUT_MASK, OnnxTensor.createTensor(environment, IntBuffer.wrap(inputMask), shape));
      feeds.put(ExportMetadata.SEGMENT_IDS, OnnxTensor.createTensor(environment, IntBuffer.wrap(segmentIds), shape));
      try (OrtSession.Result result = session.run(feeds)) {
        return read.apply(new HeadOutputs() {
          @Override
          public float[] floats(String name) {
            FloatBuffer values = output(result, name).getFloatBuffer();
            float[] out = new float[values.remaining()];
            values.get(out);
            return out;
          }

          @Override
          public int[] ints(String name) {
            IntBuffer values = output(result, name).getIntBuffer();
            int[] out = new int[values.remaining()];
            values.get(out);
            return out;
          }
        });
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private static OnnxTensor output(OrtSession.Result result, String name) {
    return (OnnxTensor) result.get(name).orElseThrow(
        () -> new IllegalStateException("the ONNX model has no output " + name));
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not close its session: " + e.getMessage(), e);
    }
  }
}
