package electra.serving;

import electra.cli.UsageException;
import electra.infra.kafka.EmbeddedKafka;
import electra.beam.BeamJob;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.Read;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaUnboundedSources;
import org.apache.beam.sdk.options.StreamingOptions;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.metrics.prometheus.PrometheusReporterFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The {@code ServeQA} job: a Beam streaming pipeline (embedded Flink by default) that answers questions from Kafka.
 *
 * <pre>
 * qa-requests --KafkaIO--> validate, featurize, micro-batch, model, decode --KafkaIO--> qa-answers (key: id)
 *                                     \--> qa-errors (key: id or null): not JSON, missing/empty field, too long, ...
 * </pre>
 *
 * <p>The model is an export folder, or a model repository's model folder whose newest version is served and swapped
 * for newer ones between micro-batches without failing or holding up a request ({@link ServedModel}); each answer
 * names the version that gave it ({@code model_version}).
 *
 * <p>Delivery: Flink checkpoints every {@code --checkpointing_interval} ms (default: the Flink configuration's
 * {@code execution.checkpointing.interval}, else 2000) and the consumer group's
 * offsets are committed when a checkpoint completes. Bundles end before each checkpoint and the answers of a bundle
 * are flushed to Kafka then, so every request whose offset is committed has been answered: a job that is killed and
 * started again with the same {@code --group_id} answers every request at least once; requests after the last
 * checkpoint are answered again (same key, same answer). KafkaIO's transactional sink ({@code --exactly_once})
 * does not work on this runner yet and is refused (see docs/serving.md).
 */
public final class ServeQA extends BeamJob<ServeQaOptions> {

  /** System property that lets {@code --exactly_once} through, to re-test KafkaIO's EOS sink on a newer runner. */
  public static final String EXPERIMENTAL_EOS_PROPERTY = "electra.serving.experimentalEos";

  private final PrintStream out;

  public ServeQA() {
    this(System.out);
  }

  public ServeQA(PrintStream out) {
    super(ServeQaOptions.class);
    this.out = out;
  }

  @Override
  public String name() {
    return "ServeQA";
  }

  @Override
  public String description() {
    return "streaming question answering: Kafka qa-requests -> Flink -> qa-answers (errors on qa-errors)";
  }

  @Override
  protected String examples() {
    return "  ./electra ServeQA --model=/tmp/qa-export            (in-process Kafka broker, embedded Flink)\n"
        + "  ./electra ServeQA --model=/tmp/models/tiny-qa --poll_interval_s=10   (a model repository: the newest "
        + "version, swapped for newer ones)\n"
        + "  ./electra ServeQA --model=/tmp/models/tiny-qa --model_version=3      (pinned: version 3 only)\n"
        + "  ./electra ServeQA --model=/tmp/qa-export --bootstrap_servers=kafka:9092 --group_id=qa "
        + "--kafka_property=security.protocol=SASL_SSL --checkpointing_interval=5000\n"
        + "  ./electra ServeQA --model=/tmp/qa-export --bootstrap_servers=kafka:9092 --metrics_port=9249   "
        + "(Prometheus: http://<host>:9249/metrics)\n"
        + "  ./electra ServeQA --model=/tmp/qa-export --bootstrap_servers=kafka:9092 --group_id=replay "
        + "--from_beginning   (a new group that answers the topic's whole history)\n";
  }

  @Override
  protected String runnerFlagDefault(String flag) {
    return switch (flag) {
      case "parallelism" -> "1";
      case "checkpointing_interval" -> "the Flink configuration's " + FLINK_CHECKPOINTING_INTERVAL + ", else "
          + DEFAULT_CHECKPOINTING_INTERVAL_MS;
      default -> null;
    };
  }

