package electra.trainer.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.export.ClassifierExport;
import electra.tagging.Chunks;
import electra.tagging.ConllFiles;
import electra.tagging.TaggedSentence;
import electra.tagging.TaggingFeaturizer;
import electra.tagging.TaggingScores;
import electra.tagging.TaggingTask;
import electra.tokenization.Vocabulary;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.runtime.Progress;
import java.io.IOException;
import java.io.PrintStream;
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

/**
 * The {@code FinetuneTagging} job (flags in {@link TaggingConfig#flags()}): fine-tunes a discriminator with a
 * {@link TaggerGraph} on a CoNLL file's sentences, each word labelled at its first WordPiece with its chunk's BIO2
 * tag (IOB1 and IOBES files are read by their chunks, {@link Chunks}), checkpointing and resuming as FinetuneSquad
 * does ({@link FinetuneLoop}); scores the dev split by chunks as conlleval counts them ({@code dev_predictions.txt},
 * conlleval's input, and {@code eval_results.json}); or tags the test split ({@code test_predictions.txt}). The
 * labels (O, then B- and I- of each chunk type of the training file) are recorded in every checkpoint. With
 * {@code --export_dir} the model is also written for Hugging Face and Infer ({@link ClassifierExports}).
 *
 * <p>A job of its own beside FinetuneGlue, sharing its loop, model source, graph base and log: the data (CoNLL
 * files, labels learned from them), the head (every token) and the scores (chunks) differ in every step of a run.
 */
public final class FinetuneTagging implements Job {

  /** What a run did: the loss of every training step, the steps this run took, and the scores by split. */
  public record Summary(List<Float> losses, long firstStep, long lastStep,
      Map<String, Map<String, Number>> results) {}

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Duration PREDICTION_PROGRESS_INTERVAL = Duration.ofSeconds(10);

  private final PrintStream out;
  private final InstantSource clock;

  public FinetuneTagging() {
    this(System.out);
  }

  public FinetuneTagging(PrintStream out) {
    this(out, InstantSource.system());
  }

  FinetuneTagging(PrintStream out, InstantSource clock) {
    this.out = out;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "FinetuneTagging";
  }

  @Override
  public String description() {
    return "token tagging (named entities, chunking): fine-tuning, conlleval dev scores and test predictions";
  }

  @Override
  public void run(String[] args) throws Exception {
    run(TaggingConfig.parse(args));
  }

  public Summary run(TaggingConfig c) throws Exception {
    return run(c, Long.MAX_VALUE);
  }

