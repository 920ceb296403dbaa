package electra.infra.kafka;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.utils.AppInfoParser;

/**
 * The {@code LocalKafka} job: a real single-node Kafka broker on this machine ({@link EmbeddedKafka}), with the
 * QA topics created, for producing and consuming by hand and for running the serving job against. It runs until
 * Ctrl-C or SIGTERM and then shuts the broker down cleanly.
 */
public final class LocalKafka implements Job {

  static final String DEFAULT_TOPICS = "qa-requests,qa-answers,qa-errors";

  private final PrintStream out;

  /** The job as the launcher starts it, printing to stdout. */
  public LocalKafka() {
    this(System.out);
  }

  /** The job printing its banner and progress to {@code out}. */
  public LocalKafka(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "LocalKafka";
  }

  @Override
  public String description() {
    return "a single-node Kafka broker on this machine with the QA topics, until Ctrl-C";
  }

  /** The broker {@code LocalKafka} starts and the topics it creates. */
  record Settings(
      @Flag(value = "client port on 127.0.0.1; 0 picks a free one", defaultValue = "9092")
      int port,
      @Flag(value = "KRaft controller port on 127.0.0.1; 0 picks a free one", defaultValue = "0")
      int controllerPort,
      @Flag("folder for Kafka's data, kept and reused on the next start (default: a temporary folder, deleted on exit)")
      Path logDir,
      @Flag(value = "comma-separated topics to create if missing", defaultValue = DEFAULT_TOPICS)
      List<String> topics,
      @Flag(value = "partitions of each new topic", defaultValue = "1")
      int partitions) {

    Settings {
      requirePort(port, "port");
      requirePort(controllerPort, "controller_port");
      if (port != 0 && port == controllerPort) {
        throw new UsageException("--port and --controller_port must differ (both are " + port + ")");
      }
      if (partitions < 1 || partitions > 10_000) {
        throw new UsageException("--partitions must be between 1 and 10000, got " + partitions);
      }
      if (logDir != null) {
        try {
          EmbeddedKafka.checkLogDir(logDir);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--log_dir " + e.getMessage());
        }
      }
      for (String topic : topics) {
        try {
          Topic.validate(topic);
        } catch (InvalidTopicException e) {
          throw new UsageException("--topics: " + e.getMessage());
        }
      }
      topics = List.copyOf(new LinkedHashSet<>(topics));
      if (topics.isEmpty()) {
        throw new UsageException("--topics needs at least one topic name, e.g. --topics=" + DEFAULT_TOPICS);
      }
    }

    private static void requirePort(int port, String flag) {
      if (port < 0 || port > 65535) {
        throw new UsageException("--" + flag + " must be between 0 and 65535, got " + port);
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("LocalKafka", "starts a real one-node Kafka broker (KRaft) on 127.0.0.1, creates the topics"
            + " and runs until Ctrl-C or SIGTERM")
        .example("./electra LocalKafka")
        .example("./electra LocalKafka --port=0 --partitions=3")
        .example("./electra LocalKafka --log_dir=runs/kafka   # keeps topics and messages across restarts")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws InterruptedException {
    serve(args, new CompletableFuture<>());
  }

  /**
   * Starts the broker and blocks until {@code stop} completes (tests) or the JVM is asked to shut down (Ctrl-C,
   * SIGTERM); either way the broker is closed before this returns.
   */
  void serve(String[] args, Future<?> stop) throws InterruptedException {
    Settings s = flags().parse(args).record(Settings.class);
    EmbeddedKafka.quietBrokerLogs(); // before the first Kafka class makes its logger
    boolean reusing = s.logDir() != null && EmbeddedKafka.isFormatted(s.logDir());
    out.println("LocalKafka: starting Kafka " + AppInfoParser.getVersion() + " on 127.0.0.1"
        + (reusing ? " with the data in " + s.logDir().toAbsolutePath() : "") + " ...");
    long t0 = System.nanoTime();
    EmbeddedKafka kafka;
    try {
      kafka = EmbeddedKafka.builder().port(s.port()).controllerPort(s.controllerPort()).logDir(s.logDir())
          .partitions(s.partitions()).start();
    } catch (EmbeddedKafka.PortInUseException e) {
      String flag = e.port() == s.controllerPort() ? "controller_port" : "port";
      throw new UsageException("--" + flag + "=" + e.port() + " is already in use on 127.0.0.1"
          + (e.port() == 9092 ? " (is another Kafka running?)" : "") + "; pick another port, or --" + flag
          + "=0 for any free one");
    } catch (EmbeddedKafka.LogDirInUseException e) {
      throw new UsageException("--log_dir " + s.logDir() + " is in use by another running Kafka broker;"
          + " stop that one or give another folder");
    }
    CompletableFuture<Void> closedByHook = new CompletableFuture<>();
    Thread hook = new Thread(() -> {
      stopBroker(kafka);
      closedByHook.complete(null);
    }, "LocalKafka-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean stopped = false;
    try {
      kafka.createTopics(s.topics().toArray(String[]::new));
      out.print(banner(kafka, s, (System.nanoTime() - t0) / 1_000_000, reusing));
      out.flush();
      while (!closedByHook.isDone() && !stop.isDone()) {
        try {
          closedByHook.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException notYet) {
          // check the stop signal again
        }
      }
      stopped = closedByHook.isDone();
    } finally {
      if (!stopped) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
          stopBroker(kafka);
        } catch (IllegalStateException shuttingDown) {
          closedByHook.join(); // the hook is already closing it
        }
      }
    }
  }

  private void stopBroker(EmbeddedKafka kafka) {
    out.println("LocalKafka: stopping the broker ...");
    long t0 = System.nanoTime();
    kafka.close();
    out.println("LocalKafka: stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms"
        + (kafka.deletesLogDirOnClose() ? " (temporary data deleted)" : "; the data stays in " + kafka.logDir()));
    out.flush();
  }

  static String banner(EmbeddedKafka kafka, Settings s, long startMillis, boolean reused) {
    String bs = kafka.bootstrapServers();
    List<String> topics = s.topics();
    String first = topics.get(0);
    String second = topics.size() > 1 ? topics.get(1) : first;
    String dir = kafka.deletesLogDirOnClose()
        ? kafka.logDir() + " (temporary, deleted on exit)"
        : kafka.logDir() + (reused ? " (reused: earlier topics and messages are still there)" : " (kept on exit)");
    StringBuilder b = new StringBuilder();
    b.append("LocalKafka: broker ready in ").append(startMillis).append(" ms\n\n");
    b.append("  bootstrap servers:  ").append(bs).append('\n');
    List<Integer> counts = kafka.partitions(topics.toArray(String[]::new)).values().stream().distinct().toList();
    b.append("  topics:             ").append(String.join(", ", topics)).append("  (")
        .append(counts.size() == 1
            ? counts.get(0) + (counts.get(0) == 1 ? " partition each" : " partitions each")
            : "partitions " + String.join("/", counts.stream().map(String::valueOf).toList()))
        .append(", replication 1)\n");
    b.append("  log dir:            ").append(dir).append('\n');
    b.append("  cluster id:         ").append(kafka.clusterId()).append("\n\n");
    b.append("Serve a model on it, then ask it a question:\n\n");
    b.append("  ./electra ServeQA --model=runs/quickstart/export --bootstrap_servers=").append(bs).append('\n');
    b.append("  ./electra Ask --bootstrap_servers=").append(bs)
        .append(" --question=\"What food does Harry like?\" \\\n      --context=\"My name is Harry and I grew up in ")
        .append("Canada. I love apples.\"\n\n");
    b.append("Or by hand with kcat (Debian package kcat), key|value:\n\n");
    b.append("  echo 'q1|{\"id\": \"q1\", \"question\": \"Who?\", \"context\": \"Ann wrote it.\"}' | kcat -P -b ").append(bs)
        .append(" -t ").append(first).append(" -K '|'\n");
    b.append("  kcat -C -b ").append(bs).append(" -t ").append(second).append(" -o beginning -f '%k %s\\n'\n\n");
    b.append("Ctrl-C stops the broker.\n");
    return b.toString();
  }
}
