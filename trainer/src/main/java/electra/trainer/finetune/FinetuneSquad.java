package electra.trainer.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.export.QaHead;
import electra.records.ShardManifest;
import electra.records.TfRecordReader;
import electra.squad.AnswerDecoder;
import electra.squad.PredictionFiles;
import electra.squad.QaFeature;
import electra.squad.QaFeaturizer;
import electra.squad.QaRecord;
import electra.squad.SquadDataset;
import electra.squad.SquadExample;
import electra.squad.SquadMetrics;
import electra.squad.SquadVersion;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.distributed.WorkerRuntime;
import electra.trainer.model.HuggingFaceTokenizer;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.runtime.Progress;
import electra.trainer.runtime.Presets;
import electra.trainer.runtime.RunSettings;
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
import java.util.Optional;

/**
 * The {@code FinetuneSquad} job (flags in {@link FinetuneConfig#flags()}): fine-tunes a discriminator with a QA head
 * on SQuAD, checkpointing every {@code --save_checkpoints_steps} steps and after every epoch (a restarted run resumes
 * from the latest, at the step it was written), then predicts every window of {@code --predict_file}, decodes with
 * {@link AnswerDecoder} and writes {@code predictions.json}, {@code nbest_predictions.json}, {@code null_odds.json}
 * (v2.0) and {@code eval_results.json} (official metrics). While it trains and predicts it shows its progress
 * ({@link FinetuneLog}, {@link Progress}).
 *
 * <p>With {@code --workers} ({@link DataParallelSettings}, as {@code Pretrain} has it) training is data-parallel: each
 * worker process trains on its share of every global batch ({@link FinetuneLoop}), the gradients are all-reduced once
 * per step, and only the chief (worker 0) writes the output folder: settings, log, checkpoints, the Hugging Face
 * export and the predictions and scores, which it computes alone after training.
 */
public final class FinetuneSquad implements Job {

  /** What a run did: the loss of every training step, the steps this run took, and the scores (empty if none). */
  public record Summary(List<Float> losses, long firstStep, long lastStep, Map<String, Number> results,
      double secondsPerStep) {}

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** How often prediction prints its progress. */
  private static final Duration PREDICTION_PROGRESS_INTERVAL = Duration.ofSeconds(10);

  private final PrintStream out;
  private final InstantSource clock;

  public FinetuneSquad() {
    this(System.out);
  }

  public FinetuneSquad(PrintStream out) {
    this(out, InstantSource.system());
  }

  /** A job printing to {@code out} whose logs measure time on {@code clock}. */
  FinetuneSquad(PrintStream out, InstantSource clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "FinetuneSquad";
  }

  @Override
  public String description() {
    return "SQuAD 1.1/2.0 fine-tuning, evaluation and prediction with the joint or simple QA head";
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values f = FinetuneConfig.flags().parse(withPreset(args));
    run(f.record(FinetuneConfig.class), f.record(DataParallelSettings.CommandLine.class).resolve(System.getenv()),
        Long.MAX_VALUE);
  }

  /**
   * The command line with {@code --preset}'s flags in front, its per-GPU batch scaled to this run's workers so that
   * the global batch stays the preset's (the worker count is known once the data-parallel flags are read).
   */
  String[] withPreset(String[] args) {
    String name = Presets.presetName(args);
    if (name == null) {
      return args;
    }
    int workers = FinetuneConfig.flags().parse(args).record(DataParallelSettings.CommandLine.class)
        .resolve(System.getenv()).cluster().size();
    return Presets.apply(Presets.load(Presets.Kind.SQUAD, name, false), args, "train_batch_size", workers,
        out::println);
  }

  public Summary run(FinetuneConfig c) throws Exception {
    return run(c, Long.MAX_VALUE);
  }

  /**
   * Runs, but stops training after global step {@code stopAfterStep}, as a killed job would. A training run continues
   * its output folder (it resumes from the latest checkpoint there); evaluation and prediction write theirs anew.
   */
  public Summary run(FinetuneConfig c, long stopAfterStep) throws Exception {
    return run(c, DataParallelSettings.none(), stopAfterStep);
  }