  /** Runs, but stops training after global step {@code stopAfterStep}, as a killed job would. */
  public Summary run(TaggingConfig c, long stopAfterStep) throws Exception {
    TaggingTask task = c.taskName();
    List<TaggedSentence> train = null;
    List<String> labels = List.of();
    if (c.mode().trains()) {
      train = read(c.split("train"), c.maxExamples());
      if (!ConllFiles.tagged(train)) {
        throw new UsageException(c.split("train") + " has no tag column: a training file has the tag last on each "
            + "line");
      }
      labels = TaggingTask.labels(train);
      if (labels.size() < 2) {
        throw new UsageException(c.split("train") + " holds no chunk: a tagger needs tags other than O to learn");
      }
    }
    String split = switch (c.mode()) {
      case TRAIN -> null;
      case EVAL, TRAIN_EVAL -> "dev";
      case PREDICTION -> "test";
    };
    Path splitFile = split == null ? null : c.split(split);
    if (c.initCheckpoint() != null) {
      List<String> recorded = FinetunedHead.requireTagger(c.initCheckpoint(), task.id(), "another --init_checkpoint");
      if (!c.mode().trains()) {
        if (recorded.isEmpty()) {
          throw new UsageException("--init_checkpoint " + c.initCheckpoint() + " records no tagger labels ("
              + FinetunedHead.FILE + "): give a FinetuneTagging checkpoint");
        }
        labels = recorded;
      } else if (!recorded.isEmpty() && !recorded.equals(labels)) {
        throw new UsageException("--init_checkpoint " + c.initCheckpoint() + " was trained with the labels "
            + recorded + " but " + c.split("train") + " has " + labels);
      }
    }
    if (!c.mode().trains() && c.initCheckpoint() == null) {
      labels = exportedLabels(Path.of(c.electraModel()), c.mode());
    }
    FinetuneSource source = FinetuneSource.resolve(c.electraModel(), c.initCheckpoint(),
        c.tokenization().vocabFile());
    Vocabulary vocab = source.vocabulary(c.tokenization().doLowerCase());
    TaggingFeaturizer featurizer = new TaggingFeaturizer(c.tokenization().tokenizer(vocab), c.maxSeqLength());
    OutputFolder.Claim claim = new OutputFolder.Claim(name(), c.trainingWork(), c.mode().trains(), "");
    OutputFolder.claim(c.outputDir(), claim, c.overwrite());
    if (c.exportDir() != null) { // claimed now, not refused after hours of training
      OutputFolder.claim(c.exportDir(), claim, c.overwrite());
    }
    boolean gpu = c.training().gpu();
    FinetuneGraph.Training training = c.mode().trains() ? c.training().graph(gpu, null) : null;
    out.printf(Locale.ROOT, "FinetuneTagging %s %s: %s, %d labels %s, %d tokens%n", task.id(),
        c.mode().id(), source.config(), labels.size(), labels, c.maxSeqLength());
    try (TaggerGraph graph = new TaggerGraph(source.config(), labels.size(), training,
            c.training().sessionConfig(gpu));
        FinetuneLog log = new FinetuneLog(c.outputDir(), out, clock)) {
      FinetuneLoop.Trained trained = FinetuneLoop.Trained.NOTHING;
      long modelStep;
      if (c.mode().trains()) {
        trained = train(c, graph, source, vocab, featurizer, train, labels, log, stopAfterStep);
        if (!trained.finished()) {
          return new Summary(trained.losses(), trained.firstStep(), trained.lastStep(), Map.of());
        }
        log.drawCurves("ELECTRA " + task.id() + " fine-tuning: " + c.outputDir());
        modelStep = trained.lastStep();
      } else {
        modelStep = source.loadForPrediction(graph, out);
      }
      if (c.exportDir() != null) {
        int labelCount = labels.size();
        ClassifierExports.write(graph, () -> new TaggerGraph(source.config(), labelCount, null, null),
            new ClassifierExport(ClassifierExport.Kind.TOKEN, labels, false, c.tokenization().doLowerCase(),
                c.maxSeqLength()), vocab, c.exportDir(), 1);
        out.println("wrote " + c.exportDir() + ": a Hugging Face ElectraForTokenClassification folder and a "
            + "SavedModel for Infer --task=tag");
      }
      Map<String, Map<String, Number>> results = new LinkedHashMap<>();
      if (split != null) {
        List<TaggedSentence> sentences = read(splitFile, c.maxExamples());
        List<List<String>> predicted = predict(c, graph, featurizer, labels, sentences);
        Path file = c.outputDir().resolve(split + "_predictions.txt");
        ConllFiles.writePredictions(file, sentences, predicted);
        out.println("wrote " + file);
        if (ConllFiles.tagged(sentences)) {
          Map<String, Number> scores = TaggingScores.count(sentences.stream().map(TaggedSentence::tags).toList(),
              predicted).asMap();
          results.put(split, scores);
          out.println(split + " " + scores);
        }
      }
      if (!results.isEmpty()) {
        Files.writeString(c.outputDir().resolve(FinetuneGlue.EVAL_RESULTS), JSON.writeValueAsString(results) + "\n");
        Map<String, Number> scalars = new LinkedHashMap<>();
        results.forEach((s, scores) -> scores.forEach((metric, v) -> scalars.put(s + "/" + metric, v)));
        log.evaluated(modelStep, scalars);
      }
      return new Summary(trained.losses(), trained.firstStep(), trained.lastStep(), results);
    }
  }

  /** The labels of a token classifier's export (its config.json's id2label), the model to evaluate. */
  private static List<String> exportedLabels(Path model, FinetuneConfig.Mode mode) throws IOException {
    ClassifierExport export;
    try {
      export = ClassifierExport.read(model);
    } catch (IOException e) {
      throw new UsageException("--mode " + mode.id() + " needs the tagger's labels: give --init_checkpoint (a "
          + "FinetuneTagging checkpoint records them) or an --electra_model written by FinetuneTagging --export_dir ("
          + e.getMessage() + ")");
    }
    if (export.kind() != ClassifierExport.Kind.TOKEN) {
      throw new UsageException("--electra_model " + model + " holds an " + export.kind().architecture()
          + ", not a token classifier");
    }
    return export.labels();
  }

  private static List<TaggedSentence> read(Path file, int maxExamples) throws IOException {
    List<TaggedSentence> sentences = ConllFiles.read(file);
    if (sentences.isEmpty()) {
      throw new UsageException(file + " holds no sentence");
    }
    return maxExamples > 0 && sentences.size() > maxExamples ? sentences.subList(0, maxExamples) : sentences;
  }

