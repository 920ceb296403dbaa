package electra.trainer.export;

import static electra.trainer.model.HostArrays.floats;

import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import electra.trainer.model.Embeddings;
import electra.trainer.model.Encoder;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Inputs;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The {@code ExportModel} job: a fine-tuned QA model becomes a self-contained serving folder:
 *
 * <pre>
 * OUTPUT_DIR/
 *   saved_model.pb, variables/   TF SavedModel, tag "serve", signature "serving_default":
 *                                input_ids, input_mask, segment_ids int32 [-1, -1] -> start_logits, end_logits float [-1, -1]
 *   vocab.txt                    the WordPiece vocabulary the inputs must be made with
 *   config.json                  the model's architecture (Hugging Face format)
 *   export.json                  head type, output names, window sizes, casing, vocabulary fingerprint
 * </pre>
 *
 * <p>The folder is written under a temporary name next to {@code --output_dir} and renamed when complete, so a
 * reader never sees half an export. After writing, the SavedModel is loaded again and its logits are compared
 * with the graph it came from.
 */
public final class ExportModel implements Job {

  /** What to export and how inputs are to be made. */
  public record Settings(int maxSeqLength, int docStride, int maxQueryLength, boolean doLowerCase,
      int maxInputCharsPerWord, String head) {
    public static final Settings DEFAULTS = new Settings(384, 128, 64, true, 100, ExportMetadata.HEAD_SIMPLE);
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
    return "Fine-tuned QA model -> TF SavedModel + vocab.txt + config.json + export.json, all serving needs";
  }

