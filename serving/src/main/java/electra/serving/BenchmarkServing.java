package electra.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.cli.Directories;
import electra.export.InferenceEngine;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The {@code BenchmarkServing} job: starts ServeQA with an in-process broker (as QuickStart does), offers requests at
 * a fixed rate from a producer thread, and measures requests/s and end-to-end latency (send to answer received);
 * then runs the bare {@link QaAnswerer} on the same inputs one at a time, paced at the offered rate (latency), and in batches of
 * {@code --max_batch_size} (throughput), and prints the ratios and a Markdown table row.
 */
public final class BenchmarkServing implements Job {

  /** Question + context pairs to offer, cycled through, and where they came from. */
  public record Inputs(List<String[]> pairs, String source) {}

  /** Used when no SQuAD file is found. */
  static final Inputs BUILT_IN = new Inputs(List.of(
      new String[] {"What food does Harry like?", "My name is Harry and I grew up in Canada. I love apples."},
      new String[] {"Who won Super Bowl 50?", "Super Bowl 50 was an American football game to determine the "
          + "champion of the National Football League (NFL) for the 2015 season. The Denver Broncos defeated the "
          + "Carolina Panthers 24-10."},
      new String[] {"Where is most of the forest?", "The Amazon rainforest covers much of the Amazon basin of South "
          + "America. Most of the forest is in Brazil."},
      new String[] {"When did Tesla move?", "Tesla was born in 1856 in Smiljan. He moved to the United States in 1884 "
          + "and worked for Edison."}),
      "built-in pairs");

  private final PrintStream out;

  public BenchmarkServing() {
    this(System.out);
  }

  public BenchmarkServing(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "BenchmarkServing";
  }

  @Override
  public String description() {
    return "latency and throughput of ServeQA through Kafka + Flink next to the bare model on the same inputs";
  }

  /** The load {@code BenchmarkServing} offers ServeQA and the bare model, and how long it waits. */
  public record Settings(
      @Flag(value = "the export folder (ExportModel --output_dir)", required = true)
      Path model,
      @Flag(value = "measured requests", defaultValue = "200")
      int requests,
      @Flag(value = "offered load, requests/s; 0: as fast as the producer can send", defaultValue = "20.0")
      double rate,
      @Flag(value = "ServeQA's --max_batch_size, and the bare model's batch", defaultValue = "16")
      int maxBatchSize,
      @Flag(value = "ServeQA's --max_batch_wait_ms", defaultValue = "10")
      int maxBatchWaitMs,
      @Flag(value = "what runs the model, in ServeQA and bare; auto: ONNX Runtime when the export has a model.onnx, "
          + "else TensorFlow (the settings line and the table name the engine used)", defaultValue = "auto")
      InferenceEngine engine,
      @Flag("a Kafka cluster with the qa-requests and qa-answers topics; default: a broker in this process. Only this "
          + "run's requests count; older records in the topics are left alone. A paced run also measures Kafka alone "
          + "there, through the topics benchmark-echo-requests and benchmark-echo-replies (made when missing)")
      String bootstrapServers,
      @Flag(value = "requests per warm-up round, through Kafka and bare", name = "warmup", defaultValue = "20")
      int warmupRequests,
      @Flag(value = "warm-up rounds repeat until the JIT compiler is quiet, at most this long", name = "max_warmup_s",
          defaultValue = "120.0")
      double maxWarmupSeconds,
      @Flag("SQuAD JSON (.json or .json.gz) to take question+context pairs from; default "
          + "<electra.shared.dir or ../shared>/data/squad/dev-v1.1.json.gz when present, else built-in pairs")
      Path contextFile,
      @Flag(value = "skip SQuAD paragraphs longer than this", defaultValue = "2000")
      int maxContextChars,
      @Flag(value = "give up waiting for answers after this many seconds", name = "timeout_s", defaultValue = "300")
      long timeoutSeconds,
      @Flag(value = "serve --model through a temporary model repository and publish it again as a new version every "
          + "this many seconds while requests are measured (ServeQA polls every second); latency within swap windows "
          + "is reported against the steady state's; 0: no swaps", name = "swap_every_s", defaultValue = "0")
      double swapEverySeconds) {

    public Settings {
      atLeast(1, requests, "requests");
      if (!(rate >= 0)) {
        throw new UsageException("--rate must be >= 0, got " + rate);
      }
      atLeast(1, maxBatchSize, "max_batch_size");
      atLeast(1, maxBatchWaitMs, "max_batch_wait_ms");
      atLeast(0, warmupRequests, "warmup");
      if (!(maxWarmupSeconds >= 0)) {
        throw new UsageException("--max_warmup_s must be >= 0, got " + maxWarmupSeconds);
      }
      if (contextFile != null && !Files.isRegularFile(contextFile)) {
        throw new UsageException("--context_file " + contextFile + " not found");
      }
      atLeast(1, maxContextChars, "max_context_chars");
      atLeast(1, timeoutSeconds, "timeout_s");
      if (!(swapEverySeconds >= 0)) {
        throw new UsageException("--swap_every_s must be >= 0, got " + swapEverySeconds);
      }
    }

    private static void atLeast(long least, long value, String flag) {
      if (value < least) {
        throw new UsageException("--" + flag + " must be >= " + least + ", got " + value);
      }
    }

    /** Parses and checks a command line. */
    public static Settings parse(String... args) {
      return flags().parse(args).record(Settings.class);
    }

    /** The warm-up rounds before each measurement. */
    public Warmup warmup() {
      return new Warmup(warmupRequests, maxWarmupSeconds, Warmup.QUIET_JIT_SHARE);
    }

    public Duration timeout() {
      return Duration.ofSeconds(timeoutSeconds);
    }
  }

