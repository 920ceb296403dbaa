package electra.infra.flink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code LocalFlink} job: a Flink session cluster on this machine, a JobManager and {@code --taskmanagers}
 * TaskManagers, each in a JVM of its own started from the jars this JVM runs on (Maven Central's Flink artifacts, as
 * the build resolved them: nothing is downloaded). The cluster's class path is what a Flink installation's
 * {@code lib/} holds in a deployment ({@code infra/docker/Dockerfile.flink}): Flink, and TensorFlow, JavaCPP, ONNX
 * Runtime and protobuf, which the job jar leaves out because their native libraries bind to one class loader; this
 * project's own classes come with the job jar a job is submitted with.
 *
 * <p>A TaskManager that exits is started again, as Kubernetes restarts a pod (with a growing delay when it keeps dying
 * at once); the JobManager is not (its jobs would be gone: this cluster has no high availability), and its exit stops
 * the cluster. Ctrl-C or SIGTERM stops every process and deletes the work folder. When LocalFlink's own process dies
 * without stopping them ({@code kill -9}), each of them halts by itself ({@link ExitWithParent}).
 */
public final class LocalFlink implements Job {

  /** Flink's entry points, as its {@code jobmanager.sh} and {@code taskmanager.sh} start them. */
  static final String JOB_MANAGER_CLASS = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";

  static final String TASK_MANAGER_CLASS = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

  static final String PROMETHEUS_REPORTER = "org.apache.flink.metrics.prometheus.PrometheusReporterFactory";

  /**
   * Jars a Flink installation's {@code lib/} has no copy of: this project's modules (a job brings them in its job jar)
   * and Scala 2.13 with what needs it (Flink loads {@code scala.*} parent-first, and the job jar leaves them out too).
   */
  static final Pattern NOT_IN_FLINK_LIB = Pattern.compile("(electra-|scala-|kafka_2\\.13-|jackson-module-scala).*");

  /** Heap of each TaskManager JVM: Flink's framework heap (128 MB) and the task heap (the rest). */
  static final int TASK_MANAGER_HEAP_MB = 768;

  static final int JOB_MANAGER_HEAP_MB = 512;

  /**
   * What Flink's distribution gives every JVM it starts on Java 17 ({@code env.java.opts.all} of its default
   * configuration): Kryo and Flink's own serializers reach into these packages.
   */
  static final List<String> JAVA_17_OPENS = Stream.of("java.lang", "java.net", "java.io", "java.nio", "sun.nio.ch",
      "java.lang.reflect", "java.text", "java.time", "java.util", "java.util.concurrent",
      "java.util.concurrent.atomic", "java.util.concurrent.locks").map(p -> "--add-opens=java.base/" + p
      + "=ALL-UNNAMED").toList();

  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private final PrintStream out;

  /** The job as the launcher starts it, printing to stdout. */
  public LocalFlink() {
    this(System.out);
  }

  /** The job printing its banner and what happens to its processes to {@code out}. */
  public LocalFlink(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "LocalFlink";
  }

  @Override
  public String description() {
    return "a Flink session cluster on this machine (a JobManager and TaskManager JVMs), until Ctrl-C";
  }

