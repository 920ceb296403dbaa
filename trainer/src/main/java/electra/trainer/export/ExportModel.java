package electra.trainer.export;

import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.export.ExportMetadata;
import electra.export.HeadOutputs;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import electra.tokenization.VocabularyResolver;
import electra.trainer.finetune.Batch;
import electra.trainer.finetune.FinetunedHead;
import electra.trainer.finetune.QaGraph;
import electra.trainer.model.HostArrays;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.SpanHead;
import electra.trainer.onnx.OnnxQaModel;
import electra.trainer.onnx.OnnxRuntimeSession;
import electra.trainer.onnx.proto.Model;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.exceptions.TensorFlowException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.ByteDataBuffer;
import org.tensorflow.types.TInt32;

/**
 * The {@code ExportModel} job: a fine-tuned QA model becomes a self-contained serving folder:
 *
 * <pre>
 * OUTPUT_DIR/
 *   saved_model.pb, variables/   TF SavedModel, tag "serve", signature "serving_default":
 *                                input_ids, input_mask, segment_ids int32 [-1, -1] -> the head's outputs
 *                                (simple: start_logits, end_logits; joint: its beams and answerable_logit)
 *   model.onnx                   the same network and weights as an ONNX model (opset 17), same input and
 *                                output names, for ONNX Runtime (--engine=onnxruntime)
 *   vocab.txt                    the WordPiece vocabulary the inputs must be made with
 *   config.json                  the model's architecture (Hugging Face format)
 *   export.json                  head type, output names, window sizes, casing, vocabulary fingerprint, and the
 *                                decoding: SQuAD 1.1 or 2.0 with its null-score-diff threshold
 * </pre>
 *
 * <p>The weights come from a Hugging Face {@code ElectraForQuestionAnswering} folder (the simple head, e.g.
 * FinetuneSquad's {@code --export_hf_dir}) or from a FinetuneSquad checkpoint folder (either head, as its
 * {@code finetune.json} records; the joint head has no Hugging Face counterpart). Either way the graph is
 * FinetuneSquad's own inference graph ({@link QaGraph}), so the SavedModel computes exactly what evaluation decodes.
 *
 * <p>The folder is written under a temporary name next to {@code --output_dir} and renamed when complete, so a
 * reader never sees half an export. After writing, the SavedModel is loaded again and its outputs are compared
 * bit for bit with the graph it came from, and {@code model.onnx} is run in ONNX Runtime and compared to a relative
 * {@value #ONNX_TOLERANCE} (another engine's kernels round differently).
 */
public final class ExportModel implements Job {

  /**
   * What to export and how inputs are to be made and outputs decoded.
   *
   * @param beamSize the joint head's start and end beam width (ignored for the simple head)
   * @param decoding how serving decodes: FinetuneSquad's {@code --n_best_size}, {@code --max_answer_length},
   *     {@code --version_2_with_negative} and {@code --null_score_diff_threshold}
   */
  public record Settings(int maxSeqLength, int docStride, int maxQueryLength, boolean doLowerCase,
      int maxInputCharsPerWord, QaHead head, int beamSize, AnswerDecoder.Options decoding) {

    /** How questions and contexts become windows. */
    public QaFeaturizer.Options windows() {
      return new QaFeaturizer.Options(maxSeqLength, docStride, maxQueryLength);
    }
  }

  private final PrintStream out;

  public ExportModel() {
    this(System.out);
  }

  public ExportModel(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "ExportModel";
  }

  @Override
  public String description() {
    return "Fine-tuned QA model -> TF SavedModel + model.onnx + vocab.txt + config.json + export.json, all serving "
        + "needs";
  }