  static Flags flags() {
    return Flags.forJob("BenchmarkServing", "ServeQA through Kafka + Flink vs. the bare QaAnswerer")
        .example("./electra BenchmarkServing --model=/tmp/qa-export --requests=200 --rate=20")
        .example("./electra BenchmarkServing --model=/tmp/qa-export --requests=600 --rate=20 --swap_every_s=5   "
            + "(latency while new versions are swapped in)")
        .record(Settings.class);
  }

  /**
   * Warm-up before each measurement: rounds of {@code requests} requests, repeated until a round spent less than
   * {@code quietJitShare} of its time in the JIT compiler, or until {@code maxSeconds} have passed.
   *
   * <p>Why: the Kafka + Flink path runs far more Java code than the bare model call, and on a 2-core machine the JIT
   * compiling it (measured: 10-50% of a core for a minute at 2 requests/s) takes CPU from the model, which makes the
   * model calls inside the job slower than the same calls bare. A server runs for hours; the benchmark measures that
   * steady state on both paths, and prints how long each took to reach it.
   */
  public record Warmup(int requests, double maxSeconds, double quietJitShare) {
    /** A round that compiled for less than 5% of its time counts as quiet. */
    static final double QUIET_JIT_SHARE = 0.05;

    public Warmup {
      if (requests < 0 || maxSeconds < 0 || !(quietJitShare > 0)) {
        throw new IllegalArgumentException("warm-up needs requests >= 0, maxSeconds >= 0 and a share > 0, got "
            + requests + ", " + maxSeconds + ", " + quietJitShare);
      }
    }

    /** Runs {@code round} (given the round's number) until quiet or out of time; says what it did. */
    String run(IntConsumer round) {
      if (requests == 0) {
        return "no warm-up";
      }
      CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
      boolean measurable = jit != null && jit.isCompilationTimeMonitoringSupported();
      long start = System.nanoTime();
      for (int r = 0; ; r++) {
        long compiled = measurable ? jit.getTotalCompilationTime() : 0;
        long t0 = System.nanoTime();
        round.accept(r);
        double roundMs = (System.nanoTime() - t0) / 1e6;
        double share = measurable ? (jit.getTotalCompilationTime() - compiled) / Math.max(1, roundMs) : 0;
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (share < quietJitShare || elapsed >= maxSeconds) {
          return String.format("%d round(s) of %d requests in %.0f s; the JIT compiled for %.0f%% of the last round%s",
              r + 1, requests, elapsed, 100 * share, measurable ? "" : " (not measurable on this JVM)");
        }
      }
    }
  }