  /** As {@link #run(FinetuneConfig, long)}, as one worker of a data-parallel run when {@code dp} has several. */
  public Summary run(FinetuneConfig c, DataParallelSettings dp, long stopAfterStep) throws Exception {
    boolean chief = dp.cluster().isChief();
    if (dp.cluster().distributed() && !c.mode().trains()) {
      throw new UsageException("--workers trains in parallel: it needs --mode train or train_eval (evaluation and "
          + "prediction run in one process)");
    }
    FinetuneSource source = resolveSource(c);
    if (c.initCheckpoint() != null) {
      FinetunedHead.require(c.initCheckpoint(), c.head(), "another --init_checkpoint");
    }
    Vocabulary vocab = source.vocabulary(c.tokenization().doLowerCase());
    BertTokenizer tokenizer = c.tokenization().tokenizer(vocab);
    QaFeaturizer featurizer = new QaFeaturizer(tokenizer,
        new QaFeaturizer.Options(c.maxSeqLength(), c.docStride(), c.maxQueryLength()));
    if (chief) { // the only worker that writes the output folder
      OutputFolder.Claim claim = new OutputFolder.Claim(name(), c.trainingWork(), c.mode().trains(), "");
      OutputFolder.claim(c.outputDir(), claim, c.overwrite());
      if (c.exportHfDir() != null) { // claimed now, not refused after hours of training
        OutputFolder.claim(c.exportHfDir(), claim, c.overwrite());
      }
      RunSettings.write(c.outputDir().resolve("settings.json"), Map.of("finetune", c, "data_parallel", dp,
          "global_batch", dp.globalBatch(c.trainBatchSize())));
    }
    boolean gpu = c.training().gpu();
    var sessionConfig = c.training().sessionConfig(gpu);

    out.printf(Locale.ROOT, "FinetuneSquad %s: %s, %s head%s, %d/%d/%d tokens%n", c.mode().id(), source.config(),
        c.head().id(), c.head() == QaHead.JOINT ? " (beam " + c.beamSize() + ")" : "", c.maxSeqLength(),
        c.docStride(), c.maxQueryLength());
    FinetuneLoop.printWorker(dp, c.trainBatchSize(), "windows", out);
    try (WorkerRuntime runtime = dp.start();
        QaGraph graph = new QaGraph(source.config(), c.head(), c.beamSize(), training(c, gpu, runtime),
            sessionConfig);
        FinetuneLog log = chief ? new FinetuneLog(c.outputDir(), out, clock) : null) {
      FinetuneLoop.Trained trained = FinetuneLoop.Trained.NOTHING;
      long modelStep;
      if (c.mode().trains()) {
        trained = train(c, graph, source, vocab, featurizer, log, runtime, stopAfterStep);
        if (!trained.finished() || !chief) {
          return summary(trained, Map.of());
        }
        log.drawCurves(String.format(Locale.ROOT, "ELECTRA SQuAD %s fine-tuning, %s head: %s",
            c.version2() ? "2.0" : "1.1", c.head().id(), c.outputDir()));
        if (c.exportHfDir() != null) {
          exportHuggingFace(graph, vocab, c.tokenization().doLowerCase(), c.exportHfDir());
        }
        modelStep = trained.lastStep();
      } else {
        modelStep = source.loadForPrediction(graph, out);
      }
      Map<String, Number> results = Map.of();
      if (c.mode().predicts()) {
        results = predict(c, graph, featurizer, tokenizer);
      }
      if (!results.isEmpty()) {
        log.evaluated(modelStep, results);
      }
      return summary(trained, results);
    }
  }

  /** The training side of the graph (null when the run does not train), replicated over the workers if any. */
  private static FinetuneGraph.Training training(FinetuneConfig c, boolean gpu, WorkerRuntime runtime) {
    return c.mode().trains() ? c.training().graph(gpu, runtime) : null;
  }

  private static Summary summary(FinetuneLoop.Trained t, Map<String, Number> results) {
    return new Summary(t.losses(), t.firstStep(), t.lastStep(), results, t.secondsPerStep());
  }

