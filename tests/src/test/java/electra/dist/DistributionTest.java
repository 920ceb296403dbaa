package electra.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the build hands out, as a user and a Flink cluster get it: {@code electra-<version>.tar.gz} unpacked in a
 * folder with no {@code ../shared} beside it and run with nothing on PATH but {@code java} and the shell the script
 * needs (no Maven), and {@code electra-jobs-<version>.jar}, the job jar for {@code flink run}: its contents, and
 * Flink's own command-line client running a job from it.
 *
 * <p>The launcher module makes both in its {@code package} phase, before this module's tests in {@code mvn verify};
 * a build that stops at {@code test} has not made them, and the test is skipped saying so.
 */
class DistributionTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String VERSION = System.getProperty("electra.version", "0.1.0-SNAPSHOT");
  private static final Path TARBALL = ROOT.resolve("launcher/target/electra-" + VERSION + ".tar.gz");
  private static final Path JOB_JAR = ROOT.resolve("launcher/target/electra-jobs-" + VERSION + ".jar");
  /** The jars a Flink cluster's lib/ gets, by artifact name (launcher/pom.xml, shade and assembly). */
  private static final Set<String> CLUSTER_JARS = Set.of("tensorflow-core-api", "tensorflow-core-native", "ndarray",
      "javacpp", "protobuf-java", "onnxruntime");

  /**
   * Jars of the tarball a Flink installation's lib/ has no copy of: this project's modules (only the job jar brings
   * them) and Scala 2.13 with what needs it (a Flink lib/ holds its own Scala 2.12, loaded parent-first).
   */
  private static final String NOT_IN_FLINK_LIB = "(electra-|scala-|kafka_2\\.13-|jackson-module-scala).*";

  @TempDir
  static Path temp;
  static Path home;

  @BeforeAll
  static void unpack() throws Exception {
    assumeTrue(Files.isRegularFile(TARBALL) && Files.isRegularFile(JOB_JAR), "skipped: " + TARBALL + " and "
        + JOB_JAR + " are made in launcher's package phase (mvn -B package -pl launcher -am -DskipTests, or verify)");
    Path into = Files.createDirectories(temp.resolve("unpacked"));
    Run untar = run(into, Map.of("PATH", System.getenv("PATH")), "tar", "xzf", TARBALL.toString());
    assertEquals(0, untar.status(), untar.output());
    home = into.resolve("electra-" + VERSION);
    assertTrue(Files.isExecutable(home.resolve("bin/electra")), "bin/electra is executable");
  }

  @Test
  void tarballRunsJobsWithJavaAloneOnPath() throws Exception {
    Path work = Files.createDirectories(temp.resolve("elsewhere/work"));
    assertFalse(Files.exists(work.resolveSibling("shared")));

    Run version = electra(work, "--version");
    assertEquals(0, version.status(), version.output());
    assertTrue(version.output().startsWith("electra " + VERSION + " (commit " + headCommit()), version.output());

    Run list = electra(work);
    assertEquals(0, list.status(), list.output());
    for (String job : List.of("IngestWiki", "IngestBooks", "IngestText", "PrepareSquad", "ServeQA", "Pretrain",
        "FinetuneSquad", "ExportModel", "LocalKafka")) {
      assertTrue(list.output().contains("\n  " + job + " "), job + " listed:\n" + list.output());
    }

    Path vocab = tinyVocabulary(work);
    Path corpus = tinyCorpus(work);
    Run ingest = electra(work, "IngestText", "--input=" + corpus, "--output=shards", "--vocab_file=" + vocab,
        "--max_seq_length_p1=16", "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1");
    assertEquals(0, ingest.status(), ingest.output());
    String manifest = Files.readString(work.resolve("shards/phase1/train/manifest.json"));
    assertTrue(manifest.matches("(?s).*\"records\"\\s*:\\s*[1-9].*"), manifest);

    // TensorFlow from lib/cluster/: two steps of a tiny model on those shards.
    Files.writeString(work.resolve("tiny.json"), "{\"vocab_size\": " + Files.readAllLines(vocab).size()
        + ", \"embedding_size\": 8, \"hidden_size\": 16, \"num_hidden_layers\": 1, \"num_attention_heads\": 2,"
        + " \"intermediate_size\": 32, \"max_position_embeddings\": 16}");
    Run pretrain = electra(work, "Pretrain", "--pretrain_tfrecords=shards/phase1/train", "--vocab_file=" + vocab,
        "--model_config=tiny.json", "--model_name=tiny", "--output_dir=runs", "--train_batch_size=2",
        "--num_train_steps=2", "--num_warmup_steps=1", "--log_freq=1", "--save_checkpoints_steps=2");
    assertEquals(0, pretrain.status(), pretrain.output());
    assertTrue(Files.isDirectory(work.resolve("runs/tiny/ckpt-000002")), pretrain.output());
  }

  @Test
  void jobJarMergesServicesAndLeavesFlinkAndTheNativesToTheCluster() throws IOException {
    try (JarFile jar = new JarFile(JOB_JAR.toFile())) {
      assertEquals("electra.launcher.FlinkMain", jar.getManifest().getMainAttributes().getValue("Main-Class"));
      Set<String> fileSystems = services(jar, "org.apache.beam.sdk.io.FileSystemRegistrar");
      assertTrue(fileSystems.containsAll(Set.of("org.apache.beam.sdk.io.LocalFileSystemRegistrar",
          "org.apache.beam.sdk.extensions.gcp.storage.GcsFileSystemRegistrar",
          "org.apache.beam.sdk.io.aws2.s3.S3FileSystemRegistrar")), "local, gs:// and s3://: " + fileSystems);
      assertTrue(services(jar, "org.apache.beam.sdk.runners.PipelineRunnerRegistrar").stream()
          .anyMatch(r -> r.startsWith("org.apache.beam.runners.flink.")), "Beam's Flink runner is in");
      assertEquals(everyModulesJobs(), services(jar, "electra.cli.Job"), "every module's jobs, merged");

      List<String> leftToTheCluster = jar.stream().map(ZipEntry::getName)
          .filter(n -> n.startsWith("org/apache/flink/") || n.startsWith("org/tensorflow/")
              || n.startsWith("org/bytedeco/") || n.startsWith("ai/onnxruntime/") || n.startsWith("org/slf4j/")
              || n.equals("com/google/protobuf/Message.class") || n.startsWith("scala/")
              || n.startsWith("kafka/server/"))
          .limit(5).toList();
      assertEquals(List.of(), leftToTheCluster,
          "Flink, TensorFlow, JavaCPP, ONNX Runtime, protobuf, SLF4J, Scala and the Kafka broker");
    }

    Set<String> cluster = artifacts(home.resolve("lib/cluster"));
    assertEquals(CLUSTER_JARS, cluster, "lib/cluster/ holds what the job jar leaves out");
    Set<String> lib = artifacts(home.resolve("lib"));
    assertTrue(lib.stream().noneMatch(CLUSTER_JARS::contains), "each jar once: " + lib);
    assertTrue(lib.containsAll(Set.of("electra-launcher", "flink-runtime", "beam-runners-flink")), "" + lib);
  }

  /**
   * {@code flink run electra-jobs.jar IngestText ...} with Flink's own command-line client ({@code CliFrontend}, what
   * the {@code flink} script starts) on a class path that stands for a Flink installation's lib/ with lib/cluster/
   * added: every jar of the tarball but those {@link #NOT_IN_FLINK_LIB}. The client loads
   * the job jar in Flink's child-first user class loader and runs the job on a local cluster in its JVM
   * ({@code -t local}); a flag the job refuses fails the program with the job's one line.
   */
  @Test
  void flinkRunAcceptsTheJobJar() throws Exception {
    Path work = Files.createDirectories(temp.resolve("flink-run"));
    Path conf = Files.createDirectories(work.resolve("flink-conf"));
    Files.writeString(conf.resolve("flink-conf.yaml"), "parallelism.default: 1\n");
    Path vocab = tinyVocabulary(work);
    Path corpus = tinyCorpus(work);
    String flinkLib = Stream.of(home.resolve("lib"), home.resolve("lib/cluster")).flatMap(DistributionTest::jars)
        .filter(p -> !p.getFileName().toString().matches(NOT_IN_FLINK_LIB)).map(Path::toString)
        .collect(Collectors.joining(":"));
    Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "FLINK_CONF_DIR", conf.toString(),
        "HOME", temp.resolve("user-home").toString());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> flinkRun = List.of(java, "-cp", flinkLib, "org.apache.flink.client.cli.CliFrontend", "run",
        "-t", "local", JOB_JAR.toString());

    Run ingest = run(work, env, concat(flinkRun, "IngestText", "--runner=FlinkRunner", "--input=" + corpus,
        "--output=shards", "--vocab_file=" + vocab, "--max_seq_length_p1=16", "--max_seq_length_p2=0",
        "--num_train_shards=1", "--num_test_shards=1"));
    assertEquals(0, ingest.status(), ingest.output());
    assertTrue(Files.readString(work.resolve("shards/phase1/train/manifest.json")).contains("\"records\""));

    Run refused = run(work, env, concat(flinkRun, "IngestText", "--input=" + corpus, "--output=other",
        "--max_seq_length=128"));
    assertTrue(refused.status() != 0, refused.output());
    assertTrue(refused.output().contains("ended with status 2"), refused.output());
  }

  private static Stream<Path> jars(Path folder) {
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(p -> p.toString().endsWith(".jar")).toList().stream();
    } catch (IOException e) {
      throw new AssertionError(folder + ": " + e, e);
    }
  }

  private static String[] concat(List<String> head, String... tail) {
    return Stream.concat(head.stream(), Stream.of(tail)).toArray(String[]::new);
  }

  private static Set<String> services(JarFile jar, String service) throws IOException {
    ZipEntry entry = jar.getEntry("META-INF/services/" + service);
    assertTrue(entry != null, "no services file for " + service);
    return new String(jar.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#")).collect(Collectors.toCollection(TreeSet::new));
  }

  private static Set<String> everyModulesJobs() throws IOException {
    Set<String> jobs = new TreeSet<>();
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path module : modules.toList()) {
        Path services = module.resolve("src/main/resources/META-INF/services/electra.cli.Job");
        if (Files.isRegularFile(services)) {
          Files.readAllLines(services).stream().map(String::strip).filter(l -> !l.isEmpty()).forEach(jobs::add);
        }
      }
    }
    assertTrue(jobs.size() > 20, "" + jobs);
    return jobs;
  }

  /** The artifact names of a folder's jars: {@code flink-runtime-1.19.0.jar} is flink-runtime. */
  private static Set<String> artifacts(Path folder) throws IOException {
    try (Stream<Path> jars = Files.list(folder)) {
      return jars.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar"))
          .map(n -> n.replaceFirst("-\\d.*$", "")).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** The commit HEAD of this checkout, or "unknown" where there is no git or no checkout (as the build records). */
  private static String headCommit() throws Exception {
    try {
      Run head = run(ROOT, Map.of("PATH", System.getenv("PATH")), "git", "rev-parse", "HEAD");
      return head.status() == 0 ? head.output().strip() : "unknown";
    } catch (IOException noGit) {
      return "unknown";
    }
  }

  private static Path tinyVocabulary(Path dir) throws IOException {
    List<String> tokens = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ","));
    tokens.addAll(Arrays.asList(WORDS));
    return Files.write(dir.resolve("vocab.txt"), tokens);
  }

  private static final String[] WORDS = ("the a river city north south flows through old new town bridge market "
      + "people built stone long ago many live near water summer winter trade boats carry grain").split(" ");

  /** Forty documents of a few sentences each, blank lines between them. */
  private static Path tinyCorpus(Path dir) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int doc = 0; doc < 40; doc++) {
      for (int sentence = 0; sentence < 4; sentence++) {
        for (int w = 0; w < 6 + sentence; w++) {
          text.append(w == 0 ? "" : " ").append(WORDS[(doc * 7 + sentence * 3 + w * w) % WORDS.length]);
        }
        text.append(". ");
      }
      text.append("\n\n");
    }
    return Files.writeString(dir.resolve("corpus.txt"), text);
  }

  /** bin/electra with a PATH of java and what the script itself needs (bash, dirname): no Maven, no JAVA_HOME. */
  private static Run electra(Path work, String... args) throws Exception {
    Path tools = temp.resolve("path-with-java-only");
    if (!Files.isDirectory(tools)) {
      Files.createDirectories(tools);
      Files.createSymbolicLink(tools.resolve("java"), Path.of(System.getProperty("java.home"), "bin", "java"));
      for (String tool : List.of("bash", "dirname")) {
        Files.createSymbolicLink(tools.resolve(tool), onPath(tool));
      }
    }
    List<String> command = new ArrayList<>(List.of(home.resolve("bin/electra").toString()));
    command.addAll(List.of(args));
    return run(work, Map.of("PATH", tools.toString(), "HOME", temp.resolve("user-home").toString()),
        command.toArray(String[]::new));
  }

  private static Path onPath(String tool) {
    return Arrays.stream(System.getenv("PATH").split(":")).map(d -> Path.of(d, tool)).filter(Files::isExecutable)
        .findFirst().orElseThrow(() -> new AssertionError(tool + " not on PATH"));
  }

  record Run(int status, String output) {}

  /** Runs a command with exactly the environment given (nothing inherited), output and errors together. */
  private static Run run(Path dir, Map<String, String> env, String... command) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    Process p = builder.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