  /** Latency percentiles in ms. */
  public record Latency(double avg, double p50, double p90, double p99) {
    static Latency of(double[] ms) {
      double[] s = ms.clone();
      Arrays.sort(s);
      return new Latency(Arrays.stream(s).average().orElse(Double.NaN), pct(s, 50), pct(s, 90), pct(s, 99));
    }

    private static double pct(double[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  /**
   * What a run measured; {@code engine} is the one that ran ({@code --engine=auto} resolved for the export);
   * {@code hops}: where the requests' time went through Kafka and the job, one line per hop
   * ({@link RequestTimeline#describe}), null when not recorded; {@code bareHops}: the bare single requests' model
   * run, split as inside the job, null when not recorded; {@code kafkaAlone}: Kafka's round trip without the
   * job at the same rate ({@link KafkaRoundTrip}), null when not measured (saturated runs, or the echo's topics could
   * not be made); {@code jobCpu} and {@code bareCpu}: this process's CPU by thread name while the requests through the
   * job and the bare ones were measured ({@link ThreadCpu#describe}), null where not measurable (not Linux).
   */
  public record Report(int requests, int answered, double offeredRate, double kafkaThroughput, Latency kafka,
      Latency bareSingle, double bareBatchThroughput, int batchSize, InferenceEngine engine, String source,
      Swaps swaps, String hops, String bareHops, Latency kafkaAlone, String jobCpu, String bareCpu) {
    public double p50Ratio() {
      return kafka.p50() / bareSingle.p50();
    }

    /**
     * The p50 ratio a job would have if it added nothing but Kafka's round trip to the bare model: the medians
     * added, so an estimate, not a bound (the two vary together from request to request).
     */
    public double kafkaAloneRatio() {
      return (bareSingle.p50() + kafkaAlone.p50()) / bareSingle.p50();
    }

    /** What the job adds beyond the bare model and Kafka's round trip, at p50, ms. */
    public double jobBeyondKafkaMs() {
      return kafka.p50() - bareSingle.p50() - kafkaAlone.p50();
    }

    public double throughputRatio() {
      return kafkaThroughput / bareBatchThroughput;
    }

    /** The table row; a paced run shows only its latency ratio, a saturated one only its throughput ratio. */
    public String markdownRow() {
      boolean paced = offeredRate > 0;
      return String.format(Locale.ROOT, "| %s | %s | %d | %s | %d/%d | %.1f | %.1f / %.1f / %.1f / %.1f "
              + "| %.1f / %.1f / %.1f | %.1f | %s | %s |", Instant.now().toString().substring(0, 10), engine.id(),
          batchSize, paced ? String.format(Locale.ROOT, "%.0f", offeredRate) : "max", answered, requests,
          kafkaThroughput, kafka.avg(), kafka.p50(), kafka.p90(), kafka.p99(), bareSingle.p50(), bareSingle.p90(),
          bareSingle.p99(), bareBatchThroughput, paced ? String.format(Locale.ROOT, "%.2fx", p50Ratio()) : "-",
          paced ? "-" : String.format(Locale.ROOT, "%.2fx", throughputRatio()));
    }
  }

  /**
   * Latency through Kafka split by when a request was sent: within a swap window (from a version's publication, when
   * ServeQA may be loading and checking it next to the served one, until a second after it was swapped in) or in the
   * steady state; {@code null} in a report without swaps.
   */
  public record Swaps(int swaps, double everySeconds, int windowRequests, Latency window, int steadyRequests,
      Latency steady) {
    public double p99Ratio() {
      return window.p99() / steady.p99();
    }

    static Swaps of(double everySeconds, List<long[]> windows, long[] sent, double[] e2e) {
      List<Double> in = new ArrayList<>();
      List<Double> out = new ArrayList<>();
      for (int i = 0; i < sent.length; i++) {
        if (Double.isNaN(e2e[i])) {
          continue;
        }
        long t = sent[i];
        boolean inWindow = windows.stream().anyMatch(w -> t >= w[0] && t <= w[1]);
        (inWindow ? in : out).add(e2e[i]);
      }
      return new Swaps(windows.size(), everySeconds, in.size(),
          Latency.of(in.stream().mapToDouble(Double::doubleValue).toArray()), out.size(),
          Latency.of(out.stream().mapToDouble(Double::doubleValue).toArray()));
    }
  }

  /** How long after a swap its window lasts: the micro-batches right after it run on a model nothing warmed yet. */
  static final Duration SWAP_WINDOW_TAIL = Duration.ofSeconds(1);

  /** Thread names listed in the CPU profiles (the rest count in their total). */
  static final int CPU_TOP_THREADS = 12;

  static final String CPU_HEADING = "CPU of this process's threads during the measured requests";

  static final String CPU_COLUMNS = "ms per request by thread name: on a CPU, runnable but waiting for one, switched "
      + "in (threads)";

  static final String TABLE_HEADER = "| date | engine | batch | offered req/s | answered | req/s via Kafka "
      + "| e2e ms avg / p50 / p90 / p99 | bare ms p50 / p90 / p99 | bare batch req/s | p50 ratio | throughput ratio |\n"
      + "|---|---|---|---|---|---|---|---|---|---|---|";

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = Settings.parse(args);
    print(benchmark(settings, inputs(settings), out), out);
  }

  /** The pairs of --context_file, else of the shared SQuAD dev set when present, else the built-in ones. */
  static Inputs inputs(Settings settings) throws IOException {
    Path file = settings.contextFile() != null ? settings.contextFile() : defaultSquad();
    if (file == null) {
      return BUILT_IN;
    }
    return new Inputs(squadPairs(file, settings.requests() + settings.warmupRequests(), settings.maxContextChars()),
        file.getFileName().toString());
  }

  static Path defaultSquad() {
    String shared = System.getProperty("electra.shared.dir", "../shared");
    Path p = Path.of(shared, "data", "squad", "dev-v1.1.json.gz");
    return Files.exists(p) ? p : null;
  }

  /** The first question of each paragraph (up to {@code limit}), skipping contexts over {@code maxChars}. */
  static List<String[]> squadPairs(Path file, int limit, int maxChars) throws IOException {
    JsonNode root;
    try (InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(file))
        : Files.newInputStream(file)) {
      root = new ObjectMapper().readTree(in);
    }
    List<String[]> out = new ArrayList<>();
    for (JsonNode article : root.path("data")) {
      for (JsonNode paragraph : article.path("paragraphs")) {
        String context = paragraph.path("context").asText();
        JsonNode qas = paragraph.path("qas");
        if (context.isEmpty() || context.length() > maxChars || qas.isEmpty()) {
          continue;
        }
        out.add(new String[] {qas.get(0).path("question").asText(), context});
        if (out.size() >= limit) {
          return out;
        }
      }
    }
    if (out.isEmpty()) {
      throw new UsageException(file + " has no question+context pairs");
    }
    return out;
  }