  static Flags flags() {
    Settings d = Settings.DEFAULTS;
    return Flags.forJob("ExportModel", "writes a fine-tuned QA model as a SavedModel folder for Infer and ServeQA")
        .text("electra_model", null, "a fine-tuned Hugging Face ElectraForQuestionAnswering folder (config.json + "
            + "model.safetensors)")
        .text("output_dir", null, "the export folder to create (must not exist, or be empty)")
        .text("vocab_file", "", "WordPiece vocabulary: a vocab.txt path or bert-base-uncased; default: the model "
            + "folder's vocab.txt, else bert-base-uncased")
        .text("head", d.head(), "the QA head: simple (Hugging Face qa_outputs, start/end logits)")
        .integer("max_seq_length", d.maxSeqLength(), "tokens per window the model was fine-tuned with")
        .integer("doc_stride", d.docStride(), "how far apart context windows start, in WordPieces")
        .integer("max_query_length", d.maxQueryLength(), "questions are cut to this many WordPieces")
        .bool("do_lower_case", d.doLowerCase(), "lower-case and strip accents (uncased vocabularies)")
        .integer("max_input_chars_per_word", d.maxInputCharsPerWord(), "longer words become [UNK]")
        .example("ExportModel --electra_model=../shared/golden/tiny-discriminator-qa "
            + "--vocab_file=../shared/data/vocab/bert-base-uncased-vocab.txt --output_dir=/tmp/qa-export");
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values v = flags().parse(args);
    Path model = Path.of(v.required("electra_model"));
    Path output = Path.of(v.required("output_dir"));
    if (!Files.isRegularFile(model.resolve(HuggingFaceWeights.CONFIG_FILE))
        || !Files.isRegularFile(model.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      throw new UsageException("--electra_model " + model + " must be a Hugging Face folder with "
          + HuggingFaceWeights.CONFIG_FILE + " and " + HuggingFaceWeights.WEIGHTS_FILE);
    }
    String vocabName = v.text("vocab_file");
    if (vocabName == null || vocabName.isEmpty()) {
      Path own = model.resolve(ExportMetadata.VOCAB_FILE);
      vocabName = Files.isRegularFile(own) ? own.toString() : "bert-base-uncased";
    }
    Settings settings = new Settings(v.intValue("max_seq_length"), v.intValue("doc_stride"),
        v.intValue("max_query_length"), v.bool("do_lower_case"), v.intValue("max_input_chars_per_word"),
        v.text("head"));
    long t0 = System.nanoTime();
    ExportMetadata meta = export(model, Vocabulary.resolve(vocabName), output, settings);
    out.printf("exported %s (%s head, max_seq_length %d, vocab sha256 %s) to %s in %.1f s%n", model, meta.head(),
        meta.maxSeqLength(), meta.vocabFingerprint(), output, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Exports a Hugging Face QA folder. Refuses a folder without QA head weights, a vocabulary whose size differs
   * from the model's, and an existing non-empty {@code output}.
   */
  public static ExportMetadata export(Path hfFolder, Vocabulary vocabulary, Path output, Settings settings)
      throws IOException {
    if (!ExportMetadata.HEAD_SIMPLE.equals(settings.head())) {
      throw new UsageException("--head " + settings.head() + " cannot be exported yet; supported: "
          + ExportMetadata.HEAD_SIMPLE);
    }
    if (settings.maxSeqLength() - settings.maxQueryLength() - 3 < 1) {
      throw new UsageException("--max_seq_length " + settings.maxSeqLength() + " leaves no room for the context "
          + "after --max_query_length " + settings.maxQueryLength());
    }
    ElectraConfig config = HuggingFaceWeights.readConfig(hfFolder);
    if (config.vocabSize() != vocabulary.size()) {
      throw new IllegalArgumentException("the model has " + config.vocabSize() + " token embeddings but the "
          + "vocabulary " + vocabulary.source() + " has " + vocabulary.size() + " tokens");
    }
    if (settings.maxSeqLength() > config.maxPositionEmbeddings()) {
      throw new UsageException("--max_seq_length " + settings.maxSeqLength() + " exceeds the model's "
          + config.maxPositionEmbeddings() + " position embeddings");
    }
    checkOutput(output);
    Path parent = output.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, "." + output.getFileName() + ".exporting-");
    try {
      try (Graph graph = new Graph()) {
        ModelGraph g = ModelGraph.inference(graph);
        Inputs in = Inputs.placeholders(g.tf());
        Operand<TFloat32> hidden = new Encoder(g, Tower.DISCRIMINATOR, config, new Embeddings(g, config)).apply(in);
        SpanHead.Logits logits = new SpanHead(g, config).logits(hidden);
        Operand<TFloat32> start = g.tf().withName(ExportMetadata.START_LOGITS).identity(logits.start());
        Operand<TFloat32> end = g.tf().withName(ExportMetadata.END_LOGITS).identity(logits.end());
        try (Session session = new Session(graph)) {
          HuggingFaceWeights.Report report = HuggingFaceWeights.load(hfFolder, Tower.DISCRIMINATOR, config, g, session,
              HuggingFaceWeights.Match.ENCODER);
          List<String> headless = report.leftAsInitialised().stream()
              .filter(n -> n.startsWith(SpanHead.SCOPE + "/")).toList();
          if (!headless.isEmpty()) {
            throw new IllegalArgumentException(hfFolder + " has no QA head weights (" + String.join(", ", headless)
                + "): export a model fine-tuned for question answering (ElectraForQuestionAnswering)");
          }
          Signature signature = Signature.builder().key(ExportMetadata.SIGNATURE)
              .input(ExportMetadata.INPUT_IDS, in.inputIds())
              .input(ExportMetadata.INPUT_MASK, in.inputMask())
              .input(ExportMetadata.SEGMENT_IDS, in.segmentIds())
              .output(ExportMetadata.START_LOGITS, start)
              .output(ExportMetadata.END_LOGITS, end)
              .build();
          SavedModelBundle.exporter(staging.toString()).withSession(session).withSignature(signature).export();
          float[][] expected = run(session, in, start, end);
          verify(staging, expected);
        }
      }
      Files.write(staging.resolve(ExportMetadata.VOCAB_FILE), vocabularyBytes(vocabulary));
      config.writeJson(staging.resolve(ExportMetadata.CONFIG_FILE), "ElectraForQuestionAnswering");
      ExportMetadata meta = ExportMetadata.simpleHead(settings.maxSeqLength(), settings.docStride(),
          settings.maxQueryLength(), settings.doLowerCase(), settings.maxInputCharsPerWord(),
          vocabulary.fingerprint(), vocabulary.size(), hfFolder.toAbsolutePath().normalize().toString());
      meta.write(staging);
      if (Files.isDirectory(output)) {
        Files.delete(output); // empty, checked above
      }
      Files.move(staging, output, StandardCopyOption.ATOMIC_MOVE);
      return meta;
    } finally {
      deleteRecursively(staging);
    }
  }

  private static void checkOutput(Path output) throws IOException {
    if (Files.exists(output)) {
      if (!Files.isDirectory(output)) {
        throw new UsageException("--output_dir " + output + " is a file");
      }
      try (Stream<Path> entries = Files.list(output)) {
        if (entries.findAny().isPresent()) {
          throw new UsageException("--output_dir " + output + " is not empty; give a new folder");
        }
      }
    }
  }

  /** The vocabulary's own file bytes when it came from a file, so its fingerprint stays the same. */
  public static byte[] vocabularyBytes(Vocabulary vocabulary) throws IOException {
    Path source = Path.of(vocabulary.source());
    if (Files.isRegularFile(source)) {
      byte[] bytes = Files.readAllBytes(source);
      if (Vocabulary.fromBytes(bytes, vocabulary.source()).fingerprint().equals(vocabulary.fingerprint())) {
        return bytes;
      }
    }
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < vocabulary.size(); i++) {
      text.append(vocabulary.token(i)).append('\n');
    }
    byte[] bytes = text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (!Vocabulary.fromBytes(bytes, "rewritten").fingerprint().equals(vocabulary.fingerprint())) {
      throw new IOException("cannot reproduce the bytes of vocabulary " + vocabulary.source());
    }
    return bytes;
  }

  // A fixed probe input: [CLS] 5 tokens [SEP] 3 tokens [SEP] and one padding position, twice.
  private static final int[] PROBE_IDS = {101, 2054, 2833, 2515, 4302, 2066, 102, 2026, 2171, 102, 0,
      101, 2026, 2171, 2003, 4302, 102, 1045, 2293, 8344, 102, 0};
  private static final int[] PROBE_MASK = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
  private static final int[] PROBE_SEGMENTS = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0};