  /** The job's command line; {@link #settings} completes it from the model folder. */
  public record CommandLine(
      @Flag(value = "a fine-tuned Hugging Face ElectraForQuestionAnswering folder (config.json + model.safetensors), "
          + "or a FinetuneSquad checkpoint folder (<output_dir>/checkpoints/ckpt-N)", required = true)
      Path electraModel,
      @Flag(value = "the export folder to write", required = true)
      Path outputDir,
      Overwrite overwrite,
      @Flag("WordPiece vocabulary: a vocab.txt path or bert-base-uncased; default: the model folder's vocab.txt, "
          + "else bert-base-uncased")
      String vocabFile,
      @Flag("the QA head: simple (qa_outputs, start/end logits) or joint (Google's joint head with answerability; "
          + "only from a FinetuneSquad checkpoint); default: the head FinetuneSquad recorded in the checkpoint ("
          + FinetunedHead.FILE + "), else simple")
      QaHead head,
      @Flag(value = "joint head: start and end beam width (as FinetuneSquad's --beam_size)", defaultValue = "5")
      int beamSize,
      @Flag(value = "tokens per window the model was fine-tuned with", defaultValue = "384")
      int maxSeqLength,
      @Flag(value = "how far apart context windows start, in WordPieces", defaultValue = "128")
      int docStride,
      @Flag(value = "questions are cut to this many WordPieces", defaultValue = "64")
      int maxQueryLength,
      @Flag(value = "lower-case and strip accents (uncased vocabularies)", defaultValue = "true")
      boolean doLowerCase,
      @Flag(value = "longer words become [UNK]", defaultValue = "100")
      int maxInputCharsPerWord,
      @Flag(value = "SQuAD 2.0: serving may answer \"no answer\"", defaultValue = "false")
      boolean version2WithNegative,
      @Flag("v2.0: no answer above this null-odds score (default -2.75 for the joint head's answerable logit, 0.0 "
          + "for the simple head)")
      Double nullScoreDiffThreshold,
      @Flag(value = "n-best answers kept (and start/end logits tried per window)", defaultValue = "20")
      int nBestSize,
      @Flag(value = "longest answer in WordPieces", defaultValue = "30")
      int maxAnswerLength) {

    /** The export settings: the head recorded with the model unless {@code --head} names one. */
    public Settings settings() throws IOException {
      QaHead chosen = head != null ? head : FinetunedHead.read(electraModel).orElse(QaHead.SIMPLE);
      try {
        AnswerDecoder.Options decoding = new AnswerDecoder.Options(nBestSize, maxAnswerLength,
            version2WithNegative ? SquadVersion.V2_0 : SquadVersion.V1_1,
            nullScoreDiffThreshold != null ? nullScoreDiffThreshold : chosen.defaultNullScoreDiffThreshold());
        return new Settings(maxSeqLength, docStride, maxQueryLength, doLowerCase, maxInputCharsPerWord, chosen,
            beamSize, decoding);
      } catch (IllegalArgumentException e) {
        throw new UsageException(e.getMessage());
      }
    }

    /** The vocabulary: {@code --vocab_file}, else the model folder's own, else bert-base-uncased. */
    public String vocabulary() {
      if (vocabFile != null && !vocabFile.isBlank()) {
        return vocabFile;
      }
      Path own = electraModel.resolve(ExportMetadata.VOCAB_FILE);
      return Files.isRegularFile(own) ? own.toString() : VocabularyResolver.BERT_BASE_UNCASED;
    }
  }