  @Override
  protected void run(ServeQaOptions options) throws Exception {
    try (Running running = start(options, out)) {
      Runtime.getRuntime().addShutdownHook(new Thread(running::close, "serve-qa-shutdown"));
      if (inThisProcess(options)) {
        // A new consumer group starts at the topic's end: say "running" once requests sent from now on are read
        // (under `flink run`, [auto] is a cluster whose readers this process never sees: then after a minute).
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!running.awaitReady(Duration.ofSeconds(1)) && !running.hasEnded() && System.nanoTime() < deadline) {
          // waiting for the Kafka reader's start
        }
      }
      out.println("ServeQA is running; Ctrl-C stops it");
      running.awaitTermination();
    }
  }

  /** A started job and, without {@code --bootstrap_servers}, the broker it started. */
  public static final class Running implements AutoCloseable {
    private final PipelineResult result;
    private final String job;
    private final EmbeddedKafka kafka;
    private final String bootstrapServers;
    private final ServedModel preloaded;
    private boolean closed;

    Running(PipelineResult result, String job, EmbeddedKafka kafka, String bootstrapServers, ServedModel preloaded) {
      this.result = result;
      this.job = job;
      this.kafka = kafka;
      this.bootstrapServers = bootstrapServers;
      this.preloaded = preloaded;
    }

    public String bootstrapServers() {
      return bootstrapServers;
    }

    public PipelineResult result() {
      return result;
    }

    /** The model this process serves (the DoFns of the embedded runner share it). */
    public ServedModel model() {
      return preloaded;
    }

    /**
     * Waits until the job is ready (model loaded, a Kafka reader started on its partitions): requests sent after
     * this are read even by a new consumer group, which starts at the topic's end. Embedded Flink only (the readers
     * of a cluster run in other processes); false when {@code timeout} passed first.
     */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
      return Readiness.await(job, timeout);
    }

    /** The partitions ({@code topic-partition}) the job's Kafka readers in this process started on, sorted. */
    public Set<String> readerPartitions() {
      return Readiness.partitions(job);
    }

    /** Whether the job has stopped (failed or cancelled). */
    public boolean hasEnded() {
      try {
        return result.getState().isTerminal();
      } catch (IllegalStateException e) {
        return true; // the local cluster is gone
      }
    }

    /** Blocks until the job ends (it does not, unless cancelled or failed). */
    public void awaitTermination() {
      try {
        result.waitUntilFinish();
      } catch (IllegalStateException e) {
        // the local cluster is gone: the job was cancelled (Beam's detached local result says so this way)
      }
    }

    /**
     * Cancels the job the way a crash would end it, as far as Kafka can tell: no final checkpoint, so requests
     * after the last completed checkpoint are read again by the next job of the same group.
     */
    public synchronized void cancel() {
      if (closed) {
        return;
      }
      // Embedded runner: let the readers leave Kafka's reader first, which logs an interrupt during its wait as an
      // unexpected warning with a stack trace (it waits at most 20 ms at a time).
      IdleMarkingSource.quiesce(job);
      sleep(100);
      try {
        result.cancel();
      } catch (IOException | RuntimeException e) {
        // already gone
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        try {
          PipelineResult.State s = result.getState();
          if (s.isTerminal()) {
            break;
          }
        } catch (IllegalStateException e) {
          break; // MiniCluster shut down: cancelled
        }
        sleep(100);
      }
      IdleMarkingSource.release(job);
      Readiness.forget(job);
    }

    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      cancel();
      closed = true;
      SharedAnswerers.release(preloaded);
      if (kafka != null) {
        kafka.close();
      }
    }
  }

  /** How long brokers given by address may take to answer before ServeQA gives up. */
  static final Duration BROKER_TIMEOUT = Duration.ofSeconds(20);

  /** Starts the job (and, when no brokers are given, a broker with the topics) and returns once it runs. */
  public static Running start(ServeQaOptions options, PrintStream out) throws IOException {
    if (options.getMaxBatchSize() < 1 || options.getMaxBatchWaitMs() < 1) {
      throw new UsageException("--max_batch_size and --max_batch_wait_ms must be at least 1");
    }
    RequestLimits limits;
    try {
      limits = new RequestLimits(options.getMaxQuestionChars(), options.getMaxQuestionTokens(),
          options.getMaxContextChars(), options.getMaxWindows());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    if (options.getExactlyOnce() && !Boolean.getBoolean(EXPERIMENTAL_EOS_PROPERTY)) {
      throw new UsageException("--exactly_once does not work on this runner yet: KafkaIO's exactly-once sink "
          + "(Beam 2.62, Flink 1.19 runner) fails its checkpoints on Java 17 without --add-opens java.base/java.util,"
          + " and with it fails every transaction after a task restart ('Invalid transition attempted from state "
          + "IN_TRANSACTION to state IN_TRANSACTION'), losing answers. ServeQA delivers at least once; answers are "
          + "keyed by request id (see docs/serving.md)");
    }
    Map<String, Object> properties = kafkaProperties(options.getKafkaProperty());
    if (options.getBootstrapServers() != null && !options.getBootstrapServers().isBlank()) {
      requireBroker(options.getBootstrapServers(), properties, BROKER_TIMEOUT);
    }
    if (options.getPollIntervalS() < 1 || options.getModelVersion() < 0) {
      throw new UsageException("--poll_interval_s must be at least 1 and --model_version at least 0 (0: the newest)");
    }
    Path modelDir = Path.of(options.getModel()).toAbsolutePath().normalize();
    SharedAnswerers.Spec spec = new SharedAnswerers.Spec(modelDir, options.getModelVersion(),
        Duration.ofSeconds(options.getPollIntervalS()), options.getMaxBatchSize(), options.getEngine(), limits);
    // Load (and check) the model before anything starts; in embedded mode the workers share this instance.
    ServedModel preloaded;
    try {
      preloaded = SharedAnswerers.acquire(spec);
    } catch (RuntimeException e) {
      throw new UsageException("--model " + options.getModel() + ": " + e.getMessage());
    }
    if (preloaded.version() < 0) {
      out.println("ServeQA: " + modelDir + " has no version yet" + (Files.isDirectory(modelDir) ? "" : " (the folder "
          + "does not exist yet)") + "; waiting for ExportModel --models to publish one, looking every "
          + options.getPollIntervalS() + " s");
      try {
        preloaded.awaitFirstVersion();
      } catch (RuntimeException e) {
        SharedAnswerers.release(preloaded);
        throw e;
      }
    }
    EmbeddedKafka kafka = null;
    try {
      String bootstrap = options.getBootstrapServers();
      if (bootstrap == null || bootstrap.isBlank()) {
        kafka = EmbeddedKafka.builder().port(options.getEmbeddedKafkaPort()).start();
        kafka.createTopics(options.getRequestsTopic(), options.getAnswersTopic(), options.getErrorsTopic());
        bootstrap = kafka.bootstrapServers();
        out.println("started a Kafka broker in this process on " + bootstrap + " with topics "
            + List.of(options.getRequestsTopic(), options.getAnswersTopic(), options.getErrorsTopic()));
      }
      configureRunner(options);
      String modelName = options.getModelName() != null ? options.getModelName()
          : String.valueOf(modelDir.getFileName());
      Pipeline p = Pipeline.create(options);
      String job = UUID.randomUUID().toString();
      build(p, options, bootstrap, kafka != null, properties, spec, modelName, job);
      PipelineResult result = p.run();
      out.println("ServeQA: " + options.getRequestsTopic() + " -> " + options.getAnswersTopic() + " (errors: "
          + options.getErrorsTopic() + ") on " + bootstrap + ", model " + modelDir + " (" + preloaded.engine().id()
          + (preloaded.version() == ServedModel.EXPORT_FOLDER_VERSION ? "" : ", version " + preloaded.version()
          + (options.getModelVersion() > 0 ? ", pinned" : ", newer versions every " + options.getPollIntervalS()
          + " s")) + "), group "
          + options.getGroupId() + (options.getExactlyOnce() ? ", exactly-once sink" : ", at-least-once"));
      if (options.getMetricsPort() > 0) {
        out.println("metrics: http://127.0.0.1:" + options.getMetricsPort() + "/metrics (Prometheus)");
      }
      out.println("ask it: " + askCommand(bootstrap, options));
      return new Running(result, job, kafka, bootstrap, preloaded);
    } catch (RuntimeException e) {
      SharedAnswerers.release(preloaded);
      if (kafka != null) {
        kafka.close();
      }
      throw e;
    }
  }

  /** The checkpoint interval when neither the command line nor the Flink configuration gives one, in ms. */
  static final long DEFAULT_CHECKPOINTING_INTERVAL_MS = 2000;

  /** The Flink configuration key of the checkpoint interval (flink-conf.yaml / config.yaml). */
  static final String FLINK_CHECKPOINTING_INTERVAL = "execution.checkpointing.interval";

  /**
   * The {@code --checkpointing_interval} to hand to Beam's runner: the command line's when it gives one; else -1
   * (Beam's "not set", so that the interval of the Flink configuration applies) when the Flink configuration has one;
   * else
   * {@link #DEFAULT_CHECKPOINTING_INTERVAL_MS}: the job must checkpoint, as offsets are committed with checkpoints.
   */
  static long checkpointingInterval(Long commandLine, Configuration flinkConfiguration) {
    if (commandLine != null && commandLine > 0) {
      return commandLine;
    }
    return flinkConfiguration.containsKey(FLINK_CHECKPOINTING_INTERVAL) ? -1 : DEFAULT_CHECKPOINTING_INTERVAL_MS;
  }

  /**
   * The Flink configuration Beam's runner starts from: {@code --flink_conf_dir}'s, else {@code $FLINK_CONF_DIR}'s,
   * else none (as {@code FlinkExecutionEnvironments} loads it).
   */
  static Configuration flinkConfiguration(FlinkPipelineOptions flink) {
    String dir = flink.getFlinkConfDir();
    return dir == null || dir.isEmpty() ? GlobalConfiguration.loadConfiguration()
        : GlobalConfiguration.loadConfiguration(dir);
  }

  /**
   * The shortest bundle, in ms. Each of the job's steps checks twice a bundle's length whether its bundle is due to end
   * (Beam's Flink runner, a timer per step): with 10 ms bundles that is a thousand wake-ups a second, which take CPU
   * from the model on a small machine. Micro-batches do not wait for bundles ({@link MicroBatcher} bounds the wait);
   * a bundle's end flushes the answers' producers and reports the metrics.
   */
  static final long MIN_BUNDLE_MILLIS = 100;

  /** How long the runner's bundles last: {@code --max_batch_wait_ms}, at least {@link #MIN_BUNDLE_MILLIS}. */
  static long bundleMillis(int maxBatchWaitMs) {
    return Math.max(maxBatchWaitMs, MIN_BUNDLE_MILLIS);
  }

  /** Streaming on Flink with checkpoints. */
  static void configureRunner(ServeQaOptions options) throws IOException {
    options.as(StreamingOptions.class).setStreaming(true);
    if (options.getRunner().getSimpleName().equals("FlinkRunner")) {
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      Configuration configuration = flinkConfiguration(flink);
      flink.setCheckpointingInterval(checkpointingInterval(flink.getCheckpointingInterval(), configuration));
      if (options.getMetricsPort() > 0) {
        exportMetrics(flink, configuration, options.getMetricsPort());
      }
      if (flink.getParallelism() == null || flink.getParallelism() <= 0) {
        flink.setParallelism(1);
      }
      if (flink.getAutoWatermarkInterval() == null) {
        // Answers need no event time: a slow watermark tick instead of the source reader's 10 ms default (and its
        // warning), which only costs CPU next to the model.
        flink.setAutoWatermarkInterval(1000L);
      }
      flink.setMaxBundleSize((long) options.getMaxBatchSize());
      flink.setMaxBundleTimeMills(bundleMillis(options.getMaxBatchWaitMs()));
      // Emit a bundle's answers downstream (and flush them to Kafka) before the checkpoint barrier, instead of
      // keeping them in operator state: then a committed offset means a written answer, even for a fresh restart.
      flink.setFinishBundleBeforeCheckpointing(true);
      flink.setShutdownSourcesAfterIdleMs(Long.MAX_VALUE);
      // run() returns while the job runs; cancel() works on the embedded cluster too.
      flink.setAttachedMode(false);
      flink.setJobCheckIntervalInSecs(1);
    }
  }

  /**
   * Adds Flink's Prometheus reporter on {@code port} to the embedded cluster's configuration: Beam's runner reads its
   * configuration from a folder only, so the configuration it would have read, plus the reporter, is written to a
   * temporary folder that {@code --flink_conf_dir} then names. Beam's metrics reach the reporter as Flink metrics.
   */
  static void exportMetrics(FlinkPipelineOptions flink, Configuration configuration, int port) throws IOException {
    if (!inThisProcess(flink)) {
      throw new UsageException("--metrics_port works with the embedded Flink only; on a cluster (--flink_master="
          + flink.getFlinkMaster() + ") set the Prometheus reporter in the cluster's Flink configuration "
          + "(metrics.reporter.prom.factory.class: " + PrometheusReporterFactory.class.getName() + ", metrics.reporter.prom.port: ...)");
    }
    try (ServerSocket probe = new ServerSocket(port)) {
      probe.setReuseAddress(true);
    } catch (IOException e) {
      throw new UsageException("--metrics_port=" + port + " is in use (" + e.getMessage() + "); pick another port, "
          + "or 0 for no metrics endpoint");
    }
    Configuration withReporter = new Configuration(configuration);
    withReporter.setString("metrics.reporter.prom.factory.class", PrometheusReporterFactory.class.getName());
    withReporter.setString("metrics.reporter.prom.port", String.valueOf(port));
    Path dir = Files.createTempDirectory("serve-qa-flink-conf");
    Path file = dir.resolve(GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME);
    StringBuilder lines = new StringBuilder();
    withReporter.toMap().forEach((key, value) -> lines.append(key).append(": ").append(value).append('\n'));
    Files.writeString(file, lines);
    dir.toFile().deleteOnExit();
    file.toFile().deleteOnExit();
    flink.setFlinkConfDir(dir.toString());
  }

  /** Whether the job runs in this JVM: the embedded Flink ({@code [auto]}, {@code [local]}) or Beam's DirectRunner. */
  static boolean inThisProcess(ServeQaOptions options) {
    return !options.getRunner().getSimpleName().equals("FlinkRunner")
        || inThisProcess(options.as(FlinkPipelineOptions.class));
  }

  private static boolean inThisProcess(FlinkPipelineOptions flink) {
    String master = flink.getFlinkMaster();
    return master == null || master.equals("[auto]") || master.equals("[local]");
  }

  /** {@code job}: this job's token for {@link IdleMarkingSource#quiesce}. */
  static void build(Pipeline p, ServeQaOptions o, String bootstrap, boolean freshTopics,
      Map<String, Object> properties, SharedAnswerers.Spec model, String modelName, String job) {
    Map<String, Object> consumer = consumerProperties(properties, o.getGroupId(),
        offsetReset(o.getFromBeginning(), freshTopics));
    // Null keys and values (tombstones) are legal in Kafka; they get an error answer rather than a coder failure.
    Coder<byte[]> bytes = NullableCoder.of(ByteArrayCoder.of());
    KafkaIO.Read<byte[], byte[]> requests = KafkaIO.<byte[], byte[]>read()
        .withBootstrapServers(bootstrap)
        .withTopic(o.getRequestsTopic())
        .withKeyDeserializerAndCoder(ByteArrayDeserializer.class, bytes)
        .withValueDeserializerAndCoder(ByteArrayDeserializer.class, bytes)
        .withConsumerConfigUpdates(consumer)
        .commitOffsetsInFinalize();
    PCollectionTuple results = p
        .apply("ReadRequests", Read.from(new IdleMarkingSource(KafkaUnboundedSources.of(requests), job)))
        .apply("Answer", ParDo.of(new AnswerRequestsFn(model, Duration.ofMillis(o.getMaxBatchWaitMs()), modelName,
                job))
            .withOutputTags(AnswerRequestsFn.ANSWERS, TupleTagList.of(AnswerRequestsFn.ERRORS)));
    PCollection<KV<String, String>> answers = results.get(AnswerRequestsFn.ANSWERS)
        .setCoder(KvCoder.of(StringUtf8Coder.of(), StringUtf8Coder.of()));
    PCollection<KV<String, String>> errors = results.get(AnswerRequestsFn.ERRORS)
        .setCoder(KvCoder.of(NullableCoder.of(StringUtf8Coder.of()), StringUtf8Coder.of()));
    KafkaIO.Write<String, String> answerSink = sink(bootstrap, o.getAnswersTopic(), properties);
    if (o.getExactlyOnce()) {
      answerSink = answerSink.withEOS(1, o.getGroupId() + "-answers-sink");
    }
    answers.apply("WriteAnswers", answerSink);
    errors.apply("WriteErrors", sink(bootstrap, o.getErrorsTopic(), properties));
  }

  /**
   * Where a consumer group with no committed offsets starts: at the topic's end, so that a first deploy does not
   * answer the topic's whole history; at its beginning with {@code --from_beginning}, or when this process created
   * the topic (the in-process broker), where a request sent while the job was starting is not history.
   */
  static String offsetReset(boolean fromBeginning, boolean freshTopics) {
    return fromBeginning || freshTopics ? "earliest" : "latest";
  }

  private static KafkaIO.Write<String, String> sink(String bootstrap, String topic, Map<String, Object> properties) {
    return KafkaIO.<String, String>write()
        .withBootstrapServers(bootstrap)
        .withTopic(topic)
        .withKeySerializer(StringSerializer.class)
        .withValueSerializer(StringSerializer.class)
        .withProducerConfigUpdates(producerProperties(properties));
  }

  /**
   * The settings of the job's Kafka consumer: {@code --kafka_property}'s consumer settings, the group, offsets
   * committed with checkpoints only, and {@code fetch.min.bytes=1} unless given: the broker answers a fetch as soon
   * as one request is there instead of holding it for up to {@code fetch.max.wait.ms} to gather more bytes.
   */
  static Map<String, Object> consumerProperties(Map<String, Object> properties, String groupId, String offsetReset) {
    Map<String, Object> consumer = forClient(properties, ConsumerConfig.configNames(), ProducerConfig.configNames());
    consumer.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    consumer.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, offsetReset);
    consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    consumer.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
    return consumer;
  }

  /**
   * The settings of the job's Kafka producers: {@code --kafka_property}'s producer settings, and {@code linger.ms=0}
   * unless given, so that an answer leaves as soon as it is handed over instead of waiting for others to share its
   * batch (kafka-clients 4 waits 5 ms by default). Answers come a micro-batch at a time anyway, and KafkaIO flushes
   * its producer at the end of every bundle.
   */
  static Map<String, Object> producerProperties(Map<String, Object> properties) {
    Map<String, Object> producer = forClient(properties, ProducerConfig.configNames(), ConsumerConfig.configNames());
    producer.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
    return producer;
  }

  /** A ready-to-paste {@code ./electra Ask} line for this job's brokers and topics. */
  static String askCommand(String bootstrap, ServeQaOptions options) {
    QaClient.Topics t = QaClient.Topics.DEFAULTS;
    return "./electra Ask --bootstrap_servers=" + bootstrap
        + (options.getRequestsTopic().equals(t.requests()) ? "" : " --requests_topic=" + options.getRequestsTopic())
        + (options.getAnswersTopic().equals(t.answers()) ? "" : " --answers_topic=" + options.getAnswersTopic())
        + (options.getErrorsTopic().equals(t.errors()) ? "" : " --errors_topic=" + options.getErrorsTopic())
        + " --question=\"What food does Harry like?\" --context=\"My name is Harry and I grew up in Canada. I love "
        + "apples.\"";
  }

  /**
   * The {@code --kafka_property} entries one kind of client takes: all but those only the other kind knows (a
   * consumer's {@code auto.offset.reset} is no producer setting, and Kafka would log it as unused). Shared settings
   * (security, SASL) and names Kafka does not know (a plug-in's) go to both.
   */
  static Map<String, Object> forClient(Map<String, Object> properties, Set<String> known, Set<String> otherKnown) {
    Map<String, Object> out = new LinkedHashMap<>();
    properties.forEach((key, value) -> {
      if (known.contains(key) || !otherKnown.contains(key)) {
        out.put(key, value);
      }
    });
    return out;
  }

  /**
   * Stops with one line when no broker answers at {@code bootstrap}: Kafka's clients would retry quietly forever, and
   * the job would look healthy while it reads nothing.
   */
  static void requireBroker(String bootstrap, Map<String, Object> properties, Duration timeout)
      throws IOException {
    Set<String> clientOnly = new HashSet<>(ConsumerConfig.configNames());
    clientOnly.addAll(ProducerConfig.configNames());
    Map<String, Object> config = forClient(properties, AdminClientConfig.configNames(), clientOnly);
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    try (Admin admin = Admin.create(config)) {
      admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new ConnectException("no Kafka broker answered at " + bootstrap + " within " + timeout.toSeconds()
          + " s; check --bootstrap_servers (and --kafka_property for a secured cluster), or leave it out to start"
          + " a broker in this process");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while looking for a Kafka broker at " + bootstrap);
    }
  }

  /** {@code key=value} entries (already split at commas by Beam) as client properties. */
  static Map<String, Object> kafkaProperties(List<String> entries) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (entries == null) {
      return out;
    }
    for (String entry : entries) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq <= 0) {
        throw new UsageException("--kafka_property must be key=value, got '" + entry + "'");
      }
      out.put(entry.substring(0, eq).trim(), entry.substring(eq + 1).trim());
    }
    return out;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