  private static TInt32 probe(int[] values) {
    return TInt32.tensorOf(Shape.of(2, values.length / 2), DataBuffers.of(values, true, false));
  }

  private static float[][] run(Session session, Inputs in, Operand<TFloat32> start, Operand<TFloat32> end) {
    try (TInt32 ids = probe(PROBE_IDS); TInt32 mask = probe(PROBE_MASK); TInt32 seg = probe(PROBE_SEGMENTS);
        Result r = session.runner().feed(in.inputIds(), ids).feed(in.inputMask(), mask).feed(in.segmentIds(), seg)
            .fetch(start).fetch(end).run()) {
      return new float[][] {floats((TFloat32) r.get(0)), floats((TFloat32) r.get(1))};
    }
  }

  /** Loads the written SavedModel and checks that it computes what the graph computed. */
  private static void verify(Path dir, float[][] expected) throws IOException {
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), SavedModelBundle.DEFAULT_TAG);
        TInt32 ids = probe(PROBE_IDS); TInt32 mask = probe(PROBE_MASK); TInt32 seg = probe(PROBE_SEGMENTS);
        Result r = bundle.function(ExportMetadata.SIGNATURE).call(Map.<String, Tensor>of(
            ExportMetadata.INPUT_IDS, ids, ExportMetadata.INPUT_MASK, mask, ExportMetadata.SEGMENT_IDS, seg))) {
      String[] names = {ExportMetadata.START_LOGITS, ExportMetadata.END_LOGITS};
      for (int k = 0; k < names.length; k++) {
        String name = names[k];
        float[] actual = floats((TFloat32) r.get(name).orElseThrow(
            () -> new IOException("the written SavedModel has no output " + name)));
        if (!java.util.Arrays.equals(actual, expected[k])) {
          throw new IOException("the written SavedModel computes other " + names[k] + " than the graph it came from");
        }
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (IOException | UncheckedIOException e) {
      System.err.println("ExportModel: could not delete " + dir + ": " + e);
    }
  }
}
