package electra.serving;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.InferenceEngine;
import electra.export.OnnxRuntimeStart;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code --engine=onnxruntime}: the export's {@code model.onnx} in ONNX Runtime, with all graph optimisations and
 * threads that sleep rather than spin between operators.
 */
final class OnnxRuntimeEngine implements QaEngine {

  private final Path file;
  private final ExportMetadata metadata;
  private final OrtEnvironment environment;
  private final OrtSession session;

  private OnnxRuntimeEngine(Path file, ExportMetadata metadata, OrtEnvironment environment, OrtSession session) {
    this.file = file;
    this.metadata = metadata;
    this.environment = environment;
    this.session = session;
  }

  /** Refuses an export without an ONNX model, and one whose inputs or outputs are not the metadata's. */
  static OnnxRuntimeEngine load(Path dir, ExportMetadata metadata) throws IOException {
    if (metadata.onnxFile() == null) {
      throw new IOException(dir + " has no ONNX model (" + ExportMetadata.FILE + " names no onnx_file; it was "
          + "exported before ExportModel wrote " + ExportMetadata.ONNX_FILE + "): export it again, or serve it with "
          + "--engine=tensorflow");
    }
    Path file = dir.resolve(metadata.onnxFile());
    if (!Files.isRegularFile(file)) {
      throw new IOException(file + " is missing, though " + dir.resolve(ExportMetadata.FILE) + " names it");
    }
    OrtEnvironment environment = OnnxRuntimeStart.environment(OrtEnvironment::getEnvironment);
    OrtSession session;
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      // Its threads would otherwise spin between operators, taking the cores from Flink's and Kafka's threads in
      // this process: saturated through ServeQA, 19.4 and 20.5 requests/s against 17.8 with spinning
      // (docs/benchmarks.md, Serving), and runs twice as slow on a loaded machine.
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      session = environment.createSession(file.toString(), options);
    } catch (OrtException e) {
      throw new IOException(file + ": ONNX Runtime cannot load it: " + e.getMessage(), e);
    }
    List<String> missing = new ArrayList<>();
    metadata.inputs().values().stream().filter(n -> !session.getInputNames().contains(n)).forEach(missing::add);
    metadata.outputs().values().stream().filter(n -> !session.getOutputNames().contains(n)).forEach(missing::add);
    if (!missing.isEmpty()) {
      close(session);
      throw new IOException(file + " lacks the inputs or outputs " + missing + " that " + ExportMetadata.FILE
          + " names");
    }
    return new OnnxRuntimeEngine(file, metadata, environment, session);
  }

  @Override
  public InferenceEngine kind() {
    return InferenceEngine.ONNXRUNTIME;
  }

  @Override
  public <T> T run(int rows, int length, int[] inputIds, int[] inputMask, int[] segmentIds,
      Function<HeadOutputs, T> read) {
    long[] shape = {rows, length};
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_IDS), tensor(inputIds, shape));
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_MASK), tensor(inputMask, shape));
      feeds.put(metadata.inputs().get(ExportMetadata.SEGMENT_IDS), tensor(segmentIds, shape));
      try (OrtSession.Result result = session.run(feeds)) {
        return read.apply(outputsOf(result));
      }
    } catch (OrtException e) {
      throw new IllegalStateException(file + ": ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  private OnnxTensor tensor(int[] values, long[] shape) throws OrtException {
    return OnnxTensor.createTensor(environment, IntBuffer.wrap(values), shape);
  }

  private HeadOutputs outputsOf(OrtSession.Result result) {
    return new HeadOutputs() {
      @Override
      public float[] floats(String role) {
        FloatBuffer values = output(role).getFloatBuffer();
        if (values == null) {
          throw new IllegalStateException(file + ": output " + metadata.outputs().get(role) + " is not float32");
        }
        float[] out = new float[values.remaining()];
        values.get(out);
        return out;
      }

      @Override
      public int[] ints(String role) {
        IntBuffer values = output(role).getIntBuffer();
        if (values == null) {
          throw new IllegalStateException(file + ": output " + metadata.outputs().get(role) + " is not int32");
        }
        int[] out = new int[values.remaining()];
        values.get(out);
        return out;
      }

      private OnnxTensor output(String role) {
        OnnxValue value = result.get(metadata.outputs().get(role)).orElseThrow(() -> new IllegalStateException(
            file + " gave no output " + metadata.outputs().get(role) + " (" + role + ")"));
        return (OnnxTensor) value;
      }
    };
  }

  @Override
  public void close() {
    close(session);
  }

  private static void close(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime could not close a session: " + e.getMessage(), e);
    }
  }
}
