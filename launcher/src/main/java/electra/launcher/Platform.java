package electra.launcher;

import static electra.cli.UsageException.require;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.StopRequest;
import electra.cli.StopSignals;
import electra.cli.UsageException;
import electra.export.ModelRepository;
import electra.model.ElectraConfig;
import electra.pipelines.ingest.IngestJobs;
import electra.serving.ServeQA;
import electra.trainer.evaluate.EvaluateCheckpoints;
import electra.trainer.pretrain.Pretrain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * {@code Platform}: the closed loop in one process on embedded defaults. Continuous ingestion of a corpus folder
 * (IngestBooks {@code --watch}), Pretrain {@code --follow} on its shards, EvaluateCheckpoints following the Pretrain
 * run into a model repository, and ServeQA (in-process Kafka broker, embedded Flink) serving the repository's newest
 * version. Each part runs in a thread of its own, its lines prefixed with its name.
 *
 * <p>Stopping: Ctrl-C or SIGTERM ({@link StopSignals}, so that the JVM does not start shutting down yet) asks every
 * part to stop, in order: ingest after its batch in progress, Pretrain after its step with a checkpoint, the evaluator
 * between checkpoints or after the fine-tuning in progress (no export after that; a publish under way completes), and
 * ServeQA with its broker. Platform waits for each, prints its stop line, and returns: status 0. Only then does the
 * JVM shut down, so no part uses TensorFlow or ONNX Runtime while their clean-up runs. When a part fails, the others
 * are stopped the same way and the status is 1, naming the part.
 */
public final class Platform implements Job {

  /** The Pretrain run's name: its folder is {@code <work_dir>/pretrain/tiny}. */
  static final String RUN_NAME = "tiny";

  /**
   * How long a stop waits for the parts: Pretrain's step in progress and its checkpoint, the evaluator's fine-tuning
   * in progress.
   */
  static final Duration STOP_WAIT = Duration.ofMinutes(6);

  /** How long ServeQA may take to start reading requests before Platform says it runs anyway. */
  private static final Duration READY_WAIT = Duration.ofSeconds(60);

  /** How often the loop looks at the parts and for the first shards while no stop wakes it. */
  private static final Duration LOOK_INTERVAL = Duration.ofMillis(200);

  private final PrintStream out;

  public Platform() {
    this(System.out);
  }

  public Platform(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "Platform";
  }

  @Override
  public String description() {
    return "the closed loop in one process: a corpus folder -> shards -> Pretrain --follow -> evaluated checkpoints "
        + "-> model versions -> ServeQA over Kafka";
  }

  /** What to run and how big, each declared once as its flag. */
  record Settings(
      @Flag(value = "every part writes under this folder; a restarted Platform continues it",
          defaultValue = "runs/platform")
      Path workDir,
      Overwrite overwrite,
      @Flag("the folder watched for books, one .txt per book (default: <work_dir>/corpus, created)")
      Path corpus,
      @Flag(value = "WordPiece vocabulary: vocab.txt path or bert-base-uncased", defaultValue = "bert-base-uncased")
      String vocabFile,
      @Flag(value = "pre-training steps in all (Pretrain --num_train_steps); training then stops, serving goes on",
          defaultValue = "10000")
      long steps,
      @Flag(value = "a checkpoint (and so an evaluation) every this many steps", defaultValue = "200")
      long saveCheckpointsSteps,
      @Flag(value = "checkpoints Pretrain keeps", defaultValue = "3")
      int keepCheckpointMax,
      @Flag(value = "pre-training sequences per step (128 tokens each)", defaultValue = "16")
      int trainBatchSize,
      @Flag(value = "SQuAD questions each checkpoint is fine-tuned on", defaultValue = "64")
      int trainQuestions,
      @Flag(value = "held-out SQuAD questions each checkpoint is scored on", defaultValue = "64")
      int evalQuestions,
      @Flag("SQuAD JSON to fine-tune on and score with (default: the SQuAD v1.1 dev set: ../shared/data's copy, "
          + "else cached or downloaded)")
      Path squad,
      @Flag(value = "the model's name in the repository <work_dir>/models", defaultValue = "squad")
      String name,
      @Flag(value = "which evaluated checkpoints become a served version; better: a higher F1 than the newest "
          + "version's", defaultValue = "better")
      EvaluateCheckpoints.Publish publish,
      @Flag(value = "seconds between looks for new books, checkpoints and model versions", defaultValue = "10")
      int pollIntervalS,
      @Flag(value = "stop ingesting after this many seconds without a new book; 0 watches until stopped",
          defaultValue = "0")
      int maxIdle,
      @Flag("Kafka to serve on (default: a broker started in this process)")
      String bootstrapServers) {

    Settings {
      require(steps > 0, "--steps must be positive, got " + steps);
      require(saveCheckpointsSteps > 0, "--save_checkpoints_steps must be positive, got " + saveCheckpointsSteps);
      require(keepCheckpointMax > 0, "--keep_checkpoint_max must be positive, got " + keepCheckpointMax);
      require(trainBatchSize > 0, "--train_batch_size must be positive, got " + trainBatchSize);
      require(trainQuestions > 0 && evalQuestions > 0, "--train_questions and --eval_questions must be positive");
      require(pollIntervalS > 0, "--poll_interval_s must be positive, got " + pollIntervalS);
      require(maxIdle >= 0, "--max_idle must be >= 0, got " + maxIdle);
      corpus = corpus != null ? corpus : workDir.resolve("corpus");
    }

    /** What a restart must share with the run that started the work folder. */
    String work() {
      return "--corpus=" + corpus + " --vocab_file=" + vocabFile;
    }
  }