  /**
   * The ratio the run's load can judge: latency against the bare model at an offered load the job keeps up with
   * (target <= 1.2x), throughput against the bare model's batches when saturated ({@code --rate=0}, target >= 0.9x).
   * A paced run's throughput is its offered rate, so it says nothing of the job's capacity.
   */
  static String verdict(Report r) {
    if (r.offeredRate() > 0) {
      return String.format(Locale.ROOT, "ratio: p50 through Kafka / bare p50 = %.2f (target <= 1.2 at a load the job "
          + "keeps up with: %s); throughput is the offered %.1f req/s, not a capacity (measure it with --rate=0)%n",
          r.p50Ratio(), r.p50Ratio() <= 1.2 ? "met" : "NOT met", r.offeredRate());
    }
    return String.format(Locale.ROOT, "ratio: throughput through Kafka / bare batch throughput = %.2f (target >= 0.9: "
        + "%s); saturated latency is queueing, not compared (measure it with a light --rate, e.g. 2)%n",
        r.throughputRatio(), r.throughputRatio() >= 0.9 ? "met" : "NOT met");
  }

  static void print(Report r, PrintStream out) {
    out.printf("inputs: %s; offered load %s req/s; batch %d; engine %s%n", r.source(),
        r.offeredRate() > 0 ? String.format("%.1f", r.offeredRate()) : "max", r.batchSize(), r.engine().id());
    out.printf("through Kafka + Flink: %d/%d answered, %.1f req/s, latency ms avg %.1f p50 %.1f p90 %.1f p99 %.1f%n",
        r.answered(), r.requests(), r.kafkaThroughput(), r.kafka().avg(), r.kafka().p50(), r.kafka().p90(),
        r.kafka().p99());
    if (r.hops() != null) {
      out.printf("where the time went through Kafka + Flink, ms: median, mean (requests)%n%s", r.hops());
    }
    out.printf("bare QaAnswerer, one at a time at the offered rate: latency ms avg %.1f p50 %.1f p90 %.1f p99 %.1f%n",
        r.bareSingle().avg(), r.bareSingle().p50(), r.bareSingle().p90(), r.bareSingle().p99());
    if (r.jobCpu() != null) {
      out.printf("%s through Kafka + Flink, %s%n%s", CPU_HEADING, CPU_COLUMNS, r.jobCpu());
    }
    if (r.bareHops() != null) {
      out.printf("the bare model's run, split as inside the job, ms: median, mean (requests)%n%s", r.bareHops());
    }
    if (r.bareCpu() != null) {
      out.printf("%s to the bare model, %s%n%s", CPU_HEADING, CPU_COLUMNS, r.bareCpu());
    }
    out.printf("bare QaAnswerer, batches of %d: %.1f req/s%n", r.batchSize(), r.bareBatchThroughput());
    if (r.kafkaAlone() != null) {
      Latency k = r.kafkaAlone();
      out.printf(Locale.ROOT, "Kafka alone at the offered rate (client -> broker -> an echo with the job's client "
          + "settings -> broker -> client; no Flink, no model): latency ms avg %.1f p50 %.1f p90 %.1f p99 %.1f%n",
          k.avg(), k.p50(), k.p90(), k.p99());
      out.printf(Locale.ROOT, "the bare model plus Kafka alone: (bare p50 + Kafka p50) / bare p50 = %.2f, what a job "
          + "that added nothing else would reach; this job adds %.1f ms beyond both at p50%n", r.kafkaAloneRatio(),
          r.jobBeyondKafkaMs());
    }
    out.print(verdict(r));
    if (r.swaps() != null) {
      Swaps w = r.swaps();
      out.printf(Locale.ROOT, "swaps: %d (a new version every %.1f s); within swap windows %d requests, latency ms p50 "
          + "%.1f p99 %.1f; steady state %d requests, p50 %.1f p99 %.1f; swap-window p99 / steady p99 = %.2f (target "
          + "<= 2: %s)%n", w.swaps(), w.everySeconds(), w.windowRequests(), w.window().p50(), w.window().p99(),
          w.steadyRequests(), w.steady().p50(), w.steady().p99(), w.p99Ratio(), w.p99Ratio() <= 2 ? "met"
              : "NOT met");
    }
    out.println(TABLE_HEADER);
    out.println(r.markdownRow());
  }

