package electra.trainer.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.export.QaHead;
import electra.model.ElectraConfig;
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
import electra.tokenization.VocabularyInfo;
import electra.tokenization.VocabularyResolver;
import electra.tokenization.WordpieceTokenizer;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.ModelGraph;
import electra.trainer.runtime.Checkpoints;
import electra.trainer.runtime.LearningRateSchedule;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.Progress;
import electra.trainer.runtime.SessionConfigs;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * The {@code FinetuneSquad} job (flags in {@link FinetuneConfig#flags()}): fine-tunes a discriminator with a QA head
 * on SQuAD, checkpointing every {@code --save_checkpoints_steps} steps and after every epoch (a restarted run resumes
 * from the latest, at the step it was written), then predicts every window of {@code --predict_file}, decodes with
 * {@link AnswerDecoder} and writes {@code predictions.json}, {@code nbest_predictions.json}, {@code null_odds.json}
 * (v2.0) and {@code eval_results.json} (official metrics). While it trains and predicts it shows its progress
 * ({@link FinetuneLog}, {@link Progress}).
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
    run(FinetuneConfig.parse(args));
  }

  public Summary run(FinetuneConfig c) throws Exception {
    return run(c, Long.MAX_VALUE);
  }

  /**
   * Runs, but stops training after global step {@code stopAfterStep}, as a killed job would. A training run continues
   * its output folder (it resumes from the latest checkpoint there); evaluation and prediction write theirs anew.
   */
  public Summary run(FinetuneConfig c, long stopAfterStep) throws Exception {
    Source source = resolveSource(c);
    if (c.initCheckpoint() != null) {
      FinetunedHead.require(c.initCheckpoint(), c.head(), "another --init_checkpoint");
    }
    Vocabulary vocab = Vocabulary.resolve(source.vocabFile());
    if (source.pretrainCheckpoint() != null) {
      String trainedWith = Checkpoints.readState(source.pretrainCheckpoint()).vocabFingerprint();
      if (trainedWith != null && !trainedWith.equals(vocab.fingerprint())) {
        throw new UsageException("checkpoint " + source.pretrainCheckpoint() + " was pre-trained with the vocabulary "
            + "sha256 " + trainedWith + " but --vocab_file " + vocab.source() + " has " + vocab.fingerprint()
            + ": give --vocab_file the vocab.txt its shards were ingested with");
      }
    }
    VocabularyInfo.requireCase(vocab, c.doLowerCase());
    if (vocab.size() > source.config().vocabSize()) {
      throw new UsageException("the vocabulary " + vocab.source() + " has " + vocab.size() + " tokens but the model's "
          + "vocab_size is " + source.config().vocabSize());
    }
    BertTokenizer tokenizer = new BertTokenizer(vocab, c.doLowerCase(),
        WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD);
    QaFeaturizer featurizer = new QaFeaturizer(tokenizer,
        new QaFeaturizer.Options(c.maxSeqLength(), c.docStride(), c.maxQueryLength()));
    OutputFolder.Claim claim = new OutputFolder.Claim(name(), c.trainingWork(), c.mode().trains(), "");
    OutputFolder.claim(c.outputDir(), claim, c.overwrite());
    if (c.exportHfDir() != null) { // claimed now, not refused after hours of training
      OutputFolder.claim(c.exportHfDir(), claim, c.overwrite());
    }
    boolean gpu = (c.amp() || c.xla()) && SessionConfigs.gpuAvailable();
    var sessionConfig = SessionConfigs.training(c.amp(), c.xla(), gpu);

    QaGraph.Training training = null;
    if (c.mode().trains()) {
      OptimizerGraph.Settings settings = OptimizerGraph.Settings.fineTuning(c.weightDecay(), c.amp() && gpu);
      training = new QaGraph.Training(settings, c.layerwiseLrDecay(), c.seed());
    }
    out.printf(Locale.ROOT, "FinetuneSquad %s: %s, %s head%s, %d/%d/%d tokens%n",
        c.mode().name().toLowerCase(Locale.ROOT), source.config(), c.head().id(),
        c.head() == QaHead.JOINT ? " (beam " + c.beamSize() + ")" : "", c.maxSeqLength(), c.docStride(),
        c.maxQueryLength());
    try (QaGraph graph = new QaGraph(source.config(), c.head(), c.beamSize(), training, sessionConfig);
        FinetuneLog log = new FinetuneLog(c.outputDir(), out, clock)) {
      Trained trained = Trained.NOTHING;
      long modelStep;
      if (c.mode().trains()) {
        trained = train(c, graph, source, vocab, featurizer, log, stopAfterStep);
        if (!trained.finished()) {
          return trained.summary(Map.of());
        }
        log.drawCurves(String.format(Locale.ROOT, "ELECTRA SQuAD %s fine-tuning, %s head: %s",
            c.version2() ? "2.0" : "1.1", c.head().id(), c.outputDir()));
        if (c.exportHfDir() != null) {
          exportHuggingFace(graph, vocab, c.exportHfDir());
        }
        modelStep = trained.lastStep();
      } else {
        modelStep = loadForPrediction(c, graph, source);
      }
      Map<String, Number> results = Map.of();
      if (c.mode().predicts()) {
        results = predict(c, graph, featurizer, tokenizer);
      }
      if (!results.isEmpty()) {
        log.evaluated(modelStep, results);
      }
      return trained.summary(results);
    }
  }

  /**
   * What training did: the loss of every step this run took, the step it started from and the step it ended at, and
   * whether it trained every epoch.
   */
  private record Trained(List<Float> losses, long firstStep, long lastStep, double secondsPerStep,
      boolean finished) {
    static final Trained NOTHING = new Trained(List.of(), 0, 0, 0, true);

    Summary summary(Map<String, Number> results) {
      return new Summary(losses, firstStep, lastStep, results, secondsPerStep);
    }
  }

  /**
   * Where training continues: the global step, the epoch (0-based) and the first window of that epoch's shuffled
   * order not yet trained on.
   */
  private record Position(long step, int epoch, int window) {}

  private Trained train(FinetuneConfig c, QaGraph graph, Source source, Vocabulary vocab, QaFeaturizer featurizer,
      FinetuneLog log, long stopAfterStep) throws IOException {
    List<Batch.Window> windows = trainingWindows(c, featurizer, vocab);
    Checkpoints checkpoints = new Checkpoints(c.checkpointDir(), "ckpt-", c.keepCheckpointMax());
    Files.createDirectories(c.checkpointDir());
    source.config().writeJson(c.checkpointDir().resolve(HuggingFaceWeights.CONFIG_FILE),
        c.head() == QaHead.JOINT ? "ElectraForPreTraining" : "ElectraForQuestionAnswering");
    int perEpoch = (windows.size() + c.trainBatchSize() - 1) / c.trainBatchSize();
    long total = (long) perEpoch * c.numTrainEpochs();
    LearningRateSchedule schedule = new LearningRateSchedule(c.learningRate(), 0,
        (long) (total * c.warmupProportion()), total, 1.0);
    Position at = start(c, graph, checkpoints, source, windows.size());
    out.printf(Locale.ROOT, "training on %d windows: %d epochs x %d steps of %d, lr %.3g, layer-wise decay %.2f%n",
        windows.size(), c.numTrainEpochs(), perEpoch, c.trainBatchSize(), c.learningRate(), c.layerwiseLrDecay());
    log.trainingStarts(at.step());
    List<Float> losses = new ArrayList<>();
    long step = at.step();
    long started = System.nanoTime();
    for (int epoch = at.epoch(); epoch < c.numTrainEpochs(); epoch++) {
      List<Batch.Window> order = new ArrayList<>(windows);
      Collections.shuffle(order, new Random(c.seed() * 1_000_003L + epoch));
      for (int from = epoch == at.epoch() ? at.window() : 0; from < order.size(); from += c.trainBatchSize()) {
        if (step >= stopAfterStep) {
          return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), false);
        }
        int to = Math.min(order.size(), from + c.trainBatchSize());
        double learningRate = schedule.at(step);
        float loss = graph.trainStep(Batch.of(order.subList(from, to)), learningRate, step);
        if (!Float.isFinite(loss)) {
          throw new IllegalStateException("loss is " + loss + " at step " + step + "; lower --learning_rate");
        }
        losses.add(loss);
        step++;
        log.stepDone(loss, to - from);
        if (step % c.logFreq() == 0 || step == total) {
          log.write(step, total, epoch + 1, c.numTrainEpochs(), learningRate);
        }
        boolean epochDone = to == order.size();
        if (epochDone || (c.saveCheckpointsSteps() > 0 && step % c.saveCheckpointsSteps() == 0)) {
          Path saved = save(c, graph, checkpoints, vocab,
              epochDone ? new Position(step, epoch + 1, 0) : new Position(step, epoch, to));
          out.println((epochDone ? "epoch " + (epoch + 1) + "/" + c.numTrainEpochs() + " done; " : "") + "saved "
              + saved);
        }
      }
    }
    return new Trained(losses, at.step(), step, secondsPerStep(started, step - at.step()), true);
  }

  private static double secondsPerStep(long startedNanos, long steps) {
    return (System.nanoTime() - startedNanos) / 1e9 / Math.max(1, steps);
  }

  /** Writes the checkpoint of {@code next.step()}: the variables, where training continues, and the head. */
  private static Path save(FinetuneConfig c, QaGraph graph, Checkpoints checkpoints, Vocabulary vocab, Position next)
      throws IOException {
    // the data position is the window within the epoch's order: fine-tuning reads one shuffled list per epoch
    Checkpoints.State state = Checkpoints.State.fineTuning(next.step(), c.seed(), c.maxSeqLength(), next.epoch(),
        next.window(), vocab.fingerprint());
    return checkpoints.save(state, prefix -> {
      graph.save(prefix);
      try {
        FinetunedHead.write(prefix.getParent(), c.head());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  /** Writes the trained simple-head model as a Hugging Face QA folder, with the vocabulary it was trained with. */
  private void exportHuggingFace(QaGraph graph, Vocabulary vocab, Path dir) throws IOException {
    graph.saveHuggingFace(dir);
    Files.write(dir.resolve("vocab.txt"), vocab.fileBytes());
    out.println("wrote the Hugging Face ElectraForQuestionAnswering folder " + dir);
  }

  /** The model architecture and the vocabulary, and where the starting weights come from. */
  record Source(ElectraConfig config, String vocabFile, Path huggingFace, Path pretrainCheckpoint) {}

  static Source resolveSource(FinetuneConfig c) throws IOException {
    ElectraConfig config = null;
    Path hf = null;
    Path pretrain = null;
    Path vocabDir = null;
    if (c.electraModel() != null) {
      Path dir = Path.of(c.electraModel());
      if (Files.isRegularFile(dir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
        hf = dir;
        config = readConfig(dir.resolve(HuggingFaceWeights.CONFIG_FILE), "--electra_model");
        vocabDir = dir;
      } else if (Files.isRegularFile(dir.resolve(Checkpoints.MODEL + ".index"))) {
        pretrain = dir;
        config = readConfig(dir.toAbsolutePath().getParent().resolve("discriminator_config.json"), "--electra_model");
      } else {
        throw new UsageException("--electra_model " + dir + " is neither a Hugging Face folder (config.json + "
            + "model.safetensors) nor a pre-training checkpoint folder (model.index + state.json)");
      }
    }
    if (c.initCheckpoint() != null) {
      Path ckpt = c.initCheckpoint();
      if (!Files.isRegularFile(ckpt.resolve(Checkpoints.MODEL + ".index"))) {
        throw new UsageException("--init_checkpoint " + ckpt + " is not a checkpoint folder (needs model.index)");
      }
      if (config == null) {
        config = readConfig(ckpt.toAbsolutePath().getParent().resolve(HuggingFaceWeights.CONFIG_FILE),
            "--init_checkpoint");
      }
    }
    String vocab = c.vocabFile();
    if (vocab == null) {
      vocab = vocabDir != null && Files.isRegularFile(vocabDir.resolve("vocab.txt"))
          ? vocabDir.resolve("vocab.txt").toString() : VocabularyResolver.BERT_BASE_UNCASED;
    }
    return new Source(config, vocab, hf, pretrain);
  }

  private static ElectraConfig readConfig(Path file, String flag) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new UsageException(flag + ": no model config at " + file);
    }
    try {
      return ElectraConfig.readJson(file);
    } catch (IllegalArgumentException e) {
      throw new UsageException(flag + ": " + file + ": " + e.getMessage());
    }
  }

  /**
   * Resumes from the latest checkpoint of this output dir, or initializes; returns where training continues. A
   * checkpoint is refused when this run's windows and batch size would not bring it to the same step.
   */
  private Position start(FinetuneConfig c, QaGraph graph, Checkpoints checkpoints, Source source, int windows)
      throws IOException {
    Optional<Path> latest = checkpoints.latest();
    if (latest.isPresent()) {
      Path checkpoint = latest.get();
      Checkpoints.State s = Checkpoints.readState(checkpoint);
      if (s.seed() != c.seed() || s.maxSeqLength() != c.maxSeqLength()) {
        throw new UsageException("checkpoint " + checkpoint + " is from a run with seed " + s.seed()
            + " and max_seq_length " + s.maxSeqLength() + "; this run has " + c.seed() + " and " + c.maxSeqLength()
            + " (use another --output_dir)");
      }
      Position at = new Position(s.step(), (int) s.dataEpoch(), (int) s.dataRecord());
      int perEpoch = (windows + c.trainBatchSize() - 1) / c.trainBatchSize();
      if (at.window() > windows || at.window() % c.trainBatchSize() != 0
          || at.step() != (long) at.epoch() * perEpoch + at.window() / c.trainBatchSize()) {
        throw new UsageException("checkpoint " + checkpoint + " was written at step " + at.step() + ", window "
            + at.window() + " of epoch " + (at.epoch() + 1) + ", which " + windows + " windows in batches of "
            + c.trainBatchSize() + " do not reach: resume with the training data, --max_examples and "
            + "--train_batch_size it was written with, or use another --output_dir");
      }
      FinetunedHead.require(checkpoint, c.head(), "another --output_dir");
      graph.restore(checkpoint.resolve(Checkpoints.MODEL));
      if (graph.globalStep() != s.step()) {
        throw new IllegalStateException(checkpoint + ": global_step " + graph.globalStep() + " but state.json says "
            + s.step());
      }
      out.println("resumed from " + checkpoint + " at step " + at.step() + " (epoch " + (at.epoch() + 1)
          + ", window " + at.window() + " of " + windows + ")");
      return at;
    }
    if (c.initCheckpoint() != null) {
      graph.loadFinetuned(c.initCheckpoint().resolve(Checkpoints.MODEL));
      out.println("initialized from fine-tuned checkpoint " + c.initCheckpoint());
    } else {
      loadPretrained(graph, source);
    }
    return new Position(0, 0, 0);
  }

  private void loadPretrained(QaGraph graph, Source source) throws IOException {
    if (source.huggingFace() != null) {
      HuggingFaceWeights.Report r = graph.loadHuggingFace(source.huggingFace());
      out.println("loaded " + r.loaded().size() + " tensors from " + source.huggingFace()
          + (r.leftAsInitialised().isEmpty() ? "" : "; new: " + r.leftAsInitialised()));
    } else {
      List<String> encoder = graph.model().parameters().stream().map(ModelGraph.Parameter::name)
          .filter(n -> n.startsWith("electra/")).toList();
      graph.initializeFrom(source.pretrainCheckpoint().resolve(Checkpoints.MODEL), encoder);
      out.println("loaded the discriminator from pre-training checkpoint " + source.pretrainCheckpoint());
    }
  }

  /** Loads the model to predict with; returns the step it was trained to (0 for a Hugging Face folder). */
  private long loadForPrediction(FinetuneConfig c, QaGraph graph, Source source) throws IOException {
    if (c.initCheckpoint() != null) {
      graph.loadFinetuned(c.initCheckpoint().resolve(Checkpoints.MODEL));
      out.println("evaluating checkpoint " + c.initCheckpoint());
      return Checkpoints.readState(c.initCheckpoint()).step();
    }
    loadPretrained(graph, source);
    return 0;
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