  /** @param log the chief's log, null on the other workers (they write nothing) */
  private FinetuneLoop.Trained train(FinetuneConfig c, QaGraph graph, FinetuneSource source, Vocabulary vocab,
      QaFeaturizer featurizer, FinetuneLog log, WorkerRuntime runtime, long stopAfterStep) throws IOException {
    List<Batch.Window> windows = trainingWindows(c, featurizer, vocab);
    if (log != null) {
      Files.createDirectories(c.checkpointDir());
      source.config().writeJson(c.checkpointDir().resolve(HuggingFaceWeights.CONFIG_FILE),
          c.head() == QaHead.JOINT ? "ElectraForPreTraining" : "ElectraForQuestionAnswering");
    }
    FinetuneLoop.Settings settings = new FinetuneLoop.Settings(c.training(), c.checkpointing(), c.maxSeqLength(),
        c.numTrainEpochs(), c.trainBatchSize(), c.learningRate(), c.checkpointDir(), "windows",
        "the training data, --max_examples and global batch (--train_batch_size x workers)");
    FinetuneLoop.Model<Batch.Window> model = new FinetuneLoop.Model<>() {
      @Override
      public FinetuneGraph graph() {
        return graph;
      }

      @Override
      public float trainStep(List<Batch.Window> batch, FinetuneGraph.Step step) {
        return graph.trainStep(Batch.of(batch), step);
      }

      @Override
      public void writeHead(Path checkpoint) throws IOException {
        FinetunedHead.write(checkpoint, c.head());
      }

      @Override
      public void requireHead(Path checkpoint) throws IOException {
        FinetunedHead.require(checkpoint, c.head(), "another --output_dir");
      }

      @Override
      public void loadStartingWeights() throws IOException {
        source.loadForTraining(graph, out);
      }
    };
    return new FinetuneLoop<>(settings, model, log, out, runtime).train(windows, vocab.fingerprint(),
        stopAfterStep);
  }

  /** Writes the trained simple-head model as a Hugging Face QA folder, with the tokenizer it was trained with. */
  private void exportHuggingFace(QaGraph graph, Vocabulary vocab, boolean doLowerCase, Path dir) throws IOException {
    graph.saveHuggingFace(dir);
    HuggingFaceTokenizer.write(dir, vocab, doLowerCase);
    out.println("wrote the Hugging Face ElectraForQuestionAnswering folder " + dir);
  }

  static FinetuneSource resolveSource(FinetuneConfig c) throws IOException {
    return FinetuneSource.resolve(c.electraModel(), c.initCheckpoint(), c.tokenization().vocabFile());
  }

  private List<Batch.Window> trainingWindows(FinetuneConfig c, QaFeaturizer featurizer, Vocabulary vocab)
      throws IOException {
    List<Batch.Window> windows = new ArrayList<>();
    if (c.trainTfrecords() != null) {
      Path dir = c.trainTfrecords();
      ShardManifest manifest = electra.trainer.pretrain.ShardStream.readManifest(dir.toString());
      manifest.requireVocab(vocab.fingerprint(), "--train_tfrecords " + dir);
      if (manifest.maxSeqLength() != c.maxSeqLength()) {
        throw new UsageException("--train_tfrecords " + dir + " holds windows of " + manifest.maxSeqLength()
            + " tokens, --max_seq_length is " + c.maxSeqLength());
      }
      for (ShardManifest.Shard shard : manifest.shards()) {
        try (TfRecordReader reader = TfRecordReader.open(dir.resolve(shard.file()))) {
          for (byte[] bytes : reader) {
            QaRecord r = QaRecord.fromBytes(bytes);
            if (c.maxExamples() > 0 && r.exampleIndex() >= c.maxExamples()) {
              continue;
            }
            QaFeature.Label label = r.label().orElseThrow(() -> new UsageException("--train_tfrecords " + dir
                + " holds prediction records (no start_positions); run PrepareSquad with --training"));
            windows.add(new Batch.Window(r.inputs().inputIds(), r.inputs().inputMask(), r.inputs().segmentIds(),
                label.startPosition(), label.endPosition(), label.isImpossible()));
          }
        }
      }
      out.println("read " + windows.size() + " training windows from " + dir);
    } else {
      List<SquadExample> examples = examples(c.trainFile(), c.maxExamples());
      int skipped = 0;
      for (SquadExample e : examples) {
        if (!c.version2() && e.answers().isEmpty()) {
          skipped++;
          continue;
        }
        List<QaFeature> features = featurizer.features(e, true);
        if (features.isEmpty()) {
          skipped++;
        }
        features.forEach(f -> windows.add(Batch.Window.of(f)));
      }
      out.println("featurized " + examples.size() + " training questions into " + windows.size() + " windows"
          + (skipped > 0 ? " (" + skipped + " questions unusable)" : ""));
    }
    if (windows.isEmpty()) {
      throw new UsageException("no training windows");
    }
    return windows;
  }

