package electra.serving;

import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeature;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * An exported QA model ({@code ExportModel}'s folder, either head), loaded once: {@link #predict} turns features
 * into the head's outputs as the decoder reads them (span logits, or the joint head's beams), {@code maxBatchSize}
 * windows per TensorFlow run.
 *
 * <p>Thread-safe: TensorFlow sessions may run concurrently, and this class keeps no mutable state, so one instance
 * serves every thread of a process. Every tensor is closed before {@link #predict} returns. Close the model when
 * done with it.
 *
 * <p>Each run is cut to the longest real input of its batch (features are padded to {@code max_seq_length}; the
 * padding positions are masked out of attention, so they do not change the other positions' logits beyond float
 * rounding); the logits of the cut-off positions are returned as {@code -infinity}, which no decoder picks. The
 * joint head's run keeps at least {@code beam_size} positions, as its top-k needs them; the extra padding
 * positions are masked out of its answers and the decoder drops any beam that points at them.
 */
public final class QaModel implements AutoCloseable {

  public static final int DEFAULT_MAX_BATCH_SIZE = 16;

  private final Path dir;
  private final ExportMetadata metadata;
  private final BertTokenizer tokenizer;
  private final SavedModelBundle bundle;
  private final SessionFunction function;
  private final int maxBatchSize;

  private QaModel(Path dir, ExportMetadata metadata, BertTokenizer tokenizer, SavedModelBundle bundle,
      int maxBatchSize) {
    this.dir = dir;
    this.metadata = metadata;
    this.tokenizer = tokenizer;
    this.bundle = bundle;
    this.function = bundle.function(metadata.signature());
    this.maxBatchSize = maxBatchSize;
  }

  /** Loads an export with {@value #DEFAULT_MAX_BATCH_SIZE} windows per run. */
  public static QaModel load(Path dir) throws IOException {
    return load(dir, DEFAULT_MAX_BATCH_SIZE);
  }

  /**
   * Loads an export: its {@code export.json}, its vocabulary (checked against the recorded fingerprint) and its
   * SavedModel.
   */
  public static QaModel load(Path dir, int maxBatchSize) throws IOException {
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("max batch size must be at least 1, got " + maxBatchSize);
    }
    if (!Files.isDirectory(dir)) {
      throw new IOException("model folder " + dir + " does not exist");
    }
    ExportMetadata metadata = ExportMetadata.read(dir);
    Vocabulary vocabulary = Vocabulary.load(dir.resolve(metadata.vocabFile()));
    if (!vocabulary.fingerprint().equals(metadata.vocabFingerprint())) {
      throw new IOException(dir.resolve(metadata.vocabFile()) + " has sha256 " + vocabulary.fingerprint()
          + " but the model was exported with " + metadata.vocabFingerprint());
    }
    BertTokenizer tokenizer = new BertTokenizer(vocabulary, metadata.doLowerCase(), metadata.maxInputCharsPerWord());
    SavedModelBundle bundle = SavedModelBundle.loader(dir.toString()).withTags(SavedModelBundle.DEFAULT_TAG)
        .withConfigProto(ConfigProto.newBuilder().setInterOpParallelismThreads(1).build()).load();
    try {
      return new QaModel(dir, metadata, tokenizer, bundle, maxBatchSize);
    } catch (RuntimeException e) {
      bundle.close();
      throw new IOException(dir + ": the SavedModel has no usable signature '" + metadata.signature() + "': " + e, e);
    }
  }

  public Path dir() {
    return dir;
  }

  public ExportMetadata metadata() {
    return metadata;
  }

  /** The tokenizer the inputs must be made with (the export's vocabulary and casing). */
  public BertTokenizer tokenizer() {
    return tokenizer;
  }

  public int maxBatchSize() {
    return maxBatchSize;
  }

  /** The head's outputs for each feature, in order. Features may come from any number of questions. */
  public List<AnswerDecoder.WindowOutput> predict(List<QaFeature> features) {
    List<AnswerDecoder.WindowOutput> out = new ArrayList<>(features.size());
    for (int from = 0; from < features.size(); from += maxBatchSize) {
      out.addAll(run(features.subList(from, Math.min(features.size(), from + maxBatchSize))));
    }
    return out;
  }

  private List<AnswerDecoder.WindowOutput> run(List<QaFeature> batch) {
    int rows = batch.size();
    int length = batch.get(0).length();
    int used = Math.min(length, Math.max(1, metadata.beamSize()));
    for (QaFeature f : batch) {
      if (f.length() != length) {
        throw new IllegalArgumentException("features of one batch must have the same max_seq_length, got " + length
            + " and " + f.length());
      }
      used = Math.max(used, f.tokenCount());
    }
    int[] ids = new int[rows * used];
    int[] mask = new int[rows * used];
    int[] segments = new int[rows * used];
    for (int r = 0; r < rows; r++) {
      QaFeature f = batch.get(r);
      System.arraycopy(f.inputIds(), 0, ids, r * used, used);
      System.arraycopy(f.inputMask(), 0, mask, r * used, used);
      System.arraycopy(f.segmentIds(), 0, segments, r * used, used);
    }
    Shape shape = Shape.of(rows, used);
    try (TInt32 idsT = TInt32.tensorOf(shape, DataBuffers.of(ids, true, false));
        TInt32 maskT = TInt32.tensorOf(shape, DataBuffers.of(mask, true, false));
        TInt32 segT = TInt32.tensorOf(shape, DataBuffers.of(segments, true, false))) {
      Map<String, Tensor> feeds = new LinkedHashMap<>();
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_IDS), idsT);
      feeds.put(metadata.inputs().get(ExportMetadata.INPUT_MASK), maskT);
      feeds.put(metadata.inputs().get(ExportMetadata.SEGMENT_IDS), segT);
      try (Result result = function.call(feeds)) {
        return HeadOutputs.windows(metadata.head(), outputsOf(result), rows, length);
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

  @Override
  public String toString() {
    return "QaModel[" + dir + ", " + metadata.head().id() + " head, max_seq_length " + metadata.maxSeqLength() + "]";
  }
}
