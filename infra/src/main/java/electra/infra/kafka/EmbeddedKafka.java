package electra.infra.kafka;

import electra.cli.Directories;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.utils.Time;

/**
 * A real single-node Kafka cluster in this JVM: one KRaft process that is both broker and controller
 * ({@code process.roles=broker,controller}), listening on loopback only.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *   kafka.createTopics("qa-requests", "qa-answers", "qa-errors");
 *   String bootstrap = kafka.bootstrapServers();   // "127.0.0.1:PORT"
 * }
 * }</pre>
 *
 * <p>The broker is configured for exactly-once on one node (transaction and offsets topics with replication
 * factor 1 and min ISR 1, no initial rebalance delay), so transactional producers and {@code read_committed}
 * consumers work. Free ports are chosen unless given. The log directory is a temporary one, deleted on
 * {@link #close()}, unless the caller names one: that one is kept, and a later start on it finds the same
 * cluster with its topics and messages.
 *
 * <p>Kafka's loggers are turned down (the broker core and controller to errors, {@code org.apache.kafka} to
 * warnings) when slf4j-simple is the binding and neither a system property nor {@code simplelogger.properties}
 * sets them already.
 */
public final class EmbeddedKafka implements AutoCloseable {

  /** The address the broker binds to and advertises. */
  public static final String HOST = "127.0.0.1";

  private static final int NODE_ID = 1;

  /**
   * Log dirs (real paths) of the brokers running in this JVM. Kafka's own lock cannot protect a dir within one
   * process: in combined mode the controller opens the metadata log before the broker takes the lock, so a second
   * broker on the same dir disturbs the first one before it fails. And probing a lock file that this JVM already
   * holds would release that lock (POSIX locks belong to the process and go with any close of the file).
   */
  private static final Set<Path> RUNNING_DIRS = ConcurrentHashMap.newKeySet();
  private static final int BIND_ATTEMPTS = 3;

  private final KafkaRaftServer server;
  private final Admin admin;
  private final Path logDir;
  private final Path claimedDir;
  private final boolean deleteLogDir;
  private final String clusterId;
  private final int port;
  private final int controllerPort;
  private final int defaultPartitions;
  private final Duration timeout;
  private boolean closed;

  private EmbeddedKafka(KafkaRaftServer server, Admin admin, Path logDir, Path claimedDir, boolean deleteLogDir,
      String clusterId, int port, int controllerPort, int defaultPartitions, Duration timeout) {
    this.server = server;
    this.admin = admin;
    this.logDir = logDir;
    this.claimedDir = claimedDir;
    this.deleteLogDir = deleteLogDir;
    this.clusterId = clusterId;
    this.port = port;
    this.controllerPort = controllerPort;
    this.defaultPartitions = defaultPartitions;
    this.timeout = timeout;
  }