  /** The cluster {@code LocalFlink} starts. */
  record Settings(
      @Flag(value = "REST port on 127.0.0.1, the address jobs take as --flink_master=localhost:PORT; 0 picks a free "
          + "one", defaultValue = "8081")
      int restPort,
      @Flag(value = "TaskManager JVMs", defaultValue = "1")
      int taskmanagers,
      @Flag(value = "task slots of each TaskManager", defaultValue = "1")
      int slots,
      @Flag(value = "Prometheus endpoints (http://127.0.0.1:PORT/metrics): the JobManager's on this port, TaskManager "
          + "i's on port+i; 0: none", defaultValue = "0")
      int metricsPort) {

    Settings {
      if (restPort < 0 || restPort > 65535) {
        throw new UsageException("--rest_port must be between 0 and 65535, got " + restPort);
      }
      if (taskmanagers < 1 || taskmanagers > 64) {
        throw new UsageException("--taskmanagers must be between 1 and 64, got " + taskmanagers);
      }
      if (slots < 1 || slots > 256) {
        throw new UsageException("--slots must be between 1 and 256, got " + slots);
      }
      if (metricsPort < 0 || metricsPort + taskmanagers > 65535) {
        throw new UsageException("--metrics_port must be 0 (none) or a port with " + taskmanagers + " more free above"
            + " it, got " + metricsPort);
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("LocalFlink", "starts a Flink session cluster on 127.0.0.1 - a JobManager and TaskManagers, "
            + "each its own JVM - restarts a TaskManager that dies, and runs until Ctrl-C or SIGTERM")
        .example("./electra LocalFlink")
        .example("./electra LocalFlink --taskmanagers=2 --rest_port=0")
        .example("./electra LocalFlink --taskmanagers=2 --metrics_port=9250   # Prometheus on 9250 (JobManager), "
            + "9251, 9252")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    serve(args, new CompletableFuture<>());
  }

  /**
   * Starts the cluster and supervises it until {@code stop} completes (tests) or the JVM is asked to shut down
   * (Ctrl-C, SIGTERM); either way every process is stopped before this returns.
   */
  void serve(String[] args, Future<?> stop) throws Exception {
    Settings s = flags().parse(args).record(Settings.class);
    List<String> classPath = clusterClassPath(System.getProperty("java.class.path"));
    String flinkVersion = flinkVersion(classPath).orElseThrow(() -> new IllegalStateException("LocalFlink starts "
        + "Flink from the jars on its class path, and flink-runtime-*.jar is not there: start it with ./electra"));
    if (s.metricsPort() > 0 && classPath.stream().noneMatch(e -> fileName(e).startsWith("flink-metrics-prometheus"))) {
      throw new IllegalStateException("--metrics_port needs flink-metrics-prometheus on the class path");
    }
    int restPort = s.restPort() == 0 ? freePort() : requireFree(s.restPort(), "rest_port");
    for (int i = 0; s.metricsPort() > 0 && i <= s.taskmanagers(); i++) {
      requireFree(s.metricsPort() + i, "metrics_port");
    }
    Cluster cluster = new Cluster(s, restPort, String.join(File.pathSeparator, classPath));
    CompletableFuture<Void> stoppedByHook = new CompletableFuture<>();
    Thread hook = new Thread(() -> {
      cluster.stop(false);
      stoppedByHook.complete(null);
    }, "LocalFlink-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean stopped = false;
    boolean failed = true;
    try {
      long t0 = System.nanoTime();
      out.println("LocalFlink: starting a Flink " + flinkVersion + " session cluster on 127.0.0.1 (a JobManager and "
          + s.taskmanagers() + " TaskManager" + (s.taskmanagers() == 1 ? "" : "s") + ") ...");
      cluster.start();
      if (cluster.awaitTaskManagers(START_TIMEOUT)) {
        out.print(cluster.banner(flinkVersion, (System.nanoTime() - t0) / 1_000_000));
        out.flush();
      }
      while (!stoppedByHook.isDone() && !stop.isDone()) {
        cluster.superviseOnce();
        try {
          stoppedByHook.get(200, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException notYet) {
          // look at the processes again
        }
      }
      stopped = stoppedByHook.isDone();
      failed = false;
    } finally {
      if (!stopped) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
          cluster.stop(failed);
        } catch (IllegalStateException shuttingDown) {
          stoppedByHook.join(); // the hook is already stopping it
        }
      }
    }
  }

  /** One Flink process: the JobManager or a TaskManager, with its log and how often it was started. */
  private static final class Node {
    final String name;
    final String mainClass;
    final int heapMb;
    final Map<String, String> dynamicProperties;
    Process process;
    Path log;
    int starts;
    long startedAt;
    long restartAt;
    Duration backoff = Duration.ZERO;

    Node(String name, String mainClass, int heapMb, Map<String, String> dynamicProperties) {
      this.name = name;
      this.mainClass = mainClass;
      this.heapMb = heapMb;
      this.dynamicProperties = dynamicProperties;
    }
  }

  /** The processes of one cluster, its work folder and its configuration. */
  private final class Cluster {
    final Settings settings;
    final int restPort;
    final String classPath;
    final Path workDir;
    final Path confDir;
    final Path agentJar;
    final Node jobManager;
    final List<Node> taskManagers = new ArrayList<>();
    volatile boolean stopping;

    Cluster(Settings settings, int restPort, String classPath) throws IOException {
      this.settings = settings;
      this.restPort = restPort;
      this.classPath = classPath;
      this.workDir = Files.createTempDirectory("local-flink-");
      this.confDir = Files.createDirectories(workDir.resolve("conf"));
      Files.createDirectories(workDir.resolve("log"));
      Files.createDirectories(workDir.resolve("tmp"));
      agentJar = writeAgentJar(workDir);
      Files.writeString(confDir.resolve("flink-conf.yaml"),
          yaml(configuration(settings, restPort, freePort(), workDir)));
      jobManager = new Node("JobManager", JOB_MANAGER_CLASS, JOB_MANAGER_HEAP_MB, metrics(settings, 0));
      for (int i = 1; i <= settings.taskmanagers(); i++) {
        taskManagers.add(new Node("TaskManager " + i, TASK_MANAGER_CLASS, TASK_MANAGER_HEAP_MB, metrics(settings, i)));
      }
    }

    synchronized void start() throws IOException {
      launch(jobManager);
      for (Node tm : taskManagers) {
        launch(tm);
      }
    }

    /**
     * Starts {@code node}'s JVM with its output in a log file of its own (a restart gets a new one). Its standard input
     * stays a pipe from this JVM, never written to nor closed: {@link ExitWithParent} halts the child when it ends.
     */
    private void launch(Node node) throws IOException {
      String file = node.name.toLowerCase(Locale.ROOT).replace(' ', '-')
          + (node.starts == 0 ? "" : ".restart-" + node.starts);
      node.log = workDir.resolve("log").resolve(file + ".log");
      node.process = new ProcessBuilder(command(node.mainClass, node.heapMb, confDir, node.log, node.dynamicProperties,
          classPath, agentJar)).redirectErrorStream(true).redirectOutput(node.log.toFile()).start();
      node.starts++;
      node.startedAt = System.nanoTime();
      out.println("LocalFlink: " + node.name + (node.starts == 1 ? " started" : " restarted") + ": pid "
          + node.process.pid() + ", log " + node.log);
      out.flush();
    }

    /**
     * Waits until every TaskManager has registered with the JobManager (its REST endpoint counts them); false when
     * the cluster was asked to stop meanwhile.
     */
    boolean awaitTaskManagers(Duration timeout) throws IOException, InterruptedException {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest overview = HttpRequest.newBuilder(URI.create(restAddress() + "/overview"))
          .timeout(Duration.ofSeconds(5)).build();
      long deadline = System.nanoTime() + timeout.toNanos();
      int registered = 0;
      while (registered < taskManagers.size()) {
        if (stopping) {
          return false;
        }
        for (Node node : nodes()) {
          if (!node.process.isAlive()) {
            throw new IllegalStateException(node.name + " exited with status " + node.process.exitValue()
                + " while the cluster started; from its log " + node.log + ":\n" + errors(node.log));
          }
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the cluster did not start within " + timeout.toSeconds() + " s ("
              + registered + " of " + taskManagers.size() + " TaskManagers registered); logs in "
              + workDir.resolve("log"));
        }
        try {
          JsonNode answer = new ObjectMapper().readTree(http.send(overview, HttpResponse.BodyHandlers.ofString())
              .body());
          registered = answer.path("taskmanagers").asInt(0);
        } catch (IOException notUpYet) {
          // the REST endpoint is not listening yet
        }
        if (registered < taskManagers.size()) {
          Thread.sleep(250);
        }
      }
      return true;
    }

    /**
     * Restarts a TaskManager that exited: at once, unless a restarted one died again within a minute, then after a
     * delay that doubles up to 30 s (one that cannot start does not spin); stops the cluster when the JobManager
     * exited.
     */
    synchronized void superviseOnce() throws IOException {
      if (stopping) {
        return;
      }
      if (!jobManager.process.isAlive()) {
        throw new IllegalStateException("the JobManager (pid " + jobManager.process.pid() + ") exited with status "
            + jobManager.process.exitValue() + "; its jobs are gone (no high availability here). From its log "
            + jobManager.log + ":\n" + errors(jobManager.log));
      }
      long now = System.nanoTime();
      for (Node tm : taskManagers) {
        if (tm.process.isAlive()) {
          continue;
        }
        if (tm.restartAt == 0) {
          boolean diedAgainAtOnce = tm.starts > 1 && now - tm.startedAt < Duration.ofMinutes(1).toNanos();
          tm.backoff = !diedAgainAtOnce ? Duration.ZERO : tm.backoff.isZero() ? Duration.ofSeconds(1)
              : Duration.ofSeconds(Math.min(30, tm.backoff.toSeconds() * 2));
          tm.restartAt = now + tm.backoff.toNanos();
          out.println("LocalFlink: " + tm.name + " (pid " + tm.process.pid() + ") exited with status "
              + tm.process.exitValue() + "; restarting it" + (tm.backoff.isZero() ? "" : " in "
              + tm.backoff.toSeconds() + " s"));
          out.flush();
        }
        if (now >= tm.restartAt) {
          tm.restartAt = 0;
          launch(tm);
        }
      }
    }

    /**
     * Stops the TaskManagers, then the JobManager (SIGTERM, which Flink's processes answer with an orderly shutdown;
     * SIGKILL after {@link #STOP_TIMEOUT}), and deletes the work folder unless the cluster failed (its logs say why).
     */
    synchronized void stop(boolean keepLogs) {
      if (stopping) {
        return;
      }
      stopping = true;
      out.println("LocalFlink: stopping the cluster ...");
      long t0 = System.nanoTime();
      taskManagers.forEach(tm -> terminate(tm.process));
      taskManagers.forEach(tm -> awaitExit(tm.process));
      if (jobManager.process != null) {
        terminate(jobManager.process);
        awaitExit(jobManager.process);
      }
      String folder = "logs kept in " + workDir.resolve("log");
      if (!keepLogs) {
        try {
          Directories.deleteRecursively(workDir);
          folder = "work folder deleted";
        } catch (IOException e) {
          folder = "could not delete " + workDir + ": " + e.getMessage();
        }
      }
      out.println("LocalFlink: stopped in " + (System.nanoTime() - t0) / 1_000_000 + " ms (" + folder + ")");
      out.flush();
    }

    /**
     * SIGTERM through the process's handle: {@code Process.destroy()} would also close the pipe to its standard input,
     * and {@link ExitWithParent} would halt it before Flink's orderly shutdown ran.
     */
    private static void terminate(Process process) {
      if (process != null) {
        process.toHandle().destroy();
      }
    }

    private static void awaitExit(Process process) {
      if (process == null) {
        return;
      }
      try {
        if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    List<Node> nodes() {
      List<Node> all = new ArrayList<>(List.of(jobManager));
      all.addAll(taskManagers);
      return all;
    }

    String restAddress() {
      return "http://localhost:" + restPort;
    }

    synchronized String banner(String flinkVersion, long startMillis) {
      StringBuilder b = new StringBuilder();
      b.append("LocalFlink: Flink ").append(flinkVersion).append(" session cluster ready in ").append(startMillis)
          .append(" ms\n\n");
      b.append("  REST address:   ").append(restAddress()).append("   (jobs: --flink_master=localhost:")
          .append(restPort).append(")\n");
      for (Node node : nodes()) {
        b.append("  ").append(node.name).append(": pid ").append(node.process.pid()).append(", log ")
            .append(node.log).append('\n');
      }
      b.append("  slots:          ").append(settings.taskmanagers() * settings.slots()).append(" (")
          .append(settings.slots()).append(" per TaskManager)\n");
      if (settings.metricsPort() > 0) {
        b.append("  metrics:        http://127.0.0.1:").append(settings.metricsPort()).append("/metrics (JobManager)");
        for (int i = 1; i <= settings.taskmanagers(); i++) {
          b.append(", :").append(settings.metricsPort() + i).append(" (TaskManager ").append(i).append(')');
        }
        b.append('\n');
      }
      b.append("  work folder:    ").append(workDir).append(" (configuration, logs, checkpoints; deleted on exit)\n\n");
      b.append("Serve a model on it, with a Kafka broker beside it (./electra LocalKafka --partitions=")
          .append(settings.taskmanagers() * settings.slots()).append("):\n\n");
      b.append("  ./electra ServeQA --model=runs/quickstart/export --bootstrap_servers=127.0.0.1:9092 \\\n")
          .append("      --flink_master=localhost:").append(restPort).append(" --parallelism=")
          .append(settings.taskmanagers() * settings.slots()).append(" --files_to_stage=").append(jobJar())
          .append("\n\n");
      b.append("The job jar comes from mvn -B package -pl launcher -am -DskipTests. A TaskManager that exits is "
          + "restarted; Ctrl-C stops the cluster.\n");
      return b.toString();
    }
  }

  /**
   * The Flink configuration of a local session cluster: loopback addresses, the ports, memory sized explicitly as
   * Flink's scripts would compute it (a TaskManager started without them refuses to start), a fixed-delay restart
   * strategy, heart beats every second (a killed TaskManager is noticed within seconds), and checkpoints
   * and temporary files in the work folder.
   */
  static Map<String, String> configuration(Settings s, int restPort, int rpcPort, Path workDir) {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("jobmanager.rpc.address", "localhost");
    c.put("jobmanager.rpc.port", String.valueOf(rpcPort));
    c.put("jobmanager.bind-host", "localhost");
    c.put("taskmanager.bind-host", "localhost");
    c.put("taskmanager.host", "localhost");
    c.put("rest.address", "localhost");
    c.put("rest.bind-address", "localhost");
    c.put("rest.port", String.valueOf(restPort));
    c.put("taskmanager.numberOfTaskSlots", String.valueOf(s.slots()));
    c.put("taskmanager.cpu.cores", String.valueOf(s.slots()));
    // Every memory component, as Flink's taskmanager.sh derives and passes them (heap = framework + task heap).
    c.put("taskmanager.memory.framework.heap.size", "128m");
    c.put("taskmanager.memory.task.heap.size", (TASK_MANAGER_HEAP_MB - 128) + "m");
    c.put("taskmanager.memory.framework.off-heap.size", "128m");
    c.put("taskmanager.memory.task.off-heap.size", "0m");
    c.put("taskmanager.memory.managed.size", "0m");
    c.put("taskmanager.memory.network.min", "64m");
    c.put("taskmanager.memory.network.max", "64m");
    c.put("taskmanager.memory.jvm-metaspace.size", "256m");
    c.put("taskmanager.memory.jvm-overhead.min", "192m");
    c.put("taskmanager.memory.jvm-overhead.max", "192m");
    c.put("parallelism.default", "1");
    c.put("restart-strategy.type", "fixed-delay");
    c.put("restart-strategy.fixed-delay.attempts", String.valueOf(Integer.MAX_VALUE));
    c.put("restart-strategy.fixed-delay.delay", "1 s");
    c.put("heartbeat.interval", "1000");
    // A dead process is noticed by failed heart beats (two in a row: heartbeat.rpc-failure-threshold), so within about
    // two intervals; the timeout is for a live but silent one, kept long enough for a loaded machine's pauses.
    c.put("heartbeat.timeout", "30000");
    c.put("state.checkpoints.dir", workDir.resolve("checkpoints").toUri().toString());
    c.put("io.tmp.dirs", workDir.resolve("tmp").toString());
    c.put("web.tmpdir", workDir.resolve("tmp").toString());
    if (s.metricsPort() > 0) {
      c.put("metrics.reporter.prom.factory.class", PROMETHEUS_REPORTER);
    }
    return c;
  }

  /** Process {@code index}'s own settings: 0 is the JobManager, 1.. the TaskManagers. */
  private static Map<String, String> metrics(Settings s, int index) {
    return s.metricsPort() == 0 ? Map.of() : Map.of("metrics.reporter.prom.port",
        String.valueOf(s.metricsPort() + index));
  }

  static String yaml(Map<String, String> configuration) {
    StringBuilder b = new StringBuilder("# Written by LocalFlink for this run.\n");
    configuration.forEach((key, value) -> b.append(key).append(": ").append(value).append('\n'));
    return b.toString();
  }

  /**
   * The command line of one Flink process, as Flink's own scripts would start it, and with the {@link ExitWithParent}
   * agent from {@code agentJar}.
   */
  static List<String> command(String mainClass, int heapMb, Path confDir, Path log, Map<String, String> dynamic,
      String classPath, Path agentJar) {
    List<String> c = new ArrayList<>();
    c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    c.add("-javaagent:" + agentJar);
    c.add("-Xms" + heapMb + "m");
    c.add("-Xmx" + heapMb + "m");
    c.addAll(JAVA_17_OPENS);
    c.add("--add-exports=java.base/sun.net.util=ALL-UNNAMED");
    c.add("-Dlog.file=" + log); // what Flink's REST endpoint serves as the process's log
    c.add("-Dorg.slf4j.simpleLogger.showDateTime=true");
    c.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS");
    c.add("-cp");
    c.add(classPath);
    c.add(mainClass);
    c.add("--configDir");
    c.add(confDir.toString());
    dynamic.forEach((key, value) -> {
      c.add("-D");
      c.add(key + "=" + value);
    });
    return c;
  }

  /**
   * Writes the jar of the {@link ExitWithParent} agent into {@code dir}: its one class, from this JVM's class path, and
   * the manifest that names it the agent.
   */
  static Path writeAgentJar(Path dir) throws IOException {
    String entry = ExitWithParent.class.getName().replace('.', '/') + ".class";
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().putValue("Premain-Class", ExitWithParent.class.getName());
    Path jar = dir.resolve("exit-with-parent.jar");
    try (InputStream in = ExitWithParent.class.getResourceAsStream("/" + entry)) {
      if (in == null) {
        throw new IllegalStateException(entry + " is not on the class path");
      }
      try (JarOutputStream written = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
        written.putNextEntry(new JarEntry(entry));
        in.transferTo(written);
        written.closeEntry();
      }
    }
    return jar;
  }

  /** The jar files of {@code classPath} that a Flink installation's lib/ holds (see {@link #NOT_IN_FLINK_LIB}). */
  static List<String> clusterClassPath(String classPath) {
    List<String> jars = new ArrayList<>();
    for (String entry : classPath.split(Pattern.quote(File.pathSeparator))) {
      String name = fileName(entry);
      if (name.endsWith(".jar") && !NOT_IN_FLINK_LIB.matcher(name).matches()) {
        jars.add(entry);
      }
    }
    return jars;
  }

  /** Flink's version, from the name of the flink-runtime jar on {@code classPath}. */
  static Optional<String> flinkVersion(List<String> classPath) {
    Pattern runtime = Pattern.compile("flink-runtime-(\\d[\\w.-]*)\\.jar");
    for (String entry : classPath) {
      Matcher m = runtime.matcher(fileName(entry));
      if (m.matches()) {
        return Optional.of(m.group(1));
      }
    }
    return Optional.empty();
  }

  private static String fileName(String entry) {
    return entry.substring(entry.lastIndexOf(File.separatorChar) + 1);
  }

  /** The job jar of this build, where the launcher module makes it. */
  static String jobJar() {
    Properties build = new Properties();
    try (InputStream in = LocalFlink.class.getResourceAsStream("/electra/version.properties")) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException unreadable) {
      // the placeholder below says what to put instead
    }
    return "launcher/target/electra-jobs-" + build.getProperty("version", "<version>") + ".jar";
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static int requireFree(int port, String flag) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return port;
    } catch (IOException e) {
      throw new UsageException("--" + flag + "=" + port + " is already in use on 127.0.0.1"
          + (port == 8081 ? " (is another Flink running?)" : "") + "; pick another port"
          + (flag.equals("rest_port") ? ", or --rest_port=0 for any free one" : ""));
    }
  }

  /** The first lines of {@code log} that report an error, and what follows each (a cause, a stack trace's head). */
  static String errors(Path log) {
    try {
      List<String> all = Files.readAllLines(log);
      List<String> picked = new ArrayList<>();
      for (int i = 0; i < all.size() && picked.size() < 12; i++) {
        if (all.get(i).contains(" ERROR ") || all.get(i).startsWith("Caused by:")) {
          picked.addAll(all.subList(i, Math.min(all.size(), i + 3)));
        }
      }
      return picked.isEmpty() ? String.join("\n", all.subList(Math.max(0, all.size() - 12), all.size()))
          : String.join("\n", picked.subList(0, Math.min(picked.size(), 12)));
    } catch (IOException | java.io.UncheckedIOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