  private FinetuneLoop.Trained train(TaggingConfig c, TaggerGraph graph, FinetuneSource source, Vocabulary vocab,
      TaggingFeaturizer featurizer, List<TaggedSentence> sentences, List<String> labels, FinetuneLog log,
      long stopAfterStep) throws IOException {
    List<TaggingFeaturizer.Features> examples = new ArrayList<>();
    for (TaggedSentence s : sentences) {
      examples.add(featurizer.features(s.words(), Chunks.bio2(s.tags()).stream().mapToInt(labels::indexOf)
          .toArray()));
    }
    Files.createDirectories(c.checkpointDir());
    source.config().writeJson(c.checkpointDir().resolve(HuggingFaceWeights.CONFIG_FILE),
        "ElectraForTokenClassification");
    FinetuneLoop.Settings settings = new FinetuneLoop.Settings(c.training(), c.checkpointing(), c.maxSeqLength(),
        c.numTrainEpochs(), c.trainBatchSize(), c.learningRate(), c.checkpointDir(), "sentences",
        "the training data, --max_examples and --train_batch_size");
    String task = c.taskName().id();
    FinetuneLoop.Model<TaggingFeaturizer.Features> model = new FinetuneLoop.Model<>() {
      @Override
      public FinetuneGraph graph() {
        return graph;
      }

      @Override
      public float trainStep(List<TaggingFeaturizer.Features> batch, FinetuneGraph.Step step) {
        int length = c.maxSeqLength();
        int[] positionLabels = new int[batch.size() * length];
        for (int i = 0; i < batch.size(); i++) {
          System.arraycopy(batch.get(i).labelIds(), 0, positionLabels, i * length, length);
        }
        return graph.trainStep(FinetuneGlue.tokens(batch.stream().map(TaggingFeaturizer.Features::inputs).toList()),
            positionLabels, step);
      }

      @Override
      public void writeHead(Path checkpoint) throws IOException {
        FinetunedHead.writeTagger(checkpoint, task, labels);
      }

      @Override
      public void requireHead(Path checkpoint) throws IOException {
        List<String> recorded = FinetunedHead.requireTagger(checkpoint, task, "another --output_dir");
        if (!recorded.equals(labels)) {
          throw new UsageException("checkpoint " + checkpoint + " was trained with the labels " + recorded + ", the "
              + "training file now has " + labels + ": use another --output_dir");
        }
      }

      @Override
      public void loadStartingWeights() throws IOException {
        source.loadForTraining(graph, out);
      }
    };
    // one process: tagging has no --workers yet
    return new FinetuneLoop<>(settings, model, log, out, null).train(examples, vocab.fingerprint(), stopAfterStep);
  }

  /**
   * The label the model gives each word's first WordPiece (argmax); words cut by {@code --max_seq_length} are
   * predicted O, and counted on the console.
   */
  private List<List<String>> predict(TaggingConfig c, TaggerGraph graph, TaggingFeaturizer featurizer,
      List<String> labels, List<TaggedSentence> sentences) {
    int n = sentences.size();
    int length = c.maxSeqLength();
    List<List<String>> predicted = new ArrayList<>();
    long cutWords = 0;
    long cutSentences = 0;
    Progress progress = new Progress("tagged", "sentences", n, PREDICTION_PROGRESS_INTERVAL, out, clock);
    for (int from = 0; from < n; from += c.predictBatchSize()) {
      int to = Math.min(n, from + c.predictBatchSize());
      List<TaggingFeaturizer.Features> batch = sentences.subList(from, to).stream()
          .map(s -> featurizer.features(s.words(), null)).toList();
      float[] logits = graph.logits(FinetuneGlue.tokens(batch.stream().map(TaggingFeaturizer.Features::inputs)
          .toList()));
      for (int i = 0; i < batch.size(); i++) {
        int words = sentences.get(from + i).words().size();
        List<String> tags = new ArrayList<>(Collections.nCopies(words, "O"));
        int[] first = batch.get(i).firstPieces();
        for (int w = 0; w < first.length; w++) {
          tags.set(w, labels.get(argmax(logits, ((long) i * length + first[w]) * labels.size(), labels.size())));
        }
        if (first.length < words) {
          cutWords += words - first.length;
          cutSentences++;
        }
        predicted.add(tags);
      }
      progress.advance(to - from);
    }
    if (cutWords > 0) {
      out.printf(Locale.ROOT, "%d words of %d sentences did not fit in --max_seq_length %d and were predicted O%n",
          cutWords, cutSentences, length);
    }
    return predicted;
  }

  private static int argmax(float[] values, long offset, int count) {
    int best = 0;
    for (int k = 1; k < count; k++) {
      best = values[(int) (offset + k)] > values[(int) (offset + best)] ? k : best;
    }
    return best;
  }
}
