package electra.serving;

import electra.export.ExportCheck;
import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.InferenceEngine;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeature;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An exported QA model ({@code ExportModel}'s folder, either head), loaded once and checked against the outputs its
 * export recorded ({@code check.json}): {@link #predict} turns features
 * into the head's outputs as the decoder reads them (span logits, or the joint head's beams), {@code maxBatchSize}
 * windows per run of its {@link InferenceEngine} (TensorFlow on the SavedModel, or ONNX Runtime on
 * {@code model.onnx}; {@code auto} picks one for each export loaded, and {@link #engine} says which).
 *
 * <p>Thread-safe: both engines' sessions may run concurrently, and this class keeps no mutable state, so one
 * instance serves every thread of a process. Every tensor is closed before {@link #predict} returns. Close the
 * model when done with it.
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
  private final QaEngine engine;
  private final int maxBatchSize;
  private volatile boolean closed;

  private QaModel(Path dir, ExportMetadata metadata, BertTokenizer tokenizer, QaEngine engine, int maxBatchSize) {
    this.dir = dir;
    this.metadata = metadata;
    this.tokenizer = tokenizer;
    this.engine = engine;
    this.maxBatchSize = maxBatchSize;
  }

  /**
   * Loads an export with {@value #DEFAULT_MAX_BATCH_SIZE} windows per run on the engine {@code auto} picks for it.
   */
  public static QaModel load(Path dir) throws IOException {
    return load(dir, DEFAULT_MAX_BATCH_SIZE, InferenceEngine.AUTO);
  }

  /**
   * Loads an export: its {@code export.json}, its vocabulary (checked against the recorded fingerprint) and the
   * network in the form {@code engine} runs; {@code auto} becomes ONNX Runtime when this export has a
   * {@code model.onnx}, else TensorFlow ({@link InferenceEngine#resolve}).
   */
  public static QaModel load(Path dir, int maxBatchSize, InferenceEngine engine) throws IOException {
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
    QaEngine loaded = QaEngine.load(engine, dir, metadata);
    try {
      check(dir, loaded);
    } catch (IOException | RuntimeException e) {
      loaded.close();
      throw e;
    }
    return new QaModel(dir, metadata, tokenizer, loaded, maxBatchSize);
  }

  /**
   * Runs the export's recorded check ({@link ExportCheck}) and refuses a model whose outputs differ from those its
   * export computed: weights damaged or swapped since, or an engine that computes something else. Exports written
   * before ExportModel recorded a check are taken as they are.
   */
  private static void check(Path dir, QaEngine engine) throws IOException {
    Optional<ExportCheck> recorded = ExportCheck.read(dir);
    if (recorded.isEmpty()) {
      return;
    }
    ExportCheck c = recorded.get();
    String differences = engine.run(c.rows(), c.length(), c.inputIds(), c.inputMask(), c.segmentIds(),
        c::differences);
    if (!differences.isEmpty()) {
      throw new IOException(dir + ": " + engine.kind().id() + " computes other outputs than the export recorded in "
          + ExportCheck.FILE + ": " + differences);
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

  /** The engine that runs the network: TensorFlow or ONNX Runtime ({@code auto} is resolved at load). */
  public InferenceEngine engine() {
    return engine.kind();
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
    if (closed) {
      // a closed engine's native session is gone: running it would crash the process, not fail the call
      throw new IllegalStateException(this + " is closed");
    }
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
    return engine.run(rows, used, ids, mask, segments,
        outputs -> HeadOutputs.windows(metadata.head(), outputs, rows, length));
  }

  /** Whether {@link #close} freed the engine's native memory. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      engine.close();
    }
  }

  @Override
  public String toString() {
    return "QaModel[" + dir + ", " + metadata.head().id() + " head, max_seq_length " + metadata.maxSeqLength() + ", "
        + engine.kind().id() + "]";
  }
}
