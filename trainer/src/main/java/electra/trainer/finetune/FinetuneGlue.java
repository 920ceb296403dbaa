package electra.trainer.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.export.ClassifierExport;
import electra.glue.GlueData;
import electra.glue.GlueExample;
import electra.glue.GlueFeaturizer;
import electra.glue.GluePredictions;
import electra.glue.GlueSubmission;
import electra.glue.GlueTask;
import electra.tokenization.Vocabulary;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.distributed.WorkerRuntime;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.runtime.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code FinetuneGlue} job (flags in {@link GlueConfig#flags()}): fine-tunes a discriminator with a
 * {@link ClassifierGraph} on one GLUE task's {@code train.tsv}, checkpointing and resuming as FinetuneSquad does
 * ({@link FinetuneLoop}); scores the dev split(s) ({@code <split>_predictions.tsv} and {@code eval_results.json},
 * by split then metric, as EvalGlue computes them); or predicts the test split(s) into GLUE's submission files
 * ({@code CoLA.tsv}, {@code MNLI-m.tsv}, ...; MNLI's model also predicts GLUE's diagnostic set, {@code AX.tsv}, when
 * its folder has {@code diagnostic.tsv}). STS-B is a regression on the score divided by 5, as Google's code
 * normalizes it, and is predicted back on the 0-5 scale. MRPC and STS-B train on each pair in both orders (Google's
 * {@code double_unordered}: the training file's rows, then the same rows with their sentences swapped). With
 * {@code --export_dir} the model is also written for Hugging Face and Infer ({@link ClassifierExports}). With
 * {@code --workers} training is data-parallel as FinetuneSquad's ({@link FinetuneLoop}); the chief (worker 0) alone
 * writes the output folder, exports and scores.
 */
public final class FinetuneGlue implements Job {

  /** What a run did: the loss of every training step, the steps this run took, and the scores by split. */
  public record Summary(List<Float> losses, long firstStep, long lastStep,
      Map<String, Map<String, Double>> results) {}

  static final String EVAL_RESULTS = "eval_results.json";

  /** Google divides the STS-B score by its maximum (the minimum is 0) to train on [0, 1]. */
  static final double STSB_MAX = 5.0;

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Duration PREDICTION_PROGRESS_INTERVAL = Duration.ofSeconds(10);

  /** One featurized example with its class id or normalized target (0 and 0 in a test split). */
  record Example(GlueFeaturizer.Inputs inputs, int classId, float target) {}

  private final PrintStream out;
  private final InstantSource clock;

  public FinetuneGlue() {
    this(System.out);
  }

  public FinetuneGlue(PrintStream out) {
    this(out, InstantSource.system());
  }

  FinetuneGlue(PrintStream out, InstantSource clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "FinetuneGlue";
  }

  @Override
  public String description() {
    return "GLUE sentence and sentence-pair tasks: fine-tuning, dev scores and test submission files";
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values f = GlueConfig.flags().parse(args);
    run(f.record(GlueConfig.class), f.record(DataParallelSettings.CommandLine.class).resolve(System.getenv()),
        Long.MAX_VALUE);
  }

  public Summary run(GlueConfig c) throws Exception {
    return run(c, Long.MAX_VALUE);
  }

  /** Runs, but stops training after global step {@code stopAfterStep}, as a killed job would. */
  public Summary run(GlueConfig c, long stopAfterStep) throws Exception {
    return run(c, DataParallelSettings.none(), stopAfterStep);
  }

  /** As {@link #run(GlueConfig, long)}, as one worker of a data-parallel run when {@code dp} has several. */
  public Summary run(GlueConfig c, DataParallelSettings dp, long stopAfterStep) throws Exception {
    boolean chief = dp.cluster().isChief();
    if (dp.cluster().distributed() && !c.mode().trains()) {
      throw new UsageException("--workers trains in parallel: it needs --mode train or train_eval (evaluation and "
          + "prediction run in one process)");
    }
    GlueTask task = c.taskName();
    Path trainFile = c.mode().trains() ? c.split("train") : null;
    List<String> splits = switch (c.mode()) {
      case TRAIN -> List.of();
      case EVAL, TRAIN_EVAL -> task.devSplits();
      case PREDICTION -> List.copyOf(task.testSubmissions().keySet());
    };
    Map<String, Path> splitFiles = new LinkedHashMap<>();
    for (String split : splits) {
      Path optional = GlueData.file(c.taskDir(), split);
      if (split.equals(GlueData.DIAGNOSTIC) && !Files.isRegularFile(optional)) {
        out.println("no " + optional + ": AX.tsv, the diagnostic set's predictions, is not written (DownloadGlue "
            + "puts GLUE's AX.tsv there)");
      } else {
        splitFiles.put(split, c.split(split));
      }
    }
    FinetuneSource source = FinetuneSource.resolve(c.electraModel(), c.initCheckpoint(),
        c.tokenization().vocabFile());
    if (c.initCheckpoint() != null) {
      FinetunedHead.requireClassifier(c.initCheckpoint(), task.id(), "another --init_checkpoint");
    }
    Vocabulary vocab = source.vocabulary(c.tokenization().doLowerCase());
    GlueFeaturizer featurizer = new GlueFeaturizer(c.tokenization().tokenizer(vocab), c.maxSeqLength());
    if (chief) { // the only worker that writes the output folder and the export
      OutputFolder.Claim claim = new OutputFolder.Claim(name(), c.trainingWork(), c.mode().trains(), "");
      OutputFolder.claim(c.outputDir(), claim, c.overwrite());
      if (c.exportDir() != null) { // claimed now, not refused after hours of training
        OutputFolder.claim(c.exportDir(), claim, c.overwrite());
      }
    }
    boolean gpu = c.training().gpu();
    int outputs = task.isRegression() ? 1 : task.labels().size();
    out.printf(Locale.ROOT, "FinetuneGlue %s %s: %s, %s, %d tokens%n", task.folder(), c.mode().id(), source.config(),
        task.isRegression() ? "regression" : outputs + " labels " + task.labels(), c.maxSeqLength());
    FinetuneLoop.printWorker(dp, c.trainBatchSize(), "examples", out);
    try (WorkerRuntime runtime = dp.start();
        ClassifierGraph graph = new ClassifierGraph(source.config(), outputs, task.isRegression(),
            c.mode().trains() ? c.training().graph(gpu, runtime) : null,
            c.training().sessionConfig(gpu));
        FinetuneLog log = chief ? new FinetuneLog(c.outputDir(), out, clock) : null) {
      FinetuneLoop.Trained trained = FinetuneLoop.Trained.NOTHING;
      long modelStep;
      if (c.mode().trains()) {
        trained = train(c, graph, source, vocab, featurizer, trainFile, log, runtime, stopAfterStep);
        if (!trained.finished() || !chief) {
          return new Summary(trained.losses(), trained.firstStep(), trained.lastStep(), Map.of());
        }
        log.drawCurves("ELECTRA " + task.folder() + " fine-tuning: " + c.outputDir());
        modelStep = trained.lastStep();
      } else {
        modelStep = source.loadForPrediction(graph, out);
      }
      if (c.exportDir() != null) {
        boolean lowerCase = c.tokenization().doLowerCase();
        ClassifierExport export = task.isRegression() ? ClassifierExport.regression(lowerCase, c.maxSeqLength())
            : new ClassifierExport(ClassifierExport.Kind.SEQUENCE, task.labels(), false, lowerCase, c.maxSeqLength());
        ClassifierExports.write(graph, () -> new ClassifierGraph(source.config(), outputs, task.isRegression(), null,
            null), export, vocab, c.exportDir(), task.isRegression() ? STSB_MAX : 1);
        out.println("wrote " + c.exportDir() + ": a Hugging Face " + export.kind().architecture() + " folder and a "
            + "SavedModel for Infer --task=classify");
      }
      Map<String, Map<String, Double>> results = new LinkedHashMap<>();
      for (Map.Entry<String, Path> split : splitFiles.entrySet()) {
        boolean test = GlueData.isTest(split.getKey());
        List<GlueExample> examples = read(split.getValue(), task, split.getKey(), c.maxExamples());
        GluePredictions predicted = predict(c, graph, featurizer, examples);
        Path file = c.outputDir().resolve(test ? task.testSubmissions().get(split.getKey())
            : split.getKey() + "_predictions.tsv");
        GlueSubmission.write(file, task, examples, predicted);
        out.println("wrote " + file);
        if (!test) {
          Map<String, Double> scores = task.score(GluePredictions.parse(task,
              examples.stream().map(GlueExample::label).toList()), predicted);
          results.put(split.getKey(), scores);
          out.println(split.getKey() + " " + scores);
        }
      }
      if (!results.isEmpty()) {
        Files.writeString(c.outputDir().resolve(EVAL_RESULTS), JSON.writeValueAsString(results) + "\n");
        Map<String, Number> scalars = new LinkedHashMap<>();
        results.forEach((split, scores) -> scores.forEach((metric, v) -> scalars.put(split + "/" + metric, v)));
        log.evaluated(modelStep, scalars);
      }
      return new Summary(trained.losses(), trained.firstStep(), trained.lastStep(), results);
    }
  }

  private List<GlueExample> read(Path file, GlueTask task, String splitName, int maxExamples) throws IOException {
    GlueData.Split split = GlueData.read(file, task, splitName);
    if (split.skippedRows() > 0) {
      out.println("skipped " + split.skippedRows() + " rows of " + file + " that lack " + task.folder() + "'s columns"
          + (GlueData.isTest(splitName) ? "" : " or a valid label"));
    }
    List<GlueExample> examples = split.examples();
    if (examples.isEmpty()) {
      throw new UsageException(file + " holds no " + task.folder() + " example");
    }
    return maxExamples > 0 && examples.size() > maxExamples ? examples.subList(0, maxExamples) : examples;
  }

  /** @param log the chief's log, null on the other workers (they write nothing) */
  private FinetuneLoop.Trained train(GlueConfig c, ClassifierGraph graph, FinetuneSource source, Vocabulary vocab,
      GlueFeaturizer featurizer, Path trainFile, FinetuneLog log, WorkerRuntime runtime, long stopAfterStep)
      throws IOException {
    GlueTask task = c.taskName();
    List<Example> examples = new ArrayList<>();
    List<GlueExample> rows = new ArrayList<>(read(trainFile, task, "train", c.maxExamples()));
    if (c.doubleUnordered() && task.isUnordered()) {
      rows.addAll(rows.stream().map(e -> new GlueExample(e.index(), e.textB(), e.textA(), e.label())).toList());
    }
    for (GlueExample e : rows) {
      examples.add(task.isRegression()
          ? new Example(featurizer.inputs(e), 0, (float) (Double.parseDouble(e.label().trim()) / STSB_MAX))
          : new Example(featurizer.inputs(e), task.labelId(e.label()), 0));
    }
    if (log != null) {
      Files.createDirectories(c.checkpointDir());
      source.config().writeJson(c.checkpointDir().resolve(HuggingFaceWeights.CONFIG_FILE),
          "ElectraForSequenceClassification");
    }
    FinetuneLoop.Settings settings = new FinetuneLoop.Settings(c.training(), c.checkpointing(), c.maxSeqLength(),
        c.numTrainEpochs(), c.trainBatchSize(), c.learningRate(), c.checkpointDir(), "examples",
        "the training data, --max_examples and global batch (--train_batch_size x workers)");
    FinetuneLoop.Model<Example> model = new FinetuneLoop.Model<>() {
      @Override
      public FinetuneGraph graph() {
        return graph;
      }

      @Override
      public float trainStep(List<Example> batch, FinetuneGraph.Step step) {
        FinetuneGraph.Tokens tokens = tokens(batch.stream().map(Example::inputs).toList());
        if (graph.isRegression()) {
          float[] targets = new float[batch.size()];
          for (int i = 0; i < targets.length; i++) {
            targets[i] = batch.get(i).target();
          }
          return graph.trainStep(tokens, targets, step);
        }
        return graph.trainStep(tokens, batch.stream().mapToInt(Example::classId).toArray(), step);
      }

      @Override
      public void writeHead(Path checkpoint) throws IOException {
        FinetunedHead.writeClassifier(checkpoint, task.id());
      }

      @Override
      public void requireHead(Path checkpoint) throws IOException {
        FinetunedHead.requireClassifier(checkpoint, task.id(), "another --output_dir");
      }

      @Override
      public void loadStartingWeights() throws IOException {
        source.loadForTraining(graph, out);
      }
    };
    return new FinetuneLoop<>(settings, model, log, out, runtime).train(examples, vocab.fingerprint(),
        stopAfterStep);
  }

  /** The model's class (argmax) or score (times {@link #STSB_MAX}) for every example. */
  private GluePredictions predict(GlueConfig c, ClassifierGraph graph, GlueFeaturizer featurizer,
      List<GlueExample> examples) {
    int n = examples.size();
    int[] classes = new int[n];
    double[] scores = new double[n];
    Progress progress = new Progress("predicted", "examples", n, PREDICTION_PROGRESS_INTERVAL, out, clock);
    for (int from = 0; from < n; from += c.predictBatchSize()) {
      int to = Math.min(n, from + c.predictBatchSize());
      float[] logits = graph.logits(tokens(examples.subList(from, to).stream().map(featurizer::inputs).toList()));
      for (int i = from; i < to; i++) {
        int row = (i - from) * graph.outputs();
        if (graph.isRegression()) {
          scores[i] = logits[row] * STSB_MAX;
        } else {
          int best = 0;
          for (int k = 1; k < graph.outputs(); k++) {
            best = logits[row + k] > logits[row + best] ? k : best;
          }
          classes[i] = best;
        }
      }
      progress.advance(to - from);
    }
    return graph.isRegression() ? GluePredictions.ofScores(scores) : GluePredictions.ofClasses(classes);
  }

  /** A batch's inputs as the graph is fed them. */
  static FinetuneGraph.Tokens tokens(List<GlueFeaturizer.Inputs> batch) {
    int size = batch.size();
    int length = batch.get(0).inputIds().length;
    int[] ids = new int[size * length];
    int[] mask = new int[size * length];
    int[] segments = new int[size * length];
    for (int i = 0; i < size; i++) {
      GlueFeaturizer.Inputs in = batch.get(i);
      System.arraycopy(in.inputIds(), 0, ids, i * length, length);
      System.arraycopy(in.inputMask(), 0, mask, i * length, length);
      System.arraycopy(in.segmentIds(), 0, segments, i * length, length);
    }
    return new FinetuneGraph.Tokens(size, length, ids, mask, segments);
  }
}
