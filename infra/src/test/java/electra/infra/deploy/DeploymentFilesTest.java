package electra.infra.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Offline checks of the deployment files in infra/: every Kubernetes manifest parses and has the fields its
 * kind's schema requires (core v1, batch/v1, Flink Kubernetes Operator v1beta1, Strimzi v1beta2), with the
 * cross-references between them (headless Service of the indexed Job, worker list, volume claims, Strimzi cluster
 * labels) consistent; the Slurm script passes {@code bash -n} and {@code shellcheck}.
 */
class DeploymentFilesTest {

  private static final Path K8S = Path.of("k8s");
  private static final String DNS1123 = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final Map<String, Set<String>> KINDS = Map.of(
      "v1", Set.of("Service", "PersistentVolumeClaim"),
      "batch/v1", Set.of("Job"),
      "flink.apache.org/v1beta1", Set.of("FlinkDeployment"),
      "kafka.strimzi.io/v1beta2", Set.of("Kafka", "KafkaNodePool", "KafkaTopic"));
  private static final Set<String> TOP_LEVEL = Set.of("apiVersion", "kind", "metadata", "spec");

  static final List<Map<String, Object>> docs = new ArrayList<>();
  static final Map<String, Map<String, Object>> byKindAndName = new HashMap<>();

  @BeforeAll
  static void load() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(K8S)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertEquals(5, files.size(), files.toString());
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (Object o : new Yaml(new LoaderOptions()).loadAll(in)) {
          assertTrue(o instanceof Map, f + ": every document is a mapping");
          @SuppressWarnings("unchecked")
          Map<String, Object> doc = (Map<String, Object>) o;
          doc.put("__file", f.toString());
          docs.add(doc);
          byKindAndName.put(doc.get("kind") + "/" + name(doc), doc);
        }
      }
    }
  }

  @Test
  void everyDocumentHasAKnownKindAndValidMetadata() {
    assertEquals(10, docs.size(), "PVC, Service + Job, 2 FlinkDeployments, Kafka + node pool + 3 topics");
    for (Map<String, Object> d : docs) {
      String where = d.get("__file") + " " + d.get("kind");
      Set<String> kinds = KINDS.get(str(d, "apiVersion"));
      assertNotNull(kinds, where + ": apiVersion " + d.get("apiVersion"));
      assertTrue(kinds.contains(str(d, "kind")), where + ": kind for " + d.get("apiVersion"));
      for (String key : d.keySet()) {
        assertTrue(key.equals("__file") || TOP_LEVEL.contains(key), where + ": unknown top-level field " + key);
      }
      String name = name(d);
      assertTrue(name.matches(DNS1123) && name.length() <= 63, where + ": metadata.name '" + name + "'");
      assertTrue(d.get("spec") instanceof Map, where + ": spec");
    }
  }

  @Test
  void trainerIsAnIndexedJobBehindAHeadlessService() {
    Map<String, Object> svc = byKindAndName.get("Service/electra-trainer");
    Map<String, Object> job = byKindAndName.get("Job/electra-trainer");
    assertNotNull(svc);
    assertNotNull(job);
    assertEquals("None", str(svc, "spec", "clusterIP"), "headless");
    assertEquals(true, get(svc, "spec", "publishNotReadyAddresses"));
    int port = ((Number) get(svc, "spec", "ports", 0, "port")).intValue();

    assertEquals("Indexed", str(job, "spec", "completionMode"));
    int completions = ((Number) get(job, "spec", "completions")).intValue();
    assertEquals(completions, ((Number) get(job, "spec", "parallelism")).intValue(), "all workers run at once");
    assertEquals("Never", str(job, "spec", "template", "spec", "restartPolicy"), "podFailurePolicy needs Never");
    assertEquals(name(svc), str(job, "spec", "template", "spec", "subdomain"), "pod DNS names need the subdomain");
    @SuppressWarnings("unchecked")
    Map<String, Object> selector = (Map<String, Object>) get(svc, "spec", "selector");
    @SuppressWarnings("unchecked")
    Map<String, Object> labels = (Map<String, Object>) get(job, "spec", "template", "metadata", "labels");
    assertTrue(labels.entrySet().containsAll(selector.entrySet()), "the Service selects the trainer pods");

    Map<String, Object> c = map(get(job, "spec", "template", "spec", "containers", 0));
    assertTrue(str(c, "name").matches(DNS1123));
    assertFalse(str(c, "image").isBlank());
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < completions; i++) {
      expected.add(name(job) + "-" + i + "." + name(svc) + ":" + port);
    }
    assertEquals(String.join(",", expected), env(c, "ELECTRA_WORKERS"), "one worker per index, in index order");
    assertEquals(port, ((Number) get(c, "ports", 0, "containerPort")).intValue());
    assertEquals(1, ((Number) get(c, "resources", "requests", "nvidia.com/gpu")).intValue(), "one GPU per worker");
    assertEquals(get(c, "resources", "requests", "nvidia.com/gpu"), get(c, "resources", "limits", "nvidia.com/gpu"),
        "extended resources: requests equal limits");
    @SuppressWarnings("unchecked")
    List<String> args = (List<String>) c.get("args");
    assertEquals("Pretrain", args.get(0));
    assertTrue(args.contains("--restore_checkpoint=latest"), "restarted pods resume");
    assertClaimsExist(job, get(job, "spec", "template", "spec", "volumes"));
  }

  @Test
  void flinkDeploymentsFollowTheOperatorSchema() {
    int n = 0;
    for (Map<String, Object> d : docs) {
      if (!"FlinkDeployment".equals(d.get("kind"))) {
        continue;
      }
      n++;
      String where = name(d);
      assertFalse(str(d, "spec", "image").isBlank(), where);
      assertTrue(str(d, "spec", "flinkVersion").matches("v1_(1[5-9]|20)"), where + ": flinkVersion");
      for (String role : List.of("jobManager", "taskManager")) {
        assertNotNull(get(d, "spec", role, "resource", "cpu"), where + " " + role + ".resource.cpu");
        assertTrue(str(d, "spec", role, "resource", "memory").matches("\\d+[mg]"), where + " " + role + " memory");
      }
      Map<String, Object> job = map(get(d, "spec", "job"));
      assertEquals("local:///opt/flink/usrlib/electra-jobs.jar", str(job, "jarURI"), where + ": the image's job jar");
      // FlinkMain, not Main: in application mode the program runs in the JobManager, which System.exit would stop.
      assertEquals("electra.launcher.FlinkMain", str(job, "entryClass"));
      assertTrue(Set.of("stateless", "savepoint", "last-state").contains(str(job, "upgradeMode")), where);
      assertTrue(Set.of("running", "suspended").contains(str(job, "state")), where);
      assertTrue(((List<?>) job.get("args")).contains("--runner=FlinkRunner"), where);
      for (Object v : map(get(d, "spec", "flinkConfiguration")).values()) {
        assertTrue(v instanceof String, where + ": flinkConfiguration values are strings, got " + v);
      }
      assertEquals("flink-main-container", str(d, "spec", "podTemplate", "spec", "containers", 0, "name"), where);
      assertClaimsExist(d, get(d, "spec", "podTemplate", "spec", "volumes"));
    }
    assertEquals(2, n, "pipelines and serving");
  }

  /**
   * ServeQA's metrics leave a cluster through Flink's Prometheus reporter, set in the cluster's configuration
   * (--metrics_port is refused there), on the port the pods declare and announce to Prometheus.
   */
  @Test
  void servingExportsItsMetricsThroughFlinksPrometheusReporter() {
    Map<String, Object> serving = byKindAndName.get("FlinkDeployment/electra-serving");
    Map<String, Object> conf = map(get(serving, "spec", "flinkConfiguration"));
    assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        conf.get("metrics.reporter.prom.factory.class"));
    String port = (String) conf.get("metrics.reporter.prom.port");
    assertTrue(port != null && port.matches("\\d+"), "one port per pod: " + port);
    Map<String, Object> container = map(get(serving, "spec", "podTemplate", "spec", "containers", 0));
    assertEquals(Integer.parseInt(port), get(container, "ports", 0, "containerPort"));
    assertEquals(port, str(serving, "spec", "podTemplate", "metadata", "annotations", "prometheus.io/port"));
    assertTrue(((List<?>) get(serving, "spec", "job", "args")).stream()
        .noneMatch(a -> a.toString().startsWith("--metrics_port")), "the embedded-only flag stays off a cluster");
  }

  @Test
  void kafkaIsAStrimziKraftClusterWithItsTopics() {
    Map<String, Object> kafka = byKindAndName.get("Kafka/electra-kafka");
    assertNotNull(kafka);
    assertEquals("enabled", str(kafka, "metadata", "annotations", "strimzi.io/node-pools"));
    assertEquals("enabled", str(kafka, "metadata", "annotations", "strimzi.io/kraft"));
    for (Object l : (List<?>) get(kafka, "spec", "kafka", "listeners")) {
      Map<String, Object> listener = map(l);
      assertTrue(str(listener, "name").matches("[a-z0-9]{1,11}"), "listener name");
      assertTrue(Set.of("internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip")
          .contains(str(listener, "type")));
      assertTrue(listener.get("tls") instanceof Boolean && listener.get("port") instanceof Integer);
    }
    int brokers = 0;
    for (Map<String, Object> d : docs) {
      if ("KafkaNodePool".equals(d.get("kind"))) {
        assertEquals(name(kafka), str(d, "metadata", "labels", "strimzi.io/cluster"));
        @SuppressWarnings("unchecked")
        List<String> roles = (List<String>) get(d, "spec", "roles");
        assertTrue(Set.of("controller", "broker").containsAll(roles) && !roles.isEmpty());
        assertNotNull(get(d, "spec", "storage", "type"));
        if (roles.contains("broker")) {
          brokers += ((Number) get(d, "spec", "replicas")).intValue();
        }
      }
    }
    int minIsr = ((Number) get(kafka, "spec", "kafka", "config", "min.insync.replicas")).intValue();
    List<String> topics = new ArrayList<>();
    for (Map<String, Object> d : docs) {
      if ("KafkaTopic".equals(d.get("kind"))) {
        topics.add(name(d));
        assertEquals(name(kafka), str(d, "metadata", "labels", "strimzi.io/cluster"));
        int replicas = ((Number) get(d, "spec", "replicas")).intValue();
        assertTrue(replicas <= brokers && replicas > minIsr, name(d) + ": replicas vs brokers and min ISR");
        assertTrue(((Number) get(d, "spec", "partitions")).intValue() >= 1);
      }
    }
    assertEquals(List.of("qa-requests", "qa-answers", "qa-errors"), topics);
  }

  @Test
  void slurmScriptPassesBashNAndShellcheck() throws Exception {
    Path script = Path.of("slurm/run.sub");
    String text = Files.readString(script);
    assertTrue(text.startsWith("#!/usr/bin/env bash\n"));
    assertTrue(text.contains("#SBATCH --ntasks-per-node=8") && text.contains("#SBATCH --gpus-per-node=8"),
        "one worker per GPU");
    assertTrue(text.indexOf("phase \"phase 1\"") < text.indexOf("phase \"phase 2\" --phase2"), "phase 1, then 2");
    assertEquals("", run("bash", "-n", script.toString()));
    assumeTrue(installed("shellcheck"), "shellcheck not installed (apt-get install shellcheck): skipping that check");
    assertEquals("", run("shellcheck", "-s", "bash", script.toString()));
  }

  private static boolean installed(String tool) {
    try {
      return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
    } catch (IOException | InterruptedException missing) {
      return false;
    }
  }

  private static String run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    return out;
  }

  private static void assertClaimsExist(Map<String, Object> owner, Object volumes) {
    for (Object v : (List<?>) volumes) {
      Object claim = get(map(v), "persistentVolumeClaim", "claimName");
      if (claim != null) {
        assertNotNull(byKindAndName.get("PersistentVolumeClaim/" + claim), name(owner) + ": claim " + claim);
        assertTrue(((List<?>) get(byKindAndName.get("PersistentVolumeClaim/" + claim), "spec", "accessModes"))
            .contains("ReadWriteMany"), "shared by many pods");
      }
    }
  }

  private static String env(Map<String, Object> container, String name) {
    for (Object e : (List<?>) container.get("env")) {
      if (name.equals(map(e).get("name"))) {
        return String.valueOf(map(e).get("value")).trim();
      }
    }
    throw new AssertionError("no env " + name);
  }

  private static String name(Map<String, Object> d) {
    return str(d, "metadata", "name");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    assertTrue(o instanceof Map, "expected a mapping, got " + o);
    return (Map<String, Object>) o;
  }

  private static String str(Map<String, Object> d, Object... path) {
    Object v = get(d, path);
    assertTrue(v instanceof String, List.of(path) + " must be a string, got " + v);
    return (String) v;
  }

  private static Object get(Map<String, Object> d, Object... path) {
    Object cur = d;
    for (Object key : path) {
      if (cur == null) {
        return null;
      }
      cur = key instanceof Integer i ? ((List<?>) cur).get(i) : ((Map<?, ?>) cur).get(key);
    }
    return cur;
  }
}
