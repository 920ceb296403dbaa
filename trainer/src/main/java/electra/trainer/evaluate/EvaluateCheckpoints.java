package electra.trainer.evaluate;

import static electra.cli.UsageException.require;

import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.StopRequest;
import electra.cli.StopSignals;
import electra.cli.UsageException;
import electra.data.SampleData;
import electra.data.SampleFile;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.export.QaHead;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.trainer.export.ExportModel;
import electra.trainer.finetune.FinetuneConfig;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.pretrain.PretrainConfig;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The {@code EvaluateCheckpoints} job: continuous evaluation of a {@code Pretrain} run, as Estimator's
 * {@code train_and_evaluate} evaluates checkpoints while training goes on. For each new checkpoint of the run folder
 * (or one every {@code --every_steps}) it fine-tunes the checkpoint's discriminator on a few SQuAD questions with
 * FinetuneSquad, scores it with the official exact match and F1 on held-out questions ({@link SquadSubsets}), and,
 * when {@code --publish} says so, exports the fine-tuned model with ExportModel as the next version of a
 * {@link ModelRepository}, its {@code eval.json} beside it. Every evaluation is recorded ({@link EvaluationLog}).
 *
 * <p>A restarted run continues: no checkpoint is evaluated twice (its line in {@code evaluations.jsonl}, or a version
 * whose {@code eval.json} names it, published by a run killed before it wrote the line), a fine-tuning in progress
 * resumes from its own checkpoint, and what a killed publisher left half-written is deleted, never published. A
 * checkpoint Pretrain deletes ({@code --keep_checkpoint_max}) before its turn is recorded as skipped.
 *
 * <p>Both phases of a run are followed: phase 1's {@code ckpt-<step>}, then phase 2's {@code ckpt-p2-<step>}, whose
 * step counter starts again at 0. Each evaluation is recorded with its phase and that phase's own step, as Pretrain
 * logs them ({@link EvaluationLog}), and {@code --every_steps} counts within a phase.
 *
 * <p>{@link #stop()}, or Ctrl-C or SIGTERM to the command ({@link #run(String[])}), ends a run at its next safe
 * point: between checkpoints, or after the fine-tuning in progress (then nothing is exported or recorded for that
 * checkpoint, so a restart evaluates it); a publish already under way completes, as one rename, and is recorded.
 */
public final class EvaluateCheckpoints implements Job {

  /** Which evaluated checkpoints become a model version. */
  public enum Publish {
    /** Every one. */
    ALWAYS,
    /** One whose F1 is higher than the newest published version's (or when none has one). */
    BETTER,
    /** None: evaluation only. */
    NEVER
  }

  /** The job's flags. */
  public record Settings(
      @Flag(value = "the Pretrain run folder to follow: <output_dir>/<model_name>, holding ckpt-* and "
          + "discriminator_config.json", required = true)
      Path runDir,
      @Flag(value = "this job's folder: evaluations.jsonl, " + EvaluationLog.CURVES_FILE + ", the SQuAD questions it "
          + "uses and the fine-tuning in progress; a restarted run continues it", required = true)
      Path workDir,
      Overwrite overwrite,
      @Flag("model repository: versions are published as <models>/<name>/<version>/ (needed unless --publish=never)")
      Path models,
      @Flag(value = "the model's name in the repository", defaultValue = "squad")
      String name,
      @Flag(value = "which evaluated checkpoints become a new version: better means a higher F1 than the newest "
          + "published version's eval.json", defaultValue = "better")
      Publish publish,
      @Flag(value = "keep looking for new checkpoints (false: evaluate the checkpoints there are and exit)",
          defaultValue = "true")
      boolean follow,
      @Flag(value = "seconds between looks for new checkpoints", defaultValue = "30")
      double pollIntervalS,
      @Flag(value = "evaluate a checkpoint only when it is at least this many pre-training steps after the last one "
          + "evaluated (0: every checkpoint)", defaultValue = "0")
      long everySteps,
      @Flag("SQuAD JSON (.json or .json.gz) to fine-tune on; default: the SQuAD v1.1 dev set (the checkout's "
          + "../shared/data, the cache, or downloaded and verified)")
      Path trainFile,
      @Flag("SQuAD JSON to take the held-out questions from; default: the training file, whose held-out questions "
          + "then start at the first article after the training questions'")
      Path evalFile,
      @Flag(value = "SQuAD 2.0: questions may have no answer (needs --train_file)", name = "version_2_with_negative",
          defaultValue = "false")
      boolean version2,
      @Flag(value = "questions fine-tuned on (the first of --train_file)", defaultValue = "256")
      int trainQuestions,
      @Flag(value = "held-out questions scored", defaultValue = "256")
      int evalQuestions,
      @Flag(value = "fine-tuning epochs", defaultValue = "2")
      int numTrainEpochs,
      @Flag(value = "the QA head fine-tuned and exported", defaultValue = "joint")
      QaHead head,
      @Flag(value = "tokens per window", defaultValue = "128")
      int maxSeqLength,
      @Flag(value = "distance between window starts, in WordPieces", defaultValue = "64")
      int docStride,
      @Flag(value = "question WordPieces kept", defaultValue = "32")
      int maxQueryLength,
      @Flag(value = "windows per fine-tuning step", defaultValue = "16")
      int trainBatchSize,
      @Flag(value = "fine-tuning peak learning rate", defaultValue = "3e-4")
      double learningRate,
      @Flag(value = "seed of the head's initial weights, data order and dropout", defaultValue = "12439")
      long seed,
      @Flag(value = "vocab.txt or bert-base-uncased: the vocabulary the run was pre-trained with",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile) {

    public Settings {
      require(runDir != null, "--run_dir is required");
      require(workDir != null, "--work_dir is required");
      require(publish == Publish.NEVER || models != null, "--publish=" + spelling(publish) + " needs --models (or "
          + "--publish=never)");
      require(pollIntervalS > 0, "--poll_interval_s must be positive, got " + pollIntervalS);
      require(everySteps >= 0, "--every_steps must be >= 0, got " + everySteps);
      require(!version2 || trainFile != null, "--version_2_with_negative needs --train_file (a SQuAD 2.0 file)");
      require(trainQuestions > 0, "--train_questions must be positive, got " + trainQuestions);
      require(evalQuestions > 0, "--eval_questions must be positive, got " + evalQuestions);
      if (models != null) {
        try {
          ModelRepository.at(models, name);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--name: " + e.getMessage());
        }
      }
    }

    /** What a run continuing the work folder must share with the run that started it: what the scores depend on. */
    String work() {
      return Stream.of("--run_dir=" + runDir, flag("train_file", trainFile), flag("eval_file", evalFile),
              "--version_2_with_negative=" + version2, "--train_questions=" + trainQuestions,
              "--eval_questions=" + evalQuestions, "--num_train_epochs=" + numTrainEpochs, "--head=" + head.id(),
              "--max_seq_length=" + maxSeqLength, "--doc_stride=" + docStride, "--max_query_length=" + maxQueryLength,
              "--train_batch_size=" + trainBatchSize, "--learning_rate=" + learningRate, "--seed=" + seed)
          .filter(Objects::nonNull).collect(Collectors.joining(" "));
    }
  }

  private static String flag(String name, Object value) {
    return value == null ? null : "--" + name + "=" + value;
  }

  private static String spelling(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  static Flags flags() {
    return Flags.forJob("EvaluateCheckpoints", "fine-tunes every new checkpoint of a Pretrain run on SQuAD, scores "
            + "it on held-out questions and publishes the better ones as model versions")
        .example("./electra EvaluateCheckpoints --run_dir=runs/pretrain/small --models=runs/models --name=squad "
            + "--work_dir=runs/evaluate")
        .example("./electra EvaluateCheckpoints --run_dir=runs/pretrain/small --models=runs/models --follow=false "
            + "--publish=always --train_questions=64 --eval_questions=100 --work_dir=runs/evaluate")
        .record(Settings.class);
  }

  private final PrintStream out;
  private final StopRequest stop = new StopRequest();

  public EvaluateCheckpoints() {
    this(System.out);
  }

  public EvaluateCheckpoints(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "EvaluateCheckpoints";
  }

  @Override
  public String description() {
    return "continuous evaluation: each new Pretrain checkpoint fine-tuned on SQuAD, scored (EM/F1) on held-out "
        + "questions, published as a model version when better";
  }

  /**
   * Runs from the command line until it ends or is stopped: Ctrl-C, SIGTERM or SIGHUP ({@link StopSignals}) ask for
   * {@link #stop()}, in place of the JVM's shutdown, so that a fine-tuning or publish in progress finishes while
   * TensorFlow is still there, and the job returns (status 0) with no half-done work recorded.
   */
  @Override
  public void run(String[] args) throws Exception {
    Settings s = flags().parse(args).record(Settings.class);
    try (StopSignals signals = new StopSignals(stop::request, out)) {
      stop.onRequest(() -> out.println("EvaluateCheckpoints: stop requested: ending after the checkpoint in progress "
          + "(a second Ctrl-C exits at once)"));
      run(s);
    }
  }

  /**
   * Asks a run in progress on another thread to end at its next safe point (see the class comment); the caller waits
   * for {@link #run} to return. Before the run has started, it evaluates nothing.
   */
  public void stop() {
    stop.request();
  }

  /** What a run did: the checkpoints it evaluated and those it skipped, by folder name. */
  public record Summary(List<String> evaluated, List<String> skipped) {}

  /**
   * Runs until {@link #stop() stopped} with {@code --follow}; otherwise evaluates the checkpoints there are (or until
   * stopped) and returns.
   */
  public Summary run(Settings s) throws Exception {
    if (!s.follow() && !Files.isDirectory(s.runDir())) {
      throw new UsageException("--run_dir " + s.runDir() + " is not a folder (a Pretrain run folder: "
          + "<output_dir>/<model_name>)");
    }
    Vocabulary vocabulary = Vocabulary.resolve(s.vocabFile());
    Path trainSource = s.trainFile() != null ? s.trainFile() : defaultSquad();
    Path heldOutSource = s.evalFile() != null ? s.evalFile() : trainSource;
    SquadSubsets data = SquadSubsets.cut(trainSource, s.trainQuestions(), heldOutSource, s.evalQuestions());
    finetuneConfig(s, s.runDir().resolve("ckpt-000000"), s.workDir()); // checks the fine-tuning flags now
    OutputFolder.claim(s.workDir(), new OutputFolder.Claim(name(), s.work(), true, ""), s.overwrite());
    data.write(s.workDir().resolve("data"));

    ModelRepository repo = s.publish() == Publish.NEVER ? null : ModelRepository.at(s.models(), s.name());
    if (repo != null) {
      removeAbandoned(repo);
    }
    Path runDir = s.runDir().toAbsolutePath().normalize();
    String title = String.format(Locale.ROOT, "ELECTRA continuous evaluation: %s, SQuAD %s, %d held-out questions",
        runDir.getFileName(), s.version2() ? "2.0" : "1.1", data.heldOutQuestions());
    List<String> evaluated = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    try (EvaluationLog log = new EvaluationLog(s.workDir(), runDir, title, out)) {
      if (repo != null) {
        recoverPublished(repo, runDir, log);
      }
      removeFinishedFinetuning(s.workDir(), log.recorded());
      Set<String> passedOver = new HashSet<>();
      out.println("EvaluateCheckpoints: " + (s.follow() ? "following " : "evaluating ") + runDir + "; "
          + data.description() + "; evaluations: " + s.workDir().resolve(EvaluationLog.FILE));
      boolean waiting = false;
      following:
      while (true) {
        List<Path> queue = new ArrayList<>();
        Set<String> recorded = log.recorded();
        for (Path checkpoint : checkpointsOf(runDir)) {
          if (!recorded.contains(checkpoint.toString())) {
            queue.add(checkpoint);
          }
        }
        for (Path checkpoint : queue) {
          if (stop.requested()) {
            break following;
          }
          Checkpoints.State state;
          try {
            state = Checkpoints.readState(checkpoint);
          } catch (IOException e) {
            if (Files.exists(checkpoint.resolve(Checkpoints.STATE))) {
              throw e;
            }
            skip(log, checkpoint, -1, skipped);
            continue;
          }
          long step = state.step();
          OptionalLong last = log.lastEvaluatedStep(state.phase2());
          if (last.isPresent() && step < last.getAsLong() + s.everySteps()) {
            if (passedOver.add(checkpoint.toString())) {
              out.println("passing over " + checkpoint.getFileName() + ": fewer than --every_steps "
                  + s.everySteps() + " after step " + last.getAsLong() + (state.phase2() ? " of phase 2" : ""));
            }
            continue;
          }
          switch (evaluate(s, data, vocabulary, repo, checkpoint, state, log)) {
            case EVALUATED -> evaluated.add(checkpoint.getFileName().toString());
            case DELETED -> skip(log, checkpoint, step, skipped);
            case STOPPED -> {
              break following;
            }
          }
          waiting = false;
        }
        if (!s.follow()) {
          break;
        }
        if (!waiting) {
          out.printf(Locale.ROOT, "waiting for new checkpoints in %s (every %.0f s)%n", runDir, s.pollIntervalS());
          waiting = true;
        }
        if (stop.await(Duration.ofMillis(Math.round(s.pollIntervalS() * 1000)))) {
          break;
        }
      }
    }
    if (stop.requested()) {
      out.println("stopped on request; a restarted run continues with the checkpoints not recorded");
    }
    out.println("evaluated " + evaluated.size() + " checkpoints" + (skipped.isEmpty() ? "" : ", skipped "
        + skipped));
    return new Summary(evaluated, skipped);
  }

  /** The run's checkpoints in training order: phase 1's, then phase 2's. */
  private static List<Path> checkpointsOf(Path runDir) throws IOException {
    List<Path> all = new ArrayList<>();
    for (boolean phase2 : new boolean[] {false, true}) {
      all.addAll(new Checkpoints(runDir, PretrainConfig.checkpointPrefix(phase2), Integer.MAX_VALUE).list());
    }
    return all;
  }

  /** Whether {@code checkpoint} is one of phase 2, by its name (for a checkpoint whose state cannot be read). */
  private static boolean isPhase2(Path checkpoint) {
    return checkpoint.getFileName().toString().startsWith(PretrainConfig.checkpointPrefix(true));
  }

  private void skip(EvaluationLog log, Path checkpoint, long step, List<String> skipped) throws IOException {
    String reason = "deleted before it was evaluated (Pretrain keeps its newest --keep_checkpoint_max checkpoints)";
    out.println("skipped " + checkpoint + ": " + reason);
    log.skipped(checkpoint, isPhase2(checkpoint), step, reason);
    skipped.add(checkpoint.getFileName().toString());
  }

  /** The SQuAD v1.1 dev set: the checkout's copy, the cached one, or downloaded and verified. */
  private Path defaultSquad() throws IOException {
    SampleData.Located squad = SampleData.fromEnvironment().locate(SampleFile.SQUAD_DEV_V1_1);
    out.println("SQuAD: " + squad.file() + " (" + squad.origin() + ")");
    return squad.file();
  }

  /** FinetuneSquad's settings for fine-tuning {@code checkpoint} into {@code dir} and scoring the held-out questions. */
  private static FinetuneConfig finetuneConfig(Settings s, Path checkpoint, Path dir) {
    Path data = s.workDir().resolve("data");
    return FinetuneConfig.parse("--mode=train_eval", "--electra_model=" + checkpoint,
        "--vocab_file=" + s.vocabFile(), "--train_file=" + data.resolve(SquadSubsets.TRAIN_FILE),
        "--predict_file=" + data.resolve(SquadSubsets.HELD_OUT_FILE), "--output_dir=" + dir,
        "--version_2_with_negative=" + s.version2(), "--head=" + s.head().id(), "--max_seq_length=" + s.maxSeqLength(),
        "--doc_stride=" + s.docStride(), "--max_query_length=" + s.maxQueryLength(),
        "--num_train_epochs=" + s.numTrainEpochs(), "--train_batch_size=" + s.trainBatchSize(),
        "--learning_rate=" + s.learningRate(), "--seed=" + s.seed(), "--keep_checkpoint_max=1", "--log_freq=50");
  }

  /** How one checkpoint's evaluation ended. */
  private enum Outcome {
    /** Scored, maybe published, and recorded. */
    EVALUATED,
    /** Deleted before its discriminator was read: nothing recorded (the caller records the skip). */
    DELETED,
    /** A stop came during its fine-tuning: not exported, not recorded (a restart evaluates it). */
    STOPPED
  }

  /** Fine-tunes, scores and maybe publishes one checkpoint, and records it, unless it ended otherwise. */
  private Outcome evaluate(Settings s, SquadSubsets data, Vocabulary vocabulary, ModelRepository repo,
      Path checkpoint, Checkpoints.State state, EvaluationLog log) throws Exception {
    long step = state.step();
    String trainedWith = state.vocabFingerprint();
    if (trainedWith != null && !trainedWith.equals(vocabulary.fingerprint())) {
      throw new UsageException(checkpoint + " was pre-trained with the vocabulary sha256 " + trainedWith + " but "
          + "--vocab_file " + vocabulary.source() + " has " + vocabulary.fingerprint());
    }
    out.println("evaluating " + checkpoint + " (pre-training step " + step + (state.phase2() ? " of phase 2" : "")
        + ")");
    long started = System.nanoTime();
    Path dir = s.workDir().resolve("finetune").resolve(checkpoint.getFileName().toString());
    FinetuneConfig config = finetuneConfig(s, checkpoint, dir);
    FinetuneSquad.Summary finetuned;
    try {
      finetuned = new FinetuneSquad(out).run(config);
    } catch (Exception e) {
      if (!Files.exists(checkpoint.resolve(Checkpoints.STATE))) {
        Directories.deleteRecursively(dir);
        return Outcome.DELETED; // Pretrain deleted it while its weights were being read
      }
      throw e;
    }
    if (stop.requested()) {
      // no new export once stopping: the caller may be about to end the process (and the native libraries with it)
      out.println("stop requested while " + checkpoint.getFileName() + " was fine-tuned: not published or recorded");
      return Outcome.STOPPED;
    }
    Map<String, Number> results = finetuned.results();
    double exactMatch = results.getOrDefault(ModelEvaluation.EXACT_MATCH, results.get("exact")).doubleValue();
    double f1 = results.get(ModelEvaluation.F1).doubleValue();
    Map<String, Double> scores = results.entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().doubleValue()));
    ModelEvaluation evaluation = new ModelEvaluation(scores, data.description(), data.heldOutQuestions(),
        checkpoint.toString(), step, name() + " --work_dir=" + s.workDir().toAbsolutePath().normalize() + ": "
        + s.head().id() + " head fine-tuned on " + data.trainQuestions() + " questions (" + SquadSubsets.TRAIN_FILE
        + "), epochs: " + s.numTrainEpochs());
    Decision decision = decide(s.publish(), repo, f1);
    OptionalLong version = OptionalLong.empty();
    if (decision.publish()) {
      Path finetunedCheckpoint = new Checkpoints(config.checkpointDir(), "ckpt-", 1).latest()
          .orElseThrow(() -> new IOException("FinetuneSquad left no checkpoint in " + config.checkpointDir()));
      version = OptionalLong.of(publish(repo, finetunedCheckpoint, config, evaluation).number());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    out.printf(Locale.ROOT, "%s (%sstep %d): exact match %.2f, F1 %.2f on %d held-out questions in %.0f s; %s%s%n",
        checkpoint.getFileName(), state.phase2() ? "phase 2 " : "", step, exactMatch, f1, data.heldOutQuestions(),
        seconds, decision.reason(), version.isPresent() ? " as version " + version.getAsLong() + " of " + repo : "");
    log.evaluated(new EvaluationLog.Evaluation(checkpoint, state.phase2(), step, exactMatch, f1,
        data.heldOutQuestions(), seconds, version, decision.reason()), null);
    Directories.deleteRecursively(dir);
    return Outcome.EVALUATED;
  }

  /** Whether to publish an evaluated model, and why, in words: "published (...)" or "not published (...)". */
  private record Decision(boolean publish, String reason) {
    static Decision of(boolean publish, String why) {
      return new Decision(publish, (publish ? "published (" : "not published (") + why + ")");
    }
  }

  /** What {@code --publish} decides for a model of F1 {@code f1}, given the versions {@code repo} has. */
  private static Decision decide(Publish policy, ModelRepository repo, double f1) throws IOException {
    if (policy != Publish.BETTER) {
      return Decision.of(policy == Publish.ALWAYS, "--publish=" + spelling(policy));
    }
    var newest = repo.latest();
    if (newest.isEmpty()) {
      return Decision.of(true, "--publish=better, no version yet");
    }
    OptionalDouble best = newest.get().evaluation().f1();
    if (best.isEmpty()) {
      return Decision.of(true, "--publish=better, version " + newest.get().number() + " has no F1");
    }
    boolean better = f1 > best.getAsDouble();
    return Decision.of(better, String.format(Locale.ROOT, "--publish=better, F1 %.2f %s version %d's %.2f", f1,
        better ? "above" : "not above", newest.get().number(), best.getAsDouble()));
  }

  /** Publishes a fine-tuned checkpoint as the next version of {@code repo}, with the run's own export settings. */
  private ModelRepository.Version publish(ModelRepository repo, Path finetuned, FinetuneConfig config,
      ModelEvaluation evaluation) throws IOException {
    return ExportModel.publish(finetuned, Vocabulary.resolve(config.tokenization().vocabFile()), repo,
        ExportModel.Settings.of(config), evaluation, staged -> out.println("exporting " + finetuned + " into "
            + staged));
  }

  /** Deletes the staging folders of publishers killed mid-write, and says so. */
  private void removeAbandoned(ModelRepository repo) throws IOException {
    repo.removeAbandonedStaging().forEach(dir -> out.println("removed " + dir + ", left by a publisher that was "
        + "stopped mid-write"));
  }

  /**
   * Records the versions published from this run's checkpoints that {@code evaluations.jsonl} lacks: a run killed
   * between publishing a version and writing its line. Their checkpoints then count as evaluated.
   */
  private void recoverPublished(ModelRepository repo, Path runDir, EvaluationLog log) throws IOException {
    Set<String> recorded = log.recorded();
    for (ModelRepository.Version v : repo.versions()) {
      ModelEvaluation e = v.evaluation();
      Path checkpoint = e.checkpoint().isEmpty() ? null : Path.of(e.checkpoint());
      if (checkpoint == null || !runDir.equals(checkpoint.getParent()) || recorded.contains(e.checkpoint())
          || e.f1().isEmpty()) {
        continue;
      }
      double exactMatch = e.scores().getOrDefault(ModelEvaluation.EXACT_MATCH, e.scores().getOrDefault("exact",
          Double.NaN));
      out.println("version " + v.number() + " was published from " + checkpoint.getFileName() + " by a run stopped "
          + "before recording it: recorded now");
      log.evaluated(new EvaluationLog.Evaluation(checkpoint, isPhase2(checkpoint), e.pretrainingStep(), exactMatch,
          e.f1().getAsDouble(), e.questions(), 0, OptionalLong.of(v.number()), "published"),
          v.dir().resolve(ModelEvaluation.FILE).toString());
    }
  }

  /** Deletes the fine-tuning folders of checkpoints already recorded (a run stopped after recording, before that). */
  private static void removeFinishedFinetuning(Path workDir, Set<String> recorded) throws IOException {
    Path finetune = workDir.resolve("finetune");
    if (!Files.isDirectory(finetune)) {
      return;
    }
    Set<String> names = recorded.stream().map(r -> Path.of(r).getFileName().toString()).collect(Collectors.toSet());
    List<Path> finished;
    try (Stream<Path> dirs = Files.list(finetune)) {
      finished = dirs.filter(d -> names.contains(d.getFileName().toString())).toList();
    }
    for (Path dir : finished) {
      Directories.deleteRecursively(dir);
    }
  }
}