  /**
   * Runs both measurements; the input pairs are cycled through. With {@code --swap_every_s} the job serves a
   * temporary model repository holding copies of the export, deleted afterwards. Without {@code --bootstrap_servers} the job gets a
   * broker in this process. Either way the job reads as a new consumer group from the topics' ends and every id
   * carries this run's token, so records left in the topics by others (or earlier runs) are neither answered nor
   * counted.
   */
  public static Report benchmark(Settings settings, Inputs inputs, PrintStream log) throws Exception {
    boolean swapping = settings.swapEverySeconds() > 0;
    Path repositoryRoot = swapping ? Files.createTempDirectory("benchmark-serving-models-") : null;
    try {
      ModelRepository repository = null;
      if (swapping) {
        repository = ModelRepository.at(repositoryRoot, "benchmark");
        repository.publishCopy(settings.model(), SWAP_EVALUATION);
      }
      return measure(settings, inputs, log, repository);
    } finally {
      if (repositoryRoot != null) {
        Directories.deleteRecursively(repositoryRoot);
      }
    }
  }

  private static final ModelEvaluation SWAP_EVALUATION = ModelEvaluation.unevaluated("", -1,
      "BenchmarkServing --swap_every_s: a copy of --model");

  /** The measurements, with ServeQA serving {@code repository} (swaps) or, when null, the export folder. */
  private static Report measure(Settings settings, Inputs inputs, PrintStream log, ModelRepository repository)
      throws Exception {
    int requests = settings.requests();
    double rate = settings.rate();
    int batch = settings.maxBatchSize();
    Warmup warmup = settings.warmup();
    Duration timeout = settings.timeout();
    List<String[]> pairs = inputs.pairs();
    ByteArrayOutputStream jobLog = new ByteArrayOutputStream();
    String run = "bench" + Long.toString(System.currentTimeMillis(), 36) + "-";
    Path served = repository != null ? repository.dir() : settings.model();
    ServeQaOptions options = new ServeQA().parse("--model=" + served, "--poll_interval_s=1",
        "--model_name=" + settings.model().getFileName(), "--max_batch_size=" + batch,
        "--max_batch_wait_ms=" + settings.maxBatchWaitMs(), "--engine=" + settings.engine().id(),
        "--group_id=benchmark-serving-" + run,
        "--kafka_property=auto.offset.reset=latest",
        // The job's Kafka clients stamp when they poll a request and send its answer (this JVM: embedded Flink).
        "--kafka_property=interceptor.classes=" + RequestTimeline.KafkaStamps.class.getName(),
        "--bootstrap_servers=" + (settings.bootstrapServers() == null ? "" : settings.bootstrapServers()));
    double[] e2e = new double[requests];
    int answered;
    double throughput;
    Swaps swaps = null;
    String hops;
    String jobCpu;
    Latency kafkaAlone = null;
    try (ServeQA.Running job = ServeQA.start(options, new PrintStream(jobLog, true, StandardCharsets.UTF_8))) {
      String bootstrap = job.bootstrapServers();
      Map<String, Long> received = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      Thread consumerThread = new Thread(() -> consume(bootstrap, run, received, stop), "benchmark-consumer");
      consumerThread.setDaemon(true);
      consumerThread.start();
      try (KafkaProducer<String, String> producer = producer(bootstrap);
          RequestTimeline timeline = RequestTimeline.record(run + "req-")) {
        awaitFirstAnswer(producer, run, pairs, received, timeout);
        // Warm-up: sent at the offered rate too, and waited for, before anything is measured.
        String warmed = warmup.run(round -> {
          String prefix = run + "warm" + round + "-";
          send(producer, prefix, warmup.requests(), rate, pairs, round * warmup.requests());
          await(received, prefix, warmup.requests(), timeout);
        });
        log.println("warm-up through Kafka: " + warmed);
        long[] sent = new long[requests];
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread producerThread = new Thread(() -> {
          long[] s = send(producer, run + "req-", requests, rate, pairs, warmup.requests());
          System.arraycopy(s, 0, sent, 0, requests);
          sending.set(false);
        }, "benchmark-producer");
        List<long[]> windows = new ArrayList<>();
        Thread swapper = repository == null ? null : swapper(repository, settings.model(), job.model(),
            settings.swapEverySeconds(), sending, windows, log);
        Optional<ThreadCpu.Snapshot> cpuFrom = ThreadCpu.take();
        producerThread.start();
        if (swapper != null) {
          swapper.start();
        }
        producerThread.join();
        if (swapper != null) {
          swapper.join();
        }
        await(received, run + "req-", requests, timeout);
        jobCpu = ThreadCpu.describe(cpuFrom, ThreadCpu.take(), requests, CPU_TOP_THREADS);
        stop.set(true);
        consumerThread.join(5000);
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        answered = 0;
        List<Double> lat = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
          Long got = received.get(run + "req-" + i);
          first = Math.min(first, sent[i]);
          if (got != null) {
            answered++;
            last = Math.max(last, got);
            lat.add((got - sent[i]) / 1e6);
          }
        }
        e2e = lat.stream().mapToDouble(Double::doubleValue).toArray();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
          ids.add(run + "req-" + i);
        }
        hops = timeline.describe(ids);
        throughput = answered == 0 ? 0 : answered / ((last - first) / 1e9);
        if (repository != null) {
          double[] byRequest = new double[requests];
          for (int i = 0; i < requests; i++) {
            Long got = received.get(run + "req-" + i);
            byRequest[i] = got == null ? Double.NaN : (got - sent[i]) / 1e6;
          }
          swaps = Swaps.of(settings.swapEverySeconds(), windows, sent, byRequest);
        }
      }
      if (rate > 0) {
        // With the job running idle, as it was between the measured requests.
        List<String> payloads = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
          payloads.add(QaMessages.request(run + "echo-" + i, pairs.get(i)[0], pairs.get(i)[1]));
        }
        try {
          kafkaAlone = Latency.of(KafkaRoundTrip.measure(bootstrap, payloads, warmup.requests(), requests, rate,
              timeout));
        } catch (IOException e) {
          log.println("Kafka alone: not measured (" + e.getMessage() + ")");
        }
      }
    }
    // The bare model on the same inputs, after the job (and its threads) are gone.
    ServedModel answerer = SharedAnswerers.acquire(SharedAnswerers.Spec.exportFolder(settings.model(), batch,
        settings.engine(), RequestLimits.DEFAULTS));
    try {
      log.println("warm-up bare: " + warmup.run(round -> {
        for (int i = 0; i < warmup.requests(); i++) {
          String[] p = pairs.get((round * warmup.requests() + i) % pairs.size());
          answerer.answerAll(List.of(new QaAnswerer.Question("warm" + round + "-" + i, p[0], p[1])));
        }
      }));
      // Paced like the requests through Kafka: back to back, the model would run with caches and thread pools hot
      // that requests arriving at the offered rate find cold.
      double[] single = new double[requests];
      String bareHops;
      String bareCpu;
      try (RequestTimeline timeline = RequestTimeline.record(run + "bare-")) {
        List<String> ids = new ArrayList<>();
        Optional<ThreadCpu.Snapshot> cpuFrom = ThreadCpu.take();
        long paced = System.nanoTime();
        for (int i = 0; i < requests; i++) {
          awaitTurn(paced, i, rate);
          String[] p = pairs.get((warmup.requests() + i) % pairs.size());
          String id = run + "bare-" + i;
          ids.add(id);
          long t0 = System.nanoTime();
          RequestTimeline.stamp(id, RequestTimeline.Stage.MODEL_START, t0);
          answerer.answerAll(List.of(new QaAnswerer.Question(id, p[0], p[1])));
          long t1 = System.nanoTime();
          RequestTimeline.stamp(id, RequestTimeline.Stage.MODEL_END, t1);
          single[i] = (t1 - t0) / 1e6;
        }
        bareHops = timeline.describe(RequestTimeline.MODEL_RUN, ids);
        bareCpu = ThreadCpu.describe(cpuFrom, ThreadCpu.take(), requests, CPU_TOP_THREADS);
      }
      long t0 = System.nanoTime();
      for (int start = 0; start < requests; start += batch) {
        List<QaAnswerer.Question> qs = new ArrayList<>();
        for (int i = start; i < Math.min(requests, start + batch); i++) {
          String[] p = pairs.get((warmup.requests() + i) % pairs.size());
          qs.add(new QaAnswerer.Question("req-" + i, p[0], p[1]));
        }
        answerer.answerAll(qs);
      }
      double bareThroughput = requests / ((System.nanoTime() - t0) / 1e9);
      return new Report(requests, answered, rate, throughput, Latency.of(e2e), Latency.of(single), bareThroughput,
          batch, answerer.engine(), inputs.source(), swaps, hops, bareHops, kafkaAlone, jobCpu, bareCpu);
    } finally {
      SharedAnswerers.release(answerer);
    }
  }

  /**
   * A thread that, while {@code sending}, publishes {@code export} again every {@code everySeconds} and waits until
   * the job serves it, recording each swap window (nanoTime from publication to {@link #SWAP_WINDOW_TAIL} after the
   * swap); a replaced version's folder is deleted (the job never reads it again), so a long run does not fill the disk.
   */
  private static Thread swapper(ModelRepository repository, Path export, ServedModel served, double everySeconds,
      AtomicBoolean sending, List<long[]> windows, PrintStream log) {
    Thread t = new Thread(() -> {
      long period = (long) (everySeconds * 1e9);
      long next = System.nanoTime() + period;
      try {
        while (sending.get()) {
          if (System.nanoTime() < next) {
            sleep(10);
            continue;
          }
          long published = System.nanoTime();
          ModelRepository.Version v = repository.publishCopy(export, SWAP_EVALUATION);
          while (served.version() < v.number() && sending.get()) {
            sleep(5);
          }
          long swapped = System.nanoTime();
          synchronized (windows) {
            windows.add(new long[] {published, swapped + SWAP_WINDOW_TAIL.toNanos()});
          }
          log.printf(Locale.ROOT, "swap: version %d served %.0f ms after it was published%n", v.number(),
              (swapped - published) / 1e6);
          if (v.number() > 1 && served.version() == v.number()) {
            Directories.deleteRecursively(repository.version(v.number() - 1).dir());
          }
          next = published + period;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, "benchmark-swapper");
    t.setDaemon(true);
    return t;
  }

  /** Sends {@code n} requests at {@code rate} per second (0: unthrottled); returns each one's send time. */
  private static long[] send(KafkaProducer<String, String> producer, String prefix, int n, double rate,
      List<String[]> pairs, int offset) {
    long[] sent = new long[n];
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      awaitTurn(t0, i, rate);
      String[] p = pairs.get((offset + i) % pairs.size());
      String id = prefix + i;
      sent[i] = System.nanoTime();
      RequestTimeline.stamp(id, RequestTimeline.Stage.SENT, sent[i]);
      producer.send(new ProducerRecord<>("qa-requests", id, QaMessages.request(id, p[0], p[1])),
          (metadata, e) -> RequestTimeline.stamp(id, RequestTimeline.Stage.SENT_ACKED));
    }
    producer.flush();
    return sent;
  }

  /** Waits until request {@code i} is due at {@code rate} per second from {@code t0} (0: at once). */
  static void awaitTurn(long t0, int i, double rate) {
    if (rate <= 0) {
      return;
    }
    long due = t0 + (long) (i * 1e9 / rate);
    long now;
    while ((now = System.nanoTime()) < due) {
      long ms = (due - now) / 1_000_000;
      if (ms > 1) {
        sleep(ms - 1);
      } else {
        Thread.onSpinWait();
      }
    }
  }

  /** Stamps each answer to one of this run's requests as it arrives; answers written before it started are skipped. */
  private static void consume(String bootstrap, String run, Map<String, Long> received, AtomicBoolean stop) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "benchmark-answers-" + run);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p)) {
      c.subscribe(List.of("qa-answers"));
      while (!stop.get()) {
        // A poll returns as soon as an answer arrives, whatever its timeout; a 100 ms one measured the Kafka hops 1-3 ms
        // slower on a loaded machine (docs/benchmarks.md), so the client keeps the timeout its earlier figures had.
        ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(5));
        long now = System.nanoTime();
        for (ConsumerRecord<String, String> r : records) {
          if (r.key() != null && r.key().startsWith(run)) {
            received.putIfAbsent(r.key(), now);
            RequestTimeline.stamp(r.key(), RequestTimeline.Stage.RECEIVED, now);
          }
        }
      }
    }
  }

  static KafkaProducer<String, String> producer(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
    return new KafkaProducer<>(p);
  }

  /**
   * Sends a request every second until one is answered: then the job reads from where it started, and the answers
   * reader from where it did, so no request sent afterwards can fall before either (both start at the topics' ends).
   */
  private static void awaitFirstAnswer(KafkaProducer<String, String> producer, String run, List<String[]> pairs,
      Map<String, Long> received, Duration timeout) {
    String prefix = run + "ready-";
    long deadline = System.nanoTime() + timeout.toNanos();
    for (int i = 0; received.keySet().stream().noneMatch(k -> k.startsWith(prefix)); i++) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no answer from the job within " + timeout + ": is it reading "
            + "qa-requests and writing qa-answers on this cluster?");
      }
      String[] p = pairs.get(i % pairs.size());
      producer.send(new ProducerRecord<>("qa-requests", prefix + i, QaMessages.request(prefix + i, p[0], p[1])));
      producer.flush();
      sleep(1000);
    }
  }

  private static int count(Map<String, Long> received, String prefix, int n) {
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (received.containsKey(prefix + i)) {
        c++;
      }
    }
    return c;
  }

  private static void await(Map<String, Long> received, String prefix, int n, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (count(received, prefix, n) < n && System.nanoTime() < deadline) {
      sleep(20);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
