package electra.serving;

import electra.export.ClassifierExport;
import electra.export.ExportMetadata;
import electra.glue.GlueExample;
import electra.glue.GlueFeaturizer;
import electra.tagging.TaggingFeaturizer;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.tokenization.WordpieceTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
 * A sequence classifier or tagger export ({@link ClassifierExport}: FinetuneGlue's or FinetuneTagging's
 * {@code --export_dir}) run in TensorFlow: its inputs made as fine-tuning made them ({@link GlueFeaturizer},
 * {@link TaggingFeaturizer}), its logits read back as labels.
 */
final class ClassifierModel implements AutoCloseable {

  /** A class and its softmax probability. */
  record Scored(String label, double probability) {}

  /** A sequence classifier's answer: every class by falling probability, or a regression's score. */
  record Classification(List<Scored> classes, Double score) {}

  private final ClassifierExport export;
  private final BertTokenizer tokenizer;
  private final SavedModelBundle bundle;
  private final SessionFunction function;

  private ClassifierModel(ClassifierExport export, BertTokenizer tokenizer, SavedModelBundle bundle) {
    this.export = export;
    this.tokenizer = tokenizer;
    this.bundle = bundle;
    this.function = bundle.function(ExportMetadata.SIGNATURE);
  }

  static ClassifierModel load(Path dir) throws IOException {
    ClassifierExport export = ClassifierExport.read(dir);
    Vocabulary vocab = Vocabulary.load(dir.resolve(ExportMetadata.VOCAB_FILE));
    BertTokenizer tokenizer = new BertTokenizer(vocab, export.doLowerCase(),
        WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD);
    SavedModelBundle bundle = SavedModelBundle.loader(dir.toString()).withTags(SavedModelBundle.DEFAULT_TAG)
        .withConfigProto(ConfigProto.newBuilder().setInterOpParallelismThreads(1).build()).load();
    try {
      return new ClassifierModel(export, tokenizer, bundle);
    } catch (RuntimeException e) {
      bundle.close();
      throw new IOException(dir + ": the SavedModel has no usable signature '" + ExportMetadata.SIGNATURE + "': "
          + e, e);
    }
  }

  ClassifierExport export() {
    return export;
  }

  /** The classes of a text, or of a pair when {@code textB} is not null; a regression's score. */
  Classification classify(String textA, String textB) {
    requireKind(ClassifierExport.Kind.SEQUENCE, "classify");
    GlueFeaturizer.Inputs in = new GlueFeaturizer(tokenizer, export.maxSeqLength())
        .inputs(new GlueExample(0, textA, textB, null));
    float[] logits = logits(in);
    if (export.regression()) {
      return new Classification(List.of(), (double) logits[0]);
    }
    double[] p = softmax(logits, 0, logits.length);
    List<Scored> classes = new ArrayList<>();
    for (int k = 0; k < p.length; k++) {
      classes.add(new Scored(export.labels().get(k), p[k]));
    }
    classes.sort((a, b) -> Double.compare(b.probability(), a.probability()));
    return new Classification(classes, null);
  }

  /**
   * The label of each word, from its first WordPiece, with its probability; only the words that fit in the model's
   * tokens get one (the list is shorter then).
   */
  List<Scored> tag(List<String> words) {
    requireKind(ClassifierExport.Kind.TOKEN, "tag");
    TaggingFeaturizer.Features f = new TaggingFeaturizer(tokenizer, export.maxSeqLength()).features(words, null);
    float[] logits = logits(f.inputs());
    int labels = export.labels().size();
    List<Scored> tags = new ArrayList<>();
    for (int position : f.firstPieces()) {
      double[] p = softmax(logits, position * labels, labels);
      int best = 0;
      for (int k = 1; k < labels; k++) {
        best = p[k] > p[best] ? k : best;
      }
      tags.add(new Scored(export.labels().get(best), p[best]));
    }
    return tags;
  }

  private void requireKind(ClassifierExport.Kind kind, String what) {
    if (export.kind() != kind) {
      throw new IllegalStateException("a " + export.kind().architecture() + " export cannot " + what);
    }
  }

  /** The logits of one input row. */
  private float[] logits(GlueFeaturizer.Inputs in) {
    Shape shape = Shape.of(1, in.inputIds().length);
    try (TInt32 ids = TInt32.tensorOf(shape, DataBuffers.of(in.inputIds(), true, false));
        TInt32 mask = TInt32.tensorOf(shape, DataBuffers.of(in.inputMask(), true, false));
        TInt32 segments = TInt32.tensorOf(shape, DataBuffers.of(in.segmentIds(), true, false));
        Result result = function.call(Map.<String, Tensor>of(ExportMetadata.INPUT_IDS, ids,
            ExportMetadata.INPUT_MASK, mask, ExportMetadata.SEGMENT_IDS, segments))) {
      TFloat32 t = (TFloat32) result.get(ClassifierExport.LOGITS).orElseThrow(() -> new IllegalStateException(
          "the SavedModel has no output " + ClassifierExport.LOGITS));
      float[] values = new float[Math.toIntExact(t.size())];
      t.copyTo(DataBuffers.of(values, false, false));
      return values;
    }
  }

  private static double[] softmax(float[] logits, int from, int count) {
    double max = Double.NEGATIVE_INFINITY;
    for (int k = 0; k < count; k++) {
      max = Math.max(max, logits[from + k]);
    }
    double[] p = new double[count];
    for (int k = 0; k < count; k++) {
      p[k] = Math.exp(logits[from + k] - max);
    }
    double sum = Arrays.stream(p).sum();
    for (int k = 0; k < count; k++) {
      p[k] /= sum;
    }
    return p;
  }

  @Override
  public void close() {
    bundle.close();
  }
}