  static Flags flags() {
    return Flags.forJob("Platform", "continuous ingestion, pre-training, evaluation and serving of a tiny ELECTRA; "
            + "drop a book into the corpus folder and watch it become shards, steps, an evaluated checkpoint and a "
            + "new served version; Ctrl-C stops every part")
        .example("./electra Platform --work_dir=runs/platform")
        .example("./electra Platform --work_dir=runs/platform --steps=400 --save_checkpoints_steps=100 "
            + "--publish=always")
        .record(Settings.class);
  }

  /** Where each part writes. */
  record Layout(Path work) {
    Path shards() {
      return work.resolve("shards");
    }

    Path manifest() {
      return shards().resolve("phase1/train/manifest.json");
    }

    Path modelConfig() {
      return work.resolve("tiny-electra-config.json");
    }

    Path pretrain() {
      return work.resolve("pretrain");
    }

    Path run() {
      return pretrain().resolve(RUN_NAME);
    }

    Path evaluate() {
      return work.resolve("evaluate");
    }

    Path models() {
      return work.resolve("models");
    }
  }

  /** One part of the loop: a job running in its thread, how to ask it to stop, and how it ended. */
  private static final class Part {
    final String name;
    final Runnable stop;
    final Thread thread;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    Part(String name, ThrowingRunnable body, Runnable stop) {
      this.name = name;
      this.stop = stop;
      this.thread = new Thread(() -> {
        try {
          body.run();
        } catch (Throwable t) {
          failure.set(t);
        }
      }, "platform-" + name);
    }
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private final List<Part> parts = new ArrayList<>();
  /** Ctrl-C or SIGTERM: the loop then stops the parts. */
  private final StopRequest stop = new StopRequest();

  @Override
  public void run(String[] args) throws Exception {
    Settings s = flags().parse(args).record(Settings.class);
    Layout l = new Layout(s.workDir());
    OutputFolder.claim(l.work(), new OutputFolder.Claim(name(), s.work(), true, ""), s.overwrite());
    Files.createDirectories(s.corpus());
    List<String> unfinished;
    try (StopSignals signals = new StopSignals(stop::request, out)) {
      try {
        loop(s, l);
      } finally {
        unfinished = stopParts(); // on every way out: this call's return lets the JVM shut down
      }
    }
    if (!unfinished.isEmpty()) {
      throw new IllegalStateException(unfinished + " did not stop within " + STOP_WAIT.toSeconds() + " s");
    }
    Optional<Exception> failedWhileStopping = failure();
    if (failedWhileStopping.isPresent()) {
      throw failedWhileStopping.get();
    }
  }