  static Flags flags() {
    return Flags.forJob("ExportModel", "writes a fine-tuned QA model as a SavedModel folder for Infer and ServeQA")
        .example("./electra ExportModel --electra_model=../shared/golden/tiny-discriminator-qa "
            + "--vocab_file=../shared/data/vocab/bert-base-uncased-vocab.txt --output_dir=/tmp/qa-export")
        .example("./electra ExportModel --electra_model=runs/squad2/checkpoints/ckpt-016290 --version_2_with_negative "
            + "--output_dir=/tmp/qa2-export")
        .record(CommandLine.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    CommandLine command = flags().parse(args).record(CommandLine.class);
    Settings settings = command.settings();
    long t0 = System.nanoTime();
    ExportMetadata meta = export(command.electraModel(), Vocabulary.resolve(command.vocabulary()),
        command.outputDir(), command.overwrite(), settings);
    out.printf("exported %s (%s head, SQuAD %s, max_seq_length %d, vocab sha256 %s) to %s in %.1f s%n",
        command.electraModel(), meta.head().id(), meta.decoding().version().number(), meta.maxSeqLength(),
        meta.vocabFingerprint(), command.outputDir(), (System.nanoTime() - t0) / 1e9);
  }

  /** Where the weights come from: a Hugging Face QA folder or a FinetuneSquad checkpoint folder. */
  private record Source(Path dir, ElectraConfig config, boolean checkpoint) {

    static Source of(Path dir) throws IOException {
      if (Files.isRegularFile(dir.resolve(HuggingFaceWeights.CONFIG_FILE))
          && Files.isRegularFile(dir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
        return new Source(dir, HuggingFaceWeights.readConfig(dir), false);
      }
      if (Files.isRegularFile(dir.resolve(Checkpoints.MODEL + ".index"))) {
        // FinetuneSquad writes the model's config.json next to its checkpoint folders.
        Path config = dir.toAbsolutePath().getParent().resolve(HuggingFaceWeights.CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
          throw new UsageException("--electra_model " + dir + " is a checkpoint but " + config + " is missing: "
              + "export a FinetuneSquad checkpoint (<output_dir>/checkpoints/ckpt-N)");
        }
        return new Source(dir, ElectraConfig.readJson(config), true);
      }
      throw new UsageException("--electra_model " + dir + " must be a Hugging Face folder with "
          + HuggingFaceWeights.CONFIG_FILE + " and " + HuggingFaceWeights.WEIGHTS_FILE
          + ", or a FinetuneSquad checkpoint folder with " + Checkpoints.MODEL + ".index");
    }

    /** Refuses a head other than the one FinetuneSquad recorded in this checkpoint. */
    void requireHead(QaHead head) throws IOException {
      Optional<QaHead> recorded = checkpoint ? FinetunedHead.read(dir) : Optional.empty();
      if (recorded.isPresent() && recorded.get() != head) {
        throw new UsageException("--head " + head.id() + " disagrees with the " + recorded.get().id() + " head "
            + "FinetuneSquad recorded in " + dir.resolve(FinetunedHead.FILE) + ": leave --head out");
      }
    }

    /** Loads the weights of {@code graph}'s head, or says why this source has none. */
    void load(QaGraph graph, Vocabulary vocabulary) throws IOException {
      if (checkpoint) {
        String trainedWith = Checkpoints.readState(dir).vocabFingerprint();
        if (trainedWith != null && !trainedWith.equals(vocabulary.fingerprint())) {
          throw new UsageException("checkpoint " + dir + " was trained with the vocabulary sha256 " + trainedWith
              + " but --vocab_file " + vocabulary.source() + " has " + vocabulary.fingerprint());
        }
        try {
          graph.loadFinetuned(dir.resolve(Checkpoints.MODEL));
        } catch (TensorFlowException e) {
          throw new UsageException("checkpoint " + dir + " has no " + graph.head().id() + " head (" + e.getMessage()
              .lines().findFirst().orElse("") + "); it predates " + FinetunedHead.FILE + ", which records the head, "
              + "so --head must name the head FinetuneSquad trained");
        }
        return;
      }
      if (graph.head() == QaHead.JOINT) {
        throw new UsageException("--head joint cannot come from a Hugging Face folder (the joint head has no "
            + "Hugging Face counterpart): export FinetuneSquad's checkpoint folder, <output_dir>/checkpoints/ckpt-N");
      }
      HuggingFaceWeights.Report report = graph.loadHuggingFace(dir);
      List<String> headless = report.leftAsInitialised().stream()
          .filter(n -> n.startsWith(SpanHead.SCOPE + "/")).toList();
      if (!headless.isEmpty()) {
        throw new IllegalArgumentException(dir + " has no QA head weights (" + String.join(", ", headless)
            + "): export a model fine-tuned for question answering (ElectraForQuestionAnswering)");
      }
    }
  }

  /**
   * Exports a Hugging Face QA folder or a FinetuneSquad checkpoint folder into {@code output}, claimed
   * ({@link OutputFolder}) once the source is checked. Refuses a source without the head's weights, and a vocabulary
   * whose size differs from the model's (or, for a checkpoint, that it was not trained with).
   */
  public static ExportMetadata export(Path model, Vocabulary vocabulary, Path output, Overwrite overwrite,
      Settings settings) throws IOException {
    if (settings.maxSeqLength() - settings.maxQueryLength() - 3 < 1) {
      throw new UsageException("--max_seq_length " + settings.maxSeqLength() + " leaves no room for the context "
          + "after --max_query_length " + settings.maxQueryLength());
    }
    if (settings.head() == QaHead.JOINT
        && (settings.beamSize() < 1 || settings.beamSize() > settings.maxSeqLength())) {
      throw new UsageException("--beam_size must be in 1..max_seq_length, got " + settings.beamSize());
    }
    VocabularyInfo.requireCase(vocabulary, settings.doLowerCase());
    Source source = Source.of(model);
    source.requireHead(settings.head());
    ElectraConfig config = source.config();
    if (config.vocabSize() != vocabulary.size()) {
      throw new IllegalArgumentException("the model has " + config.vocabSize() + " token embeddings but the "
          + "vocabulary " + vocabulary.source() + " has " + vocabulary.size() + " tokens");
    }
    if (settings.maxSeqLength() > config.maxPositionEmbeddings()) {
      throw new UsageException("--max_seq_length " + settings.maxSeqLength() + " exceeds the model's "
          + config.maxPositionEmbeddings() + " position embeddings");
    }
    OutputFolder.claim(output, OutputFolder.Claim.newOutput("ExportModel"), overwrite);
    Path parent = output.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, "." + output.getFileName() + ".exporting-");
    try {
      try (QaGraph graph = new QaGraph(config, settings.head(), settings.beamSize(), null, null)) {
        source.load(graph, vocabulary);
        graph.exportSavedModel(staging);
        Model onnx = OnnxQaModel.of(config, settings.head(), settings.beamSize(), graph::weight);
        try (OutputStream out = Files.newOutputStream(staging.resolve(ExportMetadata.ONNX_FILE))) {
          onnx.writeTo(out);
        }
        verify(graph, staging, onnx, vocabulary);
      }
      Files.write(staging.resolve(ExportMetadata.VOCAB_FILE), vocabulary.fileBytes());
      config.writeJson(staging.resolve(ExportMetadata.CONFIG_FILE), "ElectraForQuestionAnswering");
      ExportMetadata meta = ExportMetadata.standard(settings.head(), settings.beamSize(), settings.windows(),
          settings.doLowerCase(), settings.maxInputCharsPerWord(), settings.decoding(), vocabulary.fingerprint(),
          vocabulary.size(), model.toAbsolutePath().normalize().toString());
      meta.write(staging);
      // the claimed folder holds nothing but its marker, which goes with the export
      Files.move(output.resolve(OutputFolder.MARKER), staging.resolve(OutputFolder.MARKER));
      Files.delete(output);
      Files.move(staging, output, StandardCopyOption.ATOMIC_MOVE);
      return meta;
    } finally {
      try {
        Directories.deleteRecursively(staging);
      } catch (IOException e) {
        System.err.println("ExportModel: could not delete " + staging + ": " + e);
      }
    }
  }

  // A fixed probe input: [CLS] 5 tokens [SEP] 3 tokens [SEP] and one padding position, twice; rows are padded
  // further to the beam size, as the joint head's top-k needs at least k positions. Written in the English
  // vocabulary's ids; probeIds puts them into the export's vocabulary.
  private static final int[] PROBE_IDS = {101, 2054, 2833, 2515, 4302, 2066, 102, 2026, 2171, 102, 0,
      101, 2026, 2171, 2003, 4302, 102, 1045, 2293, 8344, 102, 0};
  private static final int[] PROBE_MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  private static final int[] PROBE_SEGMENTS = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0};
  private static final int PROBE_ROWS = 2;
  /**
   * How far ONNX Runtime's outputs may be from TensorFlow's, relative to the value (absolute below 1): float rounding
   * of other kernels, not other maths. Relative because the joint head's masked log-probabilities are near -1000,
   * where one float step is 6e-5.
   */
  private static final double ONNX_TOLERANCE = 1e-4;

