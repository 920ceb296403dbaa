package electra.infra.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link LocalFlink} hands its Flink processes: the class path a Flink installation's lib/ would hold, the
 * configuration, the command lines and the agent that ends them with LocalFlink. The cluster itself runs in tests/'s
 * ServeQaOnLocalFlinkTest and LocalFlinkKilledTest (this module has no Flink on its class path).
 */
class LocalFlinkTest {

  @Test
  void theClusterClassPathIsFlinkAndTheNativeLoadingJarsWithoutThisProjectsClassesOrScala213() {
    String m2 = "/home/u/.m2/repository/";
    String classPath = String.join(File.pathSeparator, "/src/launcher/target/classes",
        "/src/serving/target/electra-serving-0.1.0-SNAPSHOT.jar", m2 + "flink-runtime-1.19.0.jar",
        m2 + "tensorflow-core-native-1.0.0-linux-x86_64.jar", m2 + "javacpp-1.5.10.jar",
        m2 + "scala-library-2.13.15.jar", m2 + "kafka_2.13-3.9.1.jar", m2 + "jackson-module-scala_2.13-2.18.2.jar",
        m2 + "kafka-clients-3.9.1.jar", m2 + "flink-metrics-prometheus-1.19.1.jar");
    List<String> cluster = LocalFlink.clusterClassPath(classPath);
    assertEquals(List.of(m2 + "flink-runtime-1.19.0.jar", m2 + "tensorflow-core-native-1.0.0-linux-x86_64.jar",
        m2 + "javacpp-1.5.10.jar", m2 + "kafka-clients-3.9.1.jar", m2 + "flink-metrics-prometheus-1.19.1.jar"),
        cluster);
    assertEquals(Optional.of("1.19.0"), LocalFlink.flinkVersion(cluster));
    assertEquals(Optional.empty(), LocalFlink.flinkVersion(List.of(m2 + "flink-runtime-web-1.19.0.jar")));
  }

  @Test
  void theConfigurationRestartsJobsNoticesADeadTaskManagerFastAndSizesTheTaskManagers() {
    LocalFlink.Settings s = new LocalFlink.Settings(8081, 2, 3, 0);
    Map<String, String> c = LocalFlink.configuration(s, 18081, 16123, Path.of("/tmp/work"));
    assertEquals("18081", c.get("rest.port"));
    assertEquals("16123", c.get("jobmanager.rpc.port"));
    assertEquals("3", c.get("taskmanager.numberOfTaskSlots"));
    assertEquals("fixed-delay", c.get("restart-strategy.type"));
    assertEquals(String.valueOf(Integer.MAX_VALUE), c.get("restart-strategy.fixed-delay.attempts"));
    assertEquals("1000", c.get("heartbeat.interval"));
    assertEquals("file:///tmp/work/checkpoints", c.get("state.checkpoints.dir"));
    // A TaskManager started without Flink's scripts refuses to start unless these are given.
    for (String key : List.of("taskmanager.cpu.cores", "taskmanager.memory.framework.heap.size",
        "taskmanager.memory.task.heap.size", "taskmanager.memory.framework.off-heap.size",
        "taskmanager.memory.task.off-heap.size", "taskmanager.memory.managed.size",
        "taskmanager.memory.jvm-metaspace.size")) {
      assertTrue(c.containsKey(key), key);
    }
    assertEquals(c.get("taskmanager.memory.network.min"), c.get("taskmanager.memory.network.max"));
    assertEquals(c.get("taskmanager.memory.jvm-overhead.min"), c.get("taskmanager.memory.jvm-overhead.max"));
    assertEquals(LocalFlink.TASK_MANAGER_HEAP_MB, Integer.parseInt(c.get("taskmanager.memory.framework.heap.size")
        .replace("m", "")) + Integer.parseInt(c.get("taskmanager.memory.task.heap.size").replace("m", "")),
        "the JVM's heap is what the configuration says it is");
    assertFalse(c.containsKey("metrics.reporter.prom.factory.class"), "no reporter without --metrics_port");

    Map<String, String> withMetrics = LocalFlink.configuration(new LocalFlink.Settings(8081, 2, 1, 9250), 18081,
        16123, Path.of("/tmp/work"));
    assertEquals(LocalFlink.PROMETHEUS_REPORTER, withMetrics.get("metrics.reporter.prom.factory.class"));
    assertTrue(LocalFlink.yaml(withMetrics).contains("\nmetrics.reporter.prom.factory.class: "
        + "org.apache.flink.metrics.prometheus.PrometheusReporterFactory\n"), LocalFlink.yaml(withMetrics));
  }