  /** Starts the parts once there are shards, and returns when a stop is asked for; throws when a part fails. */
  private void loop(Settings s, Layout l) throws Exception {
    String poll = String.valueOf(s.pollIntervalS());
    out.printf("Platform: work dir %s; Ctrl-C or SIGTERM stops every part%n", l.work().toAbsolutePath());
    IngestJobs.IngestBooks ingestBooks = new IngestJobs.IngestBooks(prefixed("ingest"));
    Part ingest = start("ingest", () -> ingestBooks.run(new String[] {
        "--input=" + s.corpus(), "--output=" + l.shards(), "--vocab_file=" + s.vocabFile(), "--watch",
        "--poll_interval=" + poll, "--max_idle=" + s.maxIdle(), "--max_seq_length_p1=" + QuickStart.SEQ,
        "--max_seq_length_p2=0", "--num_train_shards=1", "--num_test_shards=1"}), () -> ingestBooks.stop());
    out.printf("  ingest    %s (IngestBooks --watch) -> shards %s%n", s.corpus(), l.shards());
    if (!Files.exists(l.manifest())) {
      out.printf("Platform: waiting for the first book: drop a .txt file into %s%n", s.corpus());
    }
    while (!Files.exists(l.manifest())) {
      if (!ingest.thread.isAlive()) {
        throwIfAnyFailed();
        throw new IllegalStateException("ingest stopped (--max_idle " + s.maxIdle() + " s) before the first book "
            + "arrived in " + s.corpus());
      }
      if (stop.await(LOOK_INTERVAL)) {
        return;
      }
    }
    if (!Files.exists(l.modelConfig())) {
      ElectraConfig.standard(QuickStart.EMBEDDING, QuickStart.HIDDEN, QuickStart.LAYERS)
          .writeJson(l.modelConfig(), "ElectraForPreTraining");
    }
    List<String> pretrain = new ArrayList<>(List.of("--model_config=" + l.modelConfig(),
        "--pretrain_tfrecords=" + l.manifest().getParent(), "--follow", "--follow_timeout=" + poll,
        "--output_dir=" + l.pretrain(),
        "--model_name=" + RUN_NAME, "--vocab_file=" + s.vocabFile(), "--train_batch_size=" + s.trainBatchSize(),
        "--num_train_steps=" + s.steps(), "--num_warmup_steps=" + Math.max(1, s.steps() / 10),
        "--learning_rate=2e-3", "--save_checkpoints_steps=" + s.saveCheckpointsSteps(),
        "--keep_checkpoint_max=" + s.keepCheckpointMax(),
        "--log_freq=" + Math.max(1, Math.min(50, s.saveCheckpointsSteps() / 2))));
    if (hasCheckpoint(l.run())) {
      pretrain.add("--restore_checkpoint=latest"); // a restarted Platform continues its run
    }
    Pretrain pretrainer = new Pretrain(prefixed("pretrain"));
    start("pretrain", () -> pretrainer.run(pretrain.toArray(String[]::new)), pretrainer::stop);
    out.printf("  pretrain  Pretrain --follow -> run folder %s (checkpoints every %d steps)%n", l.run(),
        s.saveCheckpointsSteps());
    List<String> evaluate = new ArrayList<>(List.of("--run_dir=" + l.run(), "--work_dir=" + l.evaluate(),
        "--models=" + l.models(), "--name=" + s.name(), "--publish=" + s.publish().name().toLowerCase(Locale.ROOT),
        "--poll_interval_s=" + poll, "--train_questions=" + s.trainQuestions(),
        "--eval_questions=" + s.evalQuestions(), "--num_train_epochs=1", "--head=simple",
        "--max_seq_length=" + QuickStart.SEQ, "--doc_stride=" + QuickStart.QA_STRIDE,
        "--max_query_length=" + QuickStart.QA_QUERY, "--learning_rate=5e-4", "--vocab_file=" + s.vocabFile()));
    if (s.squad() != null) {
      evaluate.add("--train_file=" + s.squad());
    }
    EvaluateCheckpoints evaluator = new EvaluateCheckpoints(prefixed("evaluate"));
    start("evaluate", () -> evaluator.run(evaluate.toArray(String[]::new)), evaluator::stop);
    out.printf("  evaluate  EvaluateCheckpoints --follow -> %s, versions in %s%n",
        l.evaluate().resolve("evaluations.jsonl"), l.models().resolve(s.name()));
    Path model = l.models().resolve(s.name());
    List<String> serve = new ArrayList<>(List.of("--model=" + model, "--poll_interval_s=" + poll,
        "--max_batch_wait_ms=20"));
    if (s.bootstrapServers() != null) {
      serve.add("--bootstrap_servers=" + s.bootstrapServers());
    }
    StopRequest stopServing = new StopRequest();
    start("serve", () -> serve(serve, model, Duration.ofSeconds(s.pollIntervalS()), stopServing),
        stopServing::request);
    out.printf("  serve     ServeQA on %s (the newest version; the broker and the Ask line follow once version 1 "
        + "is published)%n", model);
    while (!stop.await(LOOK_INTERVAL)) {
      throwIfAnyFailed();
      if (parts.stream().noneMatch(p -> p.thread.isAlive())) {
        return;
      }
    }
  }