  private static int[] probe(int[] values, int length) {
    int given = values.length / PROBE_ROWS;
    int[] out = new int[PROBE_ROWS * length];
    for (int r = 0; r < PROBE_ROWS; r++) {
      System.arraycopy(values, r * given, out, r * length, given);
    }
    return out;
  }

  /**
   * Loads the written SavedModel and checks that it computes, bit for bit, what the graph computed; runs the ONNX
   * model and checks that its outputs are within a relative {@value #ONNX_TOLERANCE} (indices equal).
   */
  /**
   * The probe in this vocabulary's ids: [CLS], [SEP] and [PAD] looked up by name, word ids wrapped into its size (the
   * English vocabulary's ids unchanged), so a vocabulary built from another corpus gets a probe it can embed.
   */
  static int[] probeIds(Vocabulary vocabulary) {
    int[] ids = new int[PROBE_IDS.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = switch (PROBE_IDS[i]) {
        case 101 -> vocabulary.clsId();
        case 102 -> vocabulary.sepId();
        case 0 -> vocabulary.padId();
        default -> PROBE_IDS[i] % vocabulary.size();
      };
    }
    return ids;
  }

  private static void verify(QaGraph graph, Path dir, Model onnx, Vocabulary vocabulary) throws IOException {
    int length = Math.max(PROBE_IDS.length / PROBE_ROWS, graph.beamSize());
    int[] ids = probe(probeIds(vocabulary), length);
    int[] mask = probe(PROBE_MASK, length);
    int[] segments = probe(PROBE_SEGMENTS, length);
    Batch batch = new Batch(PROBE_ROWS, length, ids, mask, segments, new int[PROBE_ROWS], new int[PROBE_ROWS],
        new float[PROBE_ROWS]);
    Map<String, byte[]> expected = graph.run(batch, output -> {
      Map<String, byte[]> bytes = new LinkedHashMap<>();
      graph.outputNames().forEach(name -> bytes.put(name, bytes(output.apply(name))));
      return bytes;
    });
    Shape shape = Shape.of(PROBE_ROWS, length);
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), SavedModelBundle.DEFAULT_TAG);
        TInt32 idsT = HostArrays.tensor(shape, ids);
        TInt32 maskT = HostArrays.tensor(shape, mask);
        TInt32 segT = HostArrays.tensor(shape, segments);
        Result r = bundle.function(ExportMetadata.SIGNATURE).call(Map.<String, Tensor>of(
            ExportMetadata.INPUT_IDS, idsT, ExportMetadata.INPUT_MASK, maskT, ExportMetadata.SEGMENT_IDS, segT))) {
      for (Map.Entry<String, byte[]> e : expected.entrySet()) {
        Tensor actual = r.get(e.getKey()).orElseThrow(
            () -> new IOException("the written SavedModel has no output " + e.getKey()));
        if (!Arrays.equals(bytes(actual), e.getValue())) {
          throw new IOException("the written SavedModel computes other " + e.getKey() + " than the graph it came from");
        }
      }
    }
    try (OnnxRuntimeSession session = new OnnxRuntimeSession(onnx, 0)) {
      String difference = graph.run(batch, output -> session.run(PROBE_ROWS, length, ids, mask, segments,
          onnxOutputs -> differences(graph.outputNames(), QaGraph.headOutputs(output), onnxOutputs)));
      if (!difference.isEmpty()) {
        throw new IOException("the written " + ExportMetadata.ONNX_FILE + " computes other outputs than the graph it "
            + "came from: " + difference);
      }
    }
  }

  /** The outputs where the ONNX model differs from the graph by more than the tolerance; "" if none. */
  private static String differences(List<String> names, HeadOutputs expected, HeadOutputs actual) {
    List<String> found = new ArrayList<>();
    for (String name : names) {
      if (ExportMetadata.INDEX_OUTPUTS.contains(name)) {
        if (!Arrays.equals(expected.ints(name), actual.ints(name))) {
          found.add(name + " " + Arrays.toString(actual.ints(name)) + " instead of "
              + Arrays.toString(expected.ints(name)));
        }
        continue;
      }
      float[] want = expected.floats(name);
      float[] got = actual.floats(name);
      double worst = 0;
      for (int i = 0; i < Math.min(want.length, got.length); i++) {
        worst = Math.max(worst, Math.abs(want[i] - got[i]) / Math.max(1, Math.abs(want[i])));
      }
      if (want.length != got.length || !(worst <= ONNX_TOLERANCE)) {
        found.add(name + " (" + got.length + " values instead of " + want.length + ", largest relative difference "
            + worst + ")");
      }
    }
    return String.join("; ", found);
  }

  private static byte[] bytes(Tensor t) {
    ByteDataBuffer data = t.asRawTensor().data();
    byte[] out = new byte[Math.toIntExact(data.size())];
    data.read(out);
    return out;
  }

}