  static List<SquadExample> examples(Path file, int maxExamples) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new UsageException("no such file: " + file);
    }
    List<SquadExample> all = SquadDataset.read(file).examples();
    return maxExamples > 0 && all.size() > maxExamples ? all.subList(0, maxExamples) : all;
  }

  /** Predicts, decodes and writes the prediction files; scores them unless in prediction mode. */
  private Map<String, Number> predict(FinetuneConfig c, QaGraph graph, QaFeaturizer featurizer,
      BertTokenizer tokenizer) throws IOException {
    SquadVersion version = c.version2() ? SquadVersion.V2_0 : SquadVersion.V1_1;
    List<SquadExample> examples = examples(c.predictFile(), c.maxExamples());
    AnswerDecoder decoder = new AnswerDecoder(tokenizer, new AnswerDecoder.Options(c.nBestSize(),
        c.maxAnswerLength(), version, c.nullScoreDiffThreshold()));
    List<List<QaFeature>> byExample = new ArrayList<>();
    List<QaFeature> all = new ArrayList<>();
    for (SquadExample e : examples) {
      List<QaFeature> f = featurizer.features(e, false);
      byExample.add(f);
      all.addAll(f);
    }
    long started = System.nanoTime();
    List<AnswerDecoder.WindowOutput> outputs = new ArrayList<>(all.size());
    Progress progress = new Progress("predicted", "windows", all.size(), PREDICTION_PROGRESS_INTERVAL, out, clock);
    for (int from = 0; from < all.size(); from += c.predictBatchSize()) {
      List<QaFeature> batch = all.subList(from, Math.min(all.size(), from + c.predictBatchSize()));
      outputs.addAll(graph.predict(Batch.ofFeatures(batch)));
      progress.advance(batch.size());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    List<AnswerDecoder.Prediction> predictions = new ArrayList<>();
    int next = 0;
    for (int i = 0; i < examples.size(); i++) {
      List<QaFeature> features = byExample.get(i);
      List<AnswerDecoder.WindowOutput> mine = outputs.subList(next, next + features.size());
      next += features.size();
      if (features.isEmpty()) {
        continue; // a context without any WordPiece: nothing to decode (scored as unanswered)
      }
      predictions.add(decoder.decode(features, mine));
    }
    PredictionFiles.write(c.outputDir(), predictions);
    out.printf(Locale.ROOT, "predicted %d questions (%d windows) in %.1f s; wrote %s%n", examples.size(), all.size(),
        seconds, c.outputDir().resolve(PredictionFiles.PREDICTIONS));
    if (c.mode() == FinetuneConfig.Mode.PREDICTION) {
      return Map.of();
    }
    Map<String, String> texts = new LinkedHashMap<>();
    Map<String, Double> nullOdds = new LinkedHashMap<>();
    for (AnswerDecoder.Prediction p : predictions) {
      texts.put(p.exampleId(), p.text());
      p.nullOdds().ifPresent(o -> nullOdds.put(p.exampleId(), o));
    }
    Map<String, Number> results;
    if (version == SquadVersion.V1_1) {
      results = SquadMetrics.evaluateV1(examples, texts, w -> out.println(w));
    } else {
      for (SquadExample e : examples) {
        texts.putIfAbsent(e.id(), "");
        nullOdds.putIfAbsent(e.id(), 0.0);
      }
      results = SquadMetrics.evaluateV2(examples, texts, Optional.of(nullOdds), c.nullScoreDiffThreshold());
    }
    Files.writeString(c.outputDir().resolve("eval_results.json"), JSON.writeValueAsString(results));
    out.println("eval_results " + results);
    return results;
  }
}