  @Test
  void aProcessStartsFlinksEntryPointWithTheConfigurationFolderItsOwnSettingsAndTheAgentThatEndsIt() {
    List<String> command = LocalFlink.command(LocalFlink.TASK_MANAGER_CLASS, 768, Path.of("/w/conf"),
        Path.of("/w/log/taskmanager-1.log"), Map.of("metrics.reporter.prom.port", "9251"), "/a.jar:/b.jar",
        Path.of("/w/exit-with-parent.jar"));
    assertTrue(command.contains("-Xmx768m"), "" + command);
    assertTrue(command.contains("--add-opens=java.base/java.util=ALL-UNNAMED"), "" + command);
    int main = command.indexOf(LocalFlink.TASK_MANAGER_CLASS);
    int agent = command.indexOf("-javaagent:/w/exit-with-parent.jar");
    assertTrue(agent > 0 && agent < main, "a JVM option, Flink's entry point stays the main class: " + command);
    assertEquals("/a.jar:/b.jar", command.get(main - 1));
    assertEquals(List.of("--configDir", "/w/conf", "-D", "metrics.reporter.prom.port=9251"),
        command.subList(main + 1, command.size()));
  }

  @Test
  void theAgentJarHoldsTheAgentClassAloneAndNamesItInItsManifest(@TempDir Path dir) throws Exception {
    Path jar = LocalFlink.writeAgentJar(dir);
    String entry = "electra/infra/flink/ExitWithParent.class";
    try (JarFile read = new JarFile(jar.toFile());
        InputStream original = ExitWithParent.class.getResourceAsStream("/" + entry)) {
      assertEquals(ExitWithParent.class.getName(), read.getManifest().getMainAttributes().getValue("Premain-Class"));
      assertEquals(List.of(JarFile.MANIFEST_NAME, entry), read.stream().map(JarEntry::getName).toList(),
          "the JDK is all it needs: none of this project's other classes goes on the cluster's class path");
      assertArrayEquals(original.readAllBytes(), read.getInputStream(read.getEntry(entry)).readAllBytes());
    }
  }

  @Test
  void wrongFlagsAreRefusedWithWhatToDo() {
    assertTrue(assertThrows(UsageException.class, () -> new LocalFlink.Settings(8081, 0, 1, 0)).getMessage()
        .contains("--taskmanagers must be between 1 and 64"));
    assertTrue(assertThrows(UsageException.class, () -> new LocalFlink.Settings(8081, 1, 0, 0)).getMessage()
        .contains("--slots"));
    assertTrue(assertThrows(UsageException.class, () -> new LocalFlink.Settings(70000, 1, 1, 0)).getMessage()
        .contains("--rest_port"));
  }

  @Test
  void withoutFlinkOnTheClassPathItSaysHowToStartIt() {
    // This module's tests have no Flink jars: the job refuses before starting anything.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> new LocalFlink(
        new PrintStream(out, true, StandardCharsets.UTF_8)).serve(new String[] {"--rest_port=0"},
        new CompletableFuture<>()));
    assertTrue(e.getMessage().contains("start it with ./electra"), e.getMessage());
    assertEquals("", out.toString(StandardCharsets.UTF_8));
  }
}
