package electra.trainer.export;

import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.export.ExportCheck;
import electra.export.ExportMetadata;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import electra.tokenization.VocabularyResolver;
import electra.trainer.finetune.Batch;
import electra.trainer.finetune.FinetuneConfig;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
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
 *   check.json                   a probe batch and the outputs the graph computed for it (ExportCheck), which a
 *                                server repeats before it serves the export
 * </pre>
 *
 * <p>With {@code --models} and {@code --name} instead of {@code --output_dir} the export is published as the next
 * version of a {@link ModelRepository}, with its {@link ModelEvaluation} ({@link #publish}, {@link #evaluationOf}).
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

    /** Serving as FinetuneSquad run {@code c} evaluated: its windows, casing, head, beam and decoding. */
    public static Settings of(FinetuneConfig c) {
      return new Settings(c.maxSeqLength(), c.docStride(), c.maxQueryLength(), c.tokenization().doLowerCase(),
          MAX_INPUT_CHARS_PER_WORD, c.head(), c.beamSize(), new AnswerDecoder.Options(c.nBestSize(),
          c.maxAnswerLength(), c.version2() ? SquadVersion.V2_0 : SquadVersion.V1_1, c.nullScoreDiffThreshold()));
    }
  }

  /** The tokenizer's longest word (longer ones become [UNK]), as FinetuneSquad and BERT tokenize. */
  private static final int MAX_INPUT_CHARS_PER_WORD = 100;

  private static final ObjectMapper JSON = new ObjectMapper();

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
      @Flag("the export folder to write (or --models and --name)")
      Path outputDir,
      @Flag("a model repository to publish into: the export becomes the next version <models>/<name>/<N>/, with "
          + ModelEvaluation.FILE + " (instead of --output_dir)")
      Path models,
      @Flag("with --models: the model's name, a folder under --models")
      String name,
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
      @Flag(value = "longer words become [UNK]", defaultValue = "" + MAX_INPUT_CHARS_PER_WORD)
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

    public CommandLine {
      if ((outputDir == null) == (models == null)) {
        throw new UsageException("give either --output_dir (one export folder) or --models with --name (the next "
            + "version of a model repository), " + (outputDir == null ? "not neither" : "not both"));
      }
      if (models != null && (name == null || name.isBlank())) {
        throw new UsageException("--models needs --name, the model's folder under " + models);
      }
      if (models == null && name != null) {
        throw new UsageException("--name names a model in --models; with --output_dir leave it out");
      }
      if (models != null && overwrite != null && overwrite.requested()) {
        throw new UsageException("--overwrite has nothing to delete with --models: a version is never changed, "
            + "each publish adds the next one");
      }
    }

    /** The repository {@code --models} and {@code --name} name; empty with {@code --output_dir}. */
    public Optional<ModelRepository> repository() {
      try {
        return models == null ? Optional.empty() : Optional.of(ModelRepository.at(models, name));
      } catch (IllegalArgumentException e) {
        throw new UsageException("--name: " + e.getMessage());
      }
    }

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
        .example("./electra ExportModel --electra_model=../shared/golden/tiny-discriminator-qa "
            + "--vocab_file=../shared/data/vocab/bert-base-uncased-vocab.txt --models=/tmp/models --name=tiny-qa   "
            + "(publishes /tmp/models/tiny-qa/1, then 2, ...)")
        .record(CommandLine.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    CommandLine command = flags().parse(args).record(CommandLine.class);
    Settings settings = command.settings();
    Optional<ModelRepository> repository = command.repository();
    long t0 = System.nanoTime();
    Vocabulary vocabulary = Vocabulary.resolve(command.vocabulary());
    if (repository.isPresent()) {
      ModelEvaluation evaluation = evaluationOf(command.electraModel());
      ModelRepository.Version version = publish(command.electraModel(), vocabulary, repository.get(), settings,
          evaluation);
      ExportMetadata meta = version.metadata();
      out.printf("published %s (%s head, SQuAD %s, max_seq_length %d) as version %d of %s in %.1f s; %s%n",
          command.electraModel(), meta.head().id(), meta.decoding().version().number(), meta.maxSeqLength(),
          version.number(), repository.get(), (System.nanoTime() - t0) / 1e9,
          evaluation.scores().isEmpty() ? "not evaluated (no " + EVAL_RESULTS + " that scored this model)"
              : "scores " + new TreeMap<>(evaluation.scores()) + " from " + evaluation.data());
      return;
    }
    ExportMetadata meta = export(command.electraModel(), vocabulary, command.outputDir(), command.overwrite(),
        settings);
    out.printf("exported %s (%s head, SQuAD %s, max_seq_length %d, vocab sha256 %s) to %s in %.1f s%n",
        command.electraModel(), meta.head().id(), meta.decoding().version().number(), meta.maxSeqLength(),
        meta.vocabFingerprint(), command.outputDir(), (System.nanoTime() - t0) / 1e9);
  }

  /** What FinetuneSquad writes in its output folder after scoring its predictions. */
  static final String EVAL_RESULTS = "eval_results.json";
  private static final String PREDICTIONS = "predictions.json";

  /**
   * The evaluation of a fine-tuned model as FinetuneSquad left it, for its {@value ModelEvaluation#FILE}: the official
   * scores of {@code <output_dir>/}{@value #EVAL_RESULTS} when {@code model} is the newest checkpoint of that run
   * ({@code <output_dir>/checkpoints/ckpt-N}, which is what its evaluation scored) and the scores were written after
   * it; for a Hugging Face folder, the scores in the folder itself. Otherwise the model is recorded as unevaluated:
   * scores of another checkpoint would mislead a policy that compares versions. FinetuneSquad does not record which
   * pre-training checkpoint it started from, so that stays unknown here; a caller that knows it (continuous
   * evaluation) builds its own {@link ModelEvaluation}.
   */
  public static ModelEvaluation evaluationOf(Path model) throws IOException {
    Path dir = model.toAbsolutePath().normalize();
    String source = "ExportModel --electra_model=" + dir;
    Path results = dir.resolve(EVAL_RESULTS);
    if (Files.isRegularFile(dir.resolve(Checkpoints.MODEL + ".index"))) {
      Path checkpoints = dir.getParent();
      Path run = checkpoints == null ? null : checkpoints.getParent();
      if (run == null) {
        return ModelEvaluation.unevaluated("", -1, source);
      }
      results = run.resolve(EVAL_RESULTS);
      Optional<Path> newest = new Checkpoints(checkpoints, "ckpt-", 0).latest();
      if (!Files.isRegularFile(results) || newest.isEmpty() || !newest.get().toAbsolutePath().normalize().equals(dir)
          || Files.getLastModifiedTime(results).compareTo(Files.getLastModifiedTime(dir)) < 0) {
        return ModelEvaluation.unevaluated("", -1, source);
      }
    } else if (!Files.isRegularFile(results)) {
      return ModelEvaluation.unevaluated("", -1, source);
    }
    JsonNode scores = JSON.readTree(results.toFile());
    Map<String, Double> numbers = new TreeMap<>();
    scores.fields().forEachRemaining(e -> {
      if (e.getValue().isNumber()) {
        numbers.put(e.getKey(), e.getValue().asDouble());
      }
    });
    // SQuAD 2.0 results count their questions; 1.1 results do not, but the predictions beside them list each once.
    int questions = scores.path("total").asInt(0);
    Path predictions = results.resolveSibling(PREDICTIONS);
    if (questions == 0 && Files.isRegularFile(predictions)) {
      questions = JSON.readTree(predictions.toFile()).size();
    }
    if (numbers.isEmpty() || questions == 0) {
      return ModelEvaluation.unevaluated("", -1, source);
    }
    return new ModelEvaluation(numbers, "FinetuneSquad's --predict_file, scored into " + results, questions, "", -1,
        source);
  }

  /**
   * Publishes the newest checkpoint of FinetuneSquad run {@code c} as the next version of {@code repository}, served
   * as that run evaluated it ({@link Settings#of}), with {@code evaluation} as its {@code eval.json}. The one call a job
   * that fine-tunes and scores checkpoints (continuous evaluation) needs; {@code vocabulary} is the one the run
   * trained with.
   */
  public static ModelRepository.Version publishFinetuned(FinetuneConfig c, Vocabulary vocabulary,
      ModelRepository repository, ModelEvaluation evaluation) throws IOException {
    Path checkpoint = new Checkpoints(c.checkpointDir(), "ckpt-", 0).latest().orElseThrow(
        () -> new IOException(c.checkpointDir() + " holds no checkpoint to publish"));
    return publish(checkpoint, vocabulary, repository, Settings.of(c), evaluation);
  }

  /**
   * Publishes a fine-tuned model as the next version of {@code repository}: the export (as {@link #export} writes
   * it, checked the same way) and {@code evaluation} are written into a staging folder of the repository, which
   * becomes the version by one rename. A failure leaves no version and no staging folder behind; a killed process
   * leaves a staging folder that {@link ModelRepository#removeAbandonedStaging} deletes. This is the entry point for
   * other jobs (continuous evaluation): {@code evaluation} is theirs to fill, or {@link #evaluationOf} the model.
   */
  public static ModelRepository.Version publish(Path model, Vocabulary vocabulary, ModelRepository repository,
      Settings settings, ModelEvaluation evaluation) throws IOException {
    return publish(model, vocabulary, repository, settings, evaluation, staged -> { });
  }

  /**
   * As {@link #publish(Path, Vocabulary, ModelRepository, Settings, ModelEvaluation)}, telling {@code staging} the
   * staging folder once it exists (a caller's progress line).
   */
  public static ModelRepository.Version publish(Path model, Vocabulary vocabulary, ModelRepository repository,
      Settings settings, ModelEvaluation evaluation, Consumer<Path> staging) throws IOException {
    Source source = check(model, vocabulary, settings);
    Path staged = repository.stage();
    staging.accept(staged);
    try {
      write(source, vocabulary, staged, settings, model);
      evaluation.write(staged);
      return repository.publish(staged);
    } finally {
      if (Files.exists(staged)) {
        Directories.deleteRecursively(staged);
      }
    }
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
    Source source = check(model, vocabulary, settings);
    OutputFolder.claim(output, OutputFolder.Claim.newOutput("ExportModel"), overwrite);
    Path parent = output.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    Path staging = Files.createTempDirectory(parent, "." + output.getFileName() + ".exporting-");
    try {
      ExportMetadata meta = write(source, vocabulary, staging, settings, model);
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

  /** The model's source once the settings and the vocabulary are known to fit it. */
  private static Source check(Path model, Vocabulary vocabulary, Settings settings) throws IOException {
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
    return source;
  }

  /** Writes the export's files into the empty folder {@code dir} and checks them. */
  private static ExportMetadata write(Source source, Vocabulary vocabulary, Path dir, Settings settings, Path model)
      throws IOException {
    ElectraConfig config = source.config();
    try (QaGraph graph = new QaGraph(config, settings.head(), settings.beamSize(), null, null)) {
      source.load(graph, vocabulary);
      graph.exportSavedModel(dir);
      Model onnx = OnnxQaModel.of(config, settings.head(), settings.beamSize(), graph::weight);
      try (OutputStream out = Files.newOutputStream(dir.resolve(ExportMetadata.ONNX_FILE))) {
        onnx.writeTo(out);
      }
      verify(graph, dir, onnx, vocabulary);
    }
    Files.write(dir.resolve(ExportMetadata.VOCAB_FILE), vocabulary.fileBytes());
    config.writeJson(dir.resolve(ExportMetadata.CONFIG_FILE), "ElectraForQuestionAnswering");
    ExportMetadata meta = ExportMetadata.standard(settings.head(), settings.beamSize(), settings.windows(),
        settings.doLowerCase(), settings.maxInputCharsPerWord(), settings.decoding(), vocabulary.fingerprint(),
        vocabulary.size(), model.toAbsolutePath().normalize().toString());
    meta.write(dir);
    return meta;
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

  /**
   * Loads the written SavedModel and checks that it computes, bit for bit, what the graph computed; runs the ONNX
   * model and checks that its outputs are within a relative {@value #ONNX_TOLERANCE} (indices equal). Records the
   * probe and the graph's outputs as the export's {@link ExportCheck}, which a server repeats before serving it.
   */
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
    ExportCheck check = graph.run(batch, output -> ExportCheck.of(PROBE_ROWS, length, ids, mask, segments,
        graph.outputNames(), QaGraph.headOutputs(output), ONNX_TOLERANCE));
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
      String difference = session.run(PROBE_ROWS, length, ids, mask, segments, check::differences);
      if (!difference.isEmpty()) {
        throw new IOException("the written " + ExportMetadata.ONNX_FILE + " computes other outputs than the graph it "
            + "came from: " + difference);
      }
    }
    check.write(dir);
  }

  private static byte[] bytes(Tensor t) {
    ByteDataBuffer data = t.asRawTensor().data();
    byte[] out = new byte[Math.toIntExact(data.size())];
    data.read(out);
    return out;
  }

}