  /**
   * ServeQA once {@code model} has a version, until {@code stopServing}: the wait for version 1 is here and not in
   * ServeQA, so that a stop ends it too.
   */
  private void serve(List<String> args, Path model, Duration poll, StopRequest stopServing) throws Exception {
    ModelRepository repository = ModelRepository.of(model);
    while (repository.latest().isEmpty()) {
      if (stopServing.await(poll)) {
        return;
      }
    }
    PrintStream serveOut = prefixed("serve");
    try (ServeQA.Running running = ServeQA.start(new ServeQA(serveOut).parse(args.toArray(String[]::new)),
        serveOut)) {
      long deadline = System.nanoTime() + READY_WAIT.toNanos();
      while (!running.awaitReady(Duration.ofSeconds(1)) && System.nanoTime() < deadline) {
        if (stopServing.requested()) {
          return;
        }
      }
      serveOut.println("ServeQA is running");
      while (!stopServing.await(Duration.ofSeconds(1))) {
        if (running.hasEnded()) {
          throw new IllegalStateException("the ServeQA job ended without a stop request");
        }
      }
    }
  }

  private Part start(String name, ThrowingRunnable body, Runnable stop) {
    Part part = new Part(name, body, stop);
    parts.add(part);
    part.thread.start();
    return part;
  }

  /** Throws {@link #failure()}, first saying that the other parts are being stopped because of it. */
  private void throwIfAnyFailed() throws Exception {
    Optional<Part> failed = parts.stream().filter(p -> p.failure.get() != null).findFirst();
    if (failed.isPresent()) {
      out.printf("Platform: %s failed; stopping the other parts%n", failed.get().name);
      throw failure().orElseThrow();
    }
  }

  /**
   * The failure of the first part that failed, naming it: a failure the user can act on ({@link Failures}) stays
   * one, so that the launcher prints its one line behind the part's name.
   */
  private Optional<Exception> failure() {
    for (Part p : parts) {
      Throwable t = p.failure.get();
      if (t != null) {
        String what = "the " + p.name + " part failed: ";
        if (t instanceof UsageException) {
          return Optional.of(new UsageException(what + t.getMessage()));
        }
        Optional<String> explained = Failures.explain(t);
        if (explained.isPresent()) {
          return Optional.of(new IOException(what + explained.get(), t));
        }
        return Optional.of(new IllegalStateException(what + t, t));
      }
    }
    return Optional.empty();
  }

  /**
   * Asks every part to stop, in the order they started, then waits for each in that order (all within
   * {@link #STOP_WAIT}), printing its stop line; returns the parts still running then.
   */
  private List<String> stopParts() {
    out.println("Platform: stopping every part ...");
    parts.forEach(p -> p.stop.run());
    long deadline = System.nanoTime() + STOP_WAIT.toNanos();
    List<String> unfinished = new ArrayList<>();
    for (Part p : parts) {
      try {
        p.thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (p.thread.isAlive()) {
        unfinished.add(p.name);
      } else {
        out.printf("Platform: %s stopped%n", p.name);
      }
    }
    if (unfinished.isEmpty()) {
      out.println("Platform: stopped");
    }
    out.flush();
    return unfinished;
  }

  private static boolean hasCheckpoint(Path run) throws IOException {
    if (!Files.isDirectory(run)) {
      return false;
    }
    try (Stream<Path> entries = Files.list(run)) {
      return entries.anyMatch(p -> p.getFileName().toString().startsWith("ckpt-"));
    }
  }

  /** A stream whose every line goes to {@link #out} behind {@code [part]}, whole lines at a time. */
  private PrintStream prefixed(String part) {
    String prefix = String.format(Locale.ROOT, "[%-8s] ", part);
    return new PrintStream(new OutputStream() {
      private final ByteArrayOutputStream line = new ByteArrayOutputStream();

      @Override
      public synchronized void write(int b) {
        if (b == '\n') {
          synchronized (out) {
            out.println(prefix + line.toString(StandardCharsets.UTF_8));
          }
          line.reset();
        } else {
          line.write(b);
        }
      }
    }, true, StandardCharsets.UTF_8);
  }
}