  /** Starts a broker with the defaults: free ports, a temporary log dir, one partition per new topic. */
  public static EmbeddedKafka start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code 127.0.0.1:PORT}, the value for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The client (PLAINTEXT) port. */
  public int port() {
    return port;
  }

  /** The KRaft controller port (clients never need it). */
  public int controllerPort() {
    return controllerPort;
  }

  /** Where the broker keeps its data (the metadata log and every topic). */
  public Path logDir() {
    return logDir;
  }

  /** Whether {@link #close()} deletes {@link #logDir()} (true for the temporary default, false for a given one). */
  public boolean deletesLogDirOnClose() {
    return deleteLogDir;
  }

  public String clusterId() {
    return clusterId;
  }

  /** Creates the topics that do not exist yet, with the builder's partition count; see {@link #createTopics(int, String...)}. */
  public void createTopics(String... names) {
    createTopics(defaultPartitions, names);
  }

  /**
   * Creates the topics that do not exist yet, with {@code partitions} partitions and replication factor 1, and
   * returns once every partition of every named topic has a leader (so producing right away does not hit
   * "unknown topic" retries). Topics that already exist are left as they are, whatever their partition count.
   */
  public void createTopics(int partitions, String... names) {
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    List<String> topics = Arrays.asList(names);
    topics.forEach(t -> {
      if (t == null || t.isBlank()) {
        throw new IllegalArgumentException("topic names must not be empty: " + topics);
      }
    });
    if (topics.isEmpty()) {
      return;
    }
    CreateTopicsResult result = admin.createTopics(
        topics.stream().distinct().map(t -> new NewTopic(t, partitions, (short) 1)).toList());
    for (Map.Entry<String, ? extends java.util.concurrent.Future<Void>> e : result.values().entrySet()) {
      try {
        e.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (ExecutionException ex) {
        if (!(ex.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException("could not create topic " + e.getKey() + ": " + ex.getCause(), ex.getCause());
        }
      } catch (TimeoutException | InterruptedException ex) {
        interruptIf(ex);
        throw new IllegalStateException("timed out creating topic " + e.getKey(), ex);
      }
    }
    awaitLeaders(topics);
  }

  /** The topics on the broker, without Kafka's internal ones. */
  public List<String> topics() {
    try {
      return admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).stream().sorted().toList();
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      interruptIf(e);
      throw new IllegalStateException("could not list topics on " + bootstrapServers() + ": " + e, e);
    }
  }

  /** The partition count of each named topic that exists. */
  public Map<String, Integer> partitions(String... names) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (String name : names) {
      try {
        TopicDescription d = admin.describeTopics(List.of(name)).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(name);
        counts.put(name, d.partitions().size());
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("could not describe topic " + name + ": " + e.getCause(), e.getCause());
        }
      } catch (TimeoutException | InterruptedException e) {
        interruptIf(e);
        throw new IllegalStateException("timed out describing topic " + name, e);
      }
    }
    return counts;
  }

  private void awaitLeaders(Collection<String> topics) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (System.nanoTime() < deadline) {
      try {
        Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        boolean ready = described.values().stream().flatMap(d -> d.partitions().stream())
            .map(TopicPartitionInfo::leader).allMatch(l -> l != null && !l.isEmpty());
        if (ready && described.keySet().containsAll(topics)) {
          return;
        }
      } catch (ExecutionException e) {
        last = e.getCause();
      } catch (TimeoutException | InterruptedException e) {
        interruptIf(e);
        last = e;
      }
      sleep(20);
    }
    throw new IllegalStateException("topics " + topics + " got no leader within " + timeout.toSeconds() + " s", last);
  }

  /**
   * Shuts the broker down (controlled shutdown, then every broker and controller thread joined) and deletes the
   * temporary log dir. A given log dir is kept. Calling it again does nothing.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      admin.close(Duration.ofSeconds(1));
    } finally {
      try {
        server.shutdown();
        server.awaitShutdown();
      } finally {
        if (deleteLogDir) {
          deleteQuietly(logDir);
        }
        RUNNING_DIRS.remove(claimedDir);
      }
    }
  }

  @Override
  public String toString() {
    return "EmbeddedKafka[" + bootstrapServers() + ", log dir " + logDir + "]";
  }

  /** The port is taken by another process (or another broker in this JVM). */
  public static final class PortInUseException extends IllegalStateException {
    private final int port;

    PortInUseException(String what, int port, Throwable cause) {
      super(what + " port " + port + " on " + HOST + " is already in use"
          + (port == 9092 ? " (is another Kafka running?)" : "") + "; choose another one, or 0 for any free port",
          cause);
      this.port = port;
    }

    public int port() {
      return port;
    }
  }

  /** Another broker, in this process or another, is running on the kept log dir. */
  public static final class LogDirInUseException extends IllegalStateException {
    private final Path logDir;

    LogDirInUseException(Path logDir, Throwable cause) {
      super("the Kafka log dir " + logDir + " is in use by another running broker", cause);
      this.logDir = logDir;
    }

    public Path logDir() {
      return logDir;
    }
  }

  /** How to start the broker; every setting has a default. */
  public static final class Builder {
    private int port;
    private int controllerPort;
    private Path logDir;
    private int partitions = 1;
    private Duration timeout = Duration.ofSeconds(60);
    private final Map<String, String> overrides = new LinkedHashMap<>();

    private Builder() {}

    /** The client port; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = checkPort(port, "port");
      return this;
    }

    /** The KRaft controller port; 0 (the default) picks a free one. */
    public Builder controllerPort(int controllerPort) {
      this.controllerPort = checkPort(controllerPort, "controller port");
      return this;
    }

    /**
     * Keeps the data in {@code dir} (created if missing) and leaves it there on close; a broker started later on
     * the same dir has the same cluster id, topics and messages. Null (the default) means a temporary dir,
     * deleted on close.
     */
    public Builder logDir(Path dir) {
      this.logDir = dir;
      return this;
    }

    /** Partitions of topics made by {@link EmbeddedKafka#createTopics(String...)} and by auto-creation (default 1). */
    public Builder partitions(int partitions) {
      if (partitions < 1) {
        throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
      }
      this.partitions = partitions;
      return this;
    }

    /** How long start-up and admin calls may take (default 60 s). */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** Sets (or overrides) one broker setting, e.g. {@code auto.create.topics.enable=false}. */
    public Builder brokerProperty(String key, String value) {
      overrides.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Formats the log dir if it is new and starts the broker; returns once it answers a {@code describeCluster}.
     *
     * @throws PortInUseException when a given port is taken
     * @throws LogDirInUseException when another broker runs on the given log dir
     * @throws IllegalArgumentException when the given log dir is a file, or a non-empty folder that is not a
     *     Kafka log dir (see {@link EmbeddedKafka#checkLogDir(Path)})
     * @throws IllegalStateException when the broker cannot start for another reason
     */
    public EmbeddedKafka start() {
      quietBrokerLogs();
      boolean temporary = logDir == null;
      Path dir;
      try {
        dir = temporary ? Files.createTempDirectory("electra-kafka-") : Files.createDirectories(logDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the Kafka log dir " + logDir, e);
      }
      Path claimed = claim(dir);
      try {
        return startIn(dir.toAbsolutePath(), claimed, temporary);
      } catch (RuntimeException | Error e) {
        RUNNING_DIRS.remove(claimed);
        if (temporary) {
          deleteQuietly(dir);
        }
        throw e;
      }
    }

    /** Reserves {@code dir} for this broker, or says who has it. */
    private static Path claim(Path dir) {
      Path real;
      try {
        real = dir.toRealPath();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot resolve the Kafka log dir " + dir, e);
      }
      if (!RUNNING_DIRS.add(real)) {
        throw new LogDirInUseException(dir.toAbsolutePath(), null);
      }
      // Another process: a running broker holds the .lock file in its log dir.
      Path kafkaLock = real.resolve(".lock");
      if (Files.exists(kafkaLock)) {
        try (FileChannel channel = FileChannel.open(kafkaLock, StandardOpenOption.WRITE)) {
          FileLock lock = channel.tryLock();
          if (lock == null) {
            RUNNING_DIRS.remove(real);
            throw new LogDirInUseException(dir.toAbsolutePath(), null);
          }
          lock.release();
        } catch (IOException e) {
          RUNNING_DIRS.remove(real);
          throw new UncheckedIOException("cannot check the lock of the Kafka log dir " + dir, e);
        }
      }
      return real;
    }

    private EmbeddedKafka startIn(Path dir, Path claimed, boolean temporary) {
      if (!temporary) {
        checkLogDir(dir);
      }
      String clusterId = existingClusterId(dir);
      boolean formatted = clusterId != null;
      if (clusterId == null) {
        clusterId = Uuid.randomUuid().toString();
      }
      boolean anyPort = port == 0 || controllerPort == 0;
      for (int attempt = 1; ; attempt++) {
        int clientPort = port != 0 ? requireFree(port, "Kafka") : freePort();
        int quorumPort = controllerPort != 0 ? requireFree(controllerPort, "Kafka controller") : freePort(clientPort);
        Properties props = brokerProperties(dir, clientPort, quorumPort);
        if (!formatted) {
          format(dir, clusterId, props);
          formatted = true;
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        try {
          server.startup();
        } catch (RuntimeException e) {
          stopQuietly(server);
          if (isBindFailure(e)) {
            if (anyPort && attempt < BIND_ATTEMPTS) {
              continue; // a free port was taken between choosing it and binding it
            }
            int busy = boundPort(e, clientPort);
            throw new PortInUseException(busy == quorumPort ? "Kafka controller" : "Kafka", busy, e);
          }
          if (causes(e).anyMatch(c -> String.valueOf(c.getMessage()).startsWith("Failed to acquire lock"))) {
            // a broker in another process that took the lock after claim() looked
            throw new LogDirInUseException(dir, e);
          }
          throw new IllegalStateException("the Kafka broker did not start: " + e, e);
        }
        Admin admin = null;
        try {
          admin = Admin.create(Map.of(
              AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + clientPort,
              AdminClientConfig.CLIENT_ID_CONFIG, "electra-embedded-kafka-admin",
              AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
              AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis())));
          awaitBroker(admin, clusterId, clientPort);
          return new EmbeddedKafka(server, admin, dir, claimed, temporary, clusterId, clientPort, quorumPort,
              partitions, timeout);
        } catch (RuntimeException | Error e) {
          if (admin != null) {
            admin.close(Duration.ZERO);
          }
          stopQuietly(server);
          throw e;
        }
      }
    }

    private Properties brokerProperties(Path dir, int clientPort, int quorumPort) {
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", Integer.toString(NODE_ID));
      p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + quorumPort);
      p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":" + quorumPort);
      p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
      p.put("log.dirs", dir.toString());
      p.put("num.partitions", Integer.toString(partitions));
      p.put("default.replication.factor", "1");
      p.put("min.insync.replicas", "1");
      // Exactly-once on one node: the internal topics must fit on it.
      p.put("offsets.topic.replication.factor", "1");
      p.put("offsets.topic.num.partitions", "1");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("transaction.state.log.num.partitions", "1");
      p.put("group.initial.rebalance.delay.ms", "0");
      // A laptop-sized broker: fewer threads, and a 16 MiB instead of a 128 MiB heap buffer for the log cleaner.
      p.put("num.network.threads", "2");
      p.put("num.io.threads", "4");
      p.put("background.threads", "4");
      p.put("num.recovery.threads.per.data.dir", "1");
      p.put("log.cleaner.threads", "1");
      p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 << 20));
      p.putAll(overrides);
      return p;
    }

    private void format(Path dir, String clusterId, Properties props) {
      Path config = null;
      try {
        config = Files.createTempFile("electra-kafka-", ".properties");
        try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
          props.store(w, "electra EmbeddedKafka, for kafka-storage format");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int status;
        try (PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8)) {
          status = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString(), "-g"}, out);
        }
        if (status != 0) {
          throw new IllegalStateException("formatting the Kafka log dir " + dir + " failed (status " + status + "): "
              + output.toString(StandardCharsets.UTF_8).trim());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the broker settings for formatting " + dir, e);
      } catch (RuntimeException e) {
        if (e instanceof IllegalStateException) {
          throw e;
        }
        throw new IllegalStateException("formatting the Kafka log dir " + dir + " failed: " + e, e);
      } finally {
        if (config != null) {
          try {
            Files.deleteIfExists(config);
          } catch (IOException ignored) {
            // a stray temp file of a few hundred bytes
          }
        }
      }
    }

    private void awaitBroker(Admin admin, String clusterId, int clientPort) {
      long deadline = System.nanoTime() + timeout.toNanos();
      Throwable last = null;
      while (System.nanoTime() < deadline) {
        try {
          var cluster = admin.describeCluster();
          Collection<Node> nodes = cluster.nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          String id = cluster.clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          if (nodes.size() == 1 && clusterId.equals(id)) {
            return;
          }
          last = new IllegalStateException("cluster " + id + " has nodes " + nodes);
        } catch (ExecutionException e) {
          last = e.getCause();
        } catch (TimeoutException | InterruptedException e) {
          interruptIf(e);
          last = e;
        }
        sleep(50);
      }
      throw new IllegalStateException("the Kafka broker on " + HOST + ":" + clientPort + " did not answer within "
          + timeout.toSeconds() + " s", last);
    }
  }

  // ---------------------------------------------------------------------------------------------------------

  private static int checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " must be between 0 and 65535, got " + port);
    }
    return port;
  }

  /** The port, after checking that nothing listens on it, so the caller gets a clear error instead of Kafka's. */
  private static int requireFree(int port, String what) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return port;
    } catch (BindException e) {
      throw new PortInUseException(what, port, e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check port " + port + " on " + HOST, e);
    }
  }

  private static int freePort(int... not) {
    for (int i = 0; i < 10; i++) {
      try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName(HOST))) {
        int p = s.getLocalPort();
        if (Arrays.stream(not).noneMatch(n -> n == p)) {
          return p;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on " + HOST, e);
      }
    }
    throw new IllegalStateException("cannot find a free port on " + HOST);
  }

  private static boolean isBindFailure(Throwable e) {
    return causes(e).anyMatch(c -> c instanceof BindException
        || String.valueOf(c.getMessage()).contains("failed to bind"));
  }

  private static final Pattern BIND_TARGET = Pattern.compile("failed to bind to [^ ]*:(\\d+)");

  /** The port in Kafka's "Socket server failed to bind to HOST:PORT" message, else {@code otherwise}. */
  private static int boundPort(Throwable e, int otherwise) {
    return causes(e).map(c -> BIND_TARGET.matcher(String.valueOf(c.getMessage()))).filter(Matcher::find)
        .map(m -> Integer.parseInt(m.group(1))).findFirst().orElse(otherwise);
  }

  private static Stream<Throwable> causes(Throwable e) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable c = e; c != null && !chain.contains(c); c = c.getCause()) {
      chain.add(c);
    }
    return chain.stream();
  }

  private static void stopQuietly(KafkaRaftServer server) {
    try {
      server.shutdown();
      server.awaitShutdown();
    } catch (RuntimeException ignored) {
      // already failing; the original error is the one to report
    }
  }

  /**
   * Checks that {@code dir} can serve as a kept log dir: missing, empty, or one a broker formatted before (it has
   * {@code meta.properties}). Refuses a file, and a non-empty folder of something else, which Kafka would fill.
   *
   * @throws IllegalArgumentException saying why not
   */
  public static void checkLogDir(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is a file, not a folder for Kafka's data");
    }
    if (Files.isRegularFile(dir.resolve("meta.properties"))) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new IllegalArgumentException(dir + " is neither empty nor a Kafka log dir (no meta.properties);"
            + " give a new or empty folder");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir, e);
    }
  }

  /** Whether {@code dir} holds a formatted Kafka log dir, i.e. a broker started on it would find earlier data. */
  public static boolean isFormatted(Path dir) {
    return Files.isRegularFile(dir.resolve("meta.properties"));
  }

  /** The cluster id in {@code meta.properties} of an already formatted log dir, or null for a new one. */
  private static String existingClusterId(Path dir) {
    Path meta = dir.resolve("meta.properties");
    if (!Files.isRegularFile(meta)) {
      return null;
    }
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(meta)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + meta, e);
    }
    String id = p.getProperty("cluster.id");
    if (id == null || id.isBlank()) {
      throw new IllegalStateException(meta + " has no cluster.id; is " + dir + " a Kafka log dir?");
    }
    return id.trim();
  }

  /**
   * Logger name, level. The broker core ({@code kafka.*}) and the controller warn about normal events on every
   * start (an empty metadata log, no ZooKeeper migration state), so they only report errors; Kafka's clients,
   * which the application uses too, keep their warnings.
   */
  private static final String[][] BROKER_LOGGERS = {
      {"kafka", "error"},
      {"state.change.logger", "error"},
      {"org.apache.kafka", "warn"},
      {"org.apache.kafka.controller", "error"},
      {"org.apache.zookeeper", "warn"},
  };

  /**
   * Turns Kafka's loggers down for slf4j-simple (it reads system properties when a logger is made), unless the
   * JVM or {@code simplelogger.properties} already sets them.
   */
  static void quietBrokerLogs() {
    Properties file = new Properties();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try (InputStream in = loader != null ? loader.getResourceAsStream("simplelogger.properties")
        : ClassLoader.getSystemResourceAsStream("simplelogger.properties")) {
      if (in != null) {
        file.load(in);
      }
    } catch (IOException ignored) {
      // then only system properties count
    }
    for (String[] logger : BROKER_LOGGERS) {
      String key = "org.slf4j.simpleLogger.log." + logger[0];
      if (System.getProperty(key) == null && file.getProperty(key) == null) {
        System.setProperty(key, logger[1]);
      }
    }
  }


  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void interruptIf(Exception e) {
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
  }

  /** Removes a broker's temporary folder; a failure is reported, not thrown, as the broker is already down. */
  private static void deleteQuietly(Path dir) {
    try {
      Directories.deleteRecursively(dir);
    } catch (IOException e) {
      System.err.println("EmbeddedKafka: could not delete " + dir + ": " + e);
    }
  }
}
