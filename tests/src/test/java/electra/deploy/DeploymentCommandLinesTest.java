package electra.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.beam.BeamJob;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.launcher.FlinkMain;
import electra.pipelines.ingest.IngestOptions;
import electra.pipelines.ingest.IngestWikiOptions;
import electra.serving.ServeQaOptions;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.pretrain.PretrainConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * Every job command line in infra/ - the Kubernetes manifests' args, the Slurm script's srun lines (the script is
 * run, with an srun that records what it was asked to start), the trainer image's documented {@code docker run} -
 * parsed by that job's own flag parser: Beam jobs by their options ({@link BeamJob#parse}), Pretrain by its
 * {@code @Flag} records and the data-parallel settings with the environment its pod or Slurm task has. A flag a job
 * refuses fails here, not on a cluster. Then the paths: what ingest writes is what the trainer reads, on the same
 * volume; Slurm's two phases read that layout and share one run; the Flink image holds the job jar where the
 * deployments point and TensorFlow in Flink's lib/, not usrlib/.
 */
class DeploymentCommandLinesTest {

  private static final Path INFRA = Path.of("..", "infra").toAbsolutePath().normalize();
  private static final Map<String, Job> JOBS = new HashMap<>();

  /** One job started by a deployment file: where, the job's name, its arguments, its environment, its volumes. */
  record CommandLine(String where, String job, List<String> args, Map<String, String> env,
      Map<String, String> claimByMountPath) {

    Object parse() {
      Job job = JOBS.get(job());
      assertNotNull(job, where + ": no job named " + job());
      String[] flags = args.toArray(String[]::new);
      try {
        if (job instanceof BeamJob<?> beam) {
          return beam.parse(flags);
        }
        if (job().equals("Pretrain")) {
          PretrainConfig.flags().parse(flags).record(DataParallelSettings.CommandLine.class).resolve(env);
          return PretrainConfig.parse(flags);
        }
      } catch (UsageException refused) {
        throw new AssertionError(where + ": " + job() + " refuses " + String.join(" ", args) + ": "
            + refused.getMessage(), refused);
      }
      throw new AssertionError(where + ": " + job() + " has no parser in this test yet; add its flag records");
    }

    /** The claim a path lies on, through the longest mount path that holds it. */
    String claimOf(String path) {
      return claimByMountPath.entrySet().stream().filter(m -> Path.of(path).startsWith(m.getKey()))
          .max((a, b) -> a.getKey().length() - b.getKey().length()).map(Map.Entry::getValue)
          .orElseThrow(() -> new AssertionError(where + ": " + path + " is on no mounted volume"));
    }
  }

  static final List<CommandLine> kubernetes = new ArrayList<>();
  static final List<Map<String, Object>> flinkDeployments = new ArrayList<>();
  static final List<CommandLine> slurm = new ArrayList<>();
  static final List<CommandLine> slurmInContainer = new ArrayList<>();
  static CommandLine dockerRun;

  @TempDir
  static Path temp;

  @BeforeAll
  static void readEveryCommandLine() throws Exception {
    for (Job job : ServiceLoader.load(Job.class)) {
      JOBS.put(job.name(), job);
    }
    readKubernetes();
    slurm.addAll(runSlurmScript(""));
    slurmInContainer.addAll(runSlurmScript("electra-trainer.sqsh"));
    dockerRun = dockerRunExample();
  }

  @Test
  void everyJobCommandLineParsesWithItsJobsOwnFlags() {
    List<CommandLine> all = new ArrayList<>(kubernetes);
    all.addAll(slurm);
    all.addAll(slurmInContainer);
    all.add(dockerRun);
    assertEquals(List.of("IngestWiki", "ServeQA", "Pretrain"), kubernetes.stream().map(CommandLine::job).toList(),
        "flink-pipelines, flink-serving, trainer (files in name order)");
    assertEquals(2, slurm.size(), "phase 1 and phase 2");
    for (CommandLine c : all) {
      assertNotNull(c.parse(), c.where());
    }
  }

  /** The parse above can fail: IngestWiki refuses the flag flink-pipelines.yaml once passed. */
  @Test
  void aFlagTheJobRefusesFailsTheParse() {
    CommandLine wrong = new CommandLine("flink-pipelines.yaml as it was", "IngestWiki",
        List.of("--runner=FlinkRunner", "--output=/data/phase1/train", "--max_seq_length=128"), Map.of(), Map.of());
    AssertionError e = assertThrows(AssertionError.class, wrong::parse);
    assertTrue(e.getMessage().contains("IngestWiki refuses") && e.getMessage().contains("maxSeqLength"),
        e.getMessage());
  }

  @Test
  void theTrainerReadsWhatIngestWritesOnTheSameVolume() {
    CommandLine ingest = only(kubernetes, "IngestWiki");
    CommandLine trainer = only(kubernetes, "Pretrain");
    IngestOptions written = ((PipelineOptions) ingest.parse()).as(IngestWikiOptions.class);
    PretrainConfig read = (PretrainConfig) trainer.parse();

    assertEquals(Path.of(written.getOutput(), "phase1", "train").toString(), read.pretrainTfrecords(),
        "trainer.yaml --pretrain_tfrecords is flink-pipelines.yaml's --output + /phase1/train");
    assertEquals(written.getVocabFile(), read.vocabFile(), "the shards' vocabulary fingerprint must match");
    assertEquals(ingest.claimOf(written.getOutput()), trainer.claimOf(read.pretrainTfrecords()), "same volume");
    assertEquals(ingest.claimOf(written.getInput()), ingest.claimOf(written.getOutput()));
    assertFalse(ingest.claimByMountPath().containsKey(written.getOutput()),
        "ingest's output is a folder of its own, not the volume's root: it claims the folder it writes");

    // ServeQA's model comes from FinetuneSquad + ExportModel, which no file here runs: it must at least be on the
    // volume every stage shares.
    CommandLine serving = only(kubernetes, "ServeQA");
    String model = ((PipelineOptions) serving.parse()).as(ServeQaOptions.class).getModel();
    assertEquals(trainer.claimOf(read.outputDir().toString()), serving.claimOf(model));
  }

  @Test
  void slurmPhasesReadTheIngestLayoutAndShareOneRun() {
    IngestOptions ingest = ((PipelineOptions) only(kubernetes, "IngestWiki").parse()).as(IngestOptions.class);
    Path shardsUnderData = Path.of("/data").relativize(Path.of(ingest.getOutput()));
    PretrainConfig phase1 = (PretrainConfig) slurm.get(0).parse();
    PretrainConfig phase2 = (PretrainConfig) slurm.get(1).parse();
    Path data = Path.of(slurm.get(0).env().get("DATA"));
    assertFalse(phase1.phase2());
    assertTrue(phase2.phase2());
    assertEquals(data.resolve(shardsUnderData).resolve("phase1/train").toString(), phase1.pretrainTfrecords());
    assertEquals(data.resolve(shardsUnderData).resolve("phase2/train").toString(), phase2.pretrainTfrecords());
    assertTrue(ingest.getMaxSeqLengthP2() > 0, "ingest writes the phase-2 shards phase 2 reads");
    assertEquals(phase1.runDir(), phase2.runDir(), "phase 2 starts from phase 1's latest checkpoint of the same run");
    assertEquals(data.resolve("vocab.txt").toString(), phase1.vocabFile());
  }

  @Test
  void imagesHoldWhatTheDeploymentsStart() throws IOException {
    String flinkImage = Files.readString(INFRA.resolve("docker/Dockerfile.flink"));
    Matcher jobJar = Pattern.compile("(?m)^COPY .*\\s(/opt/flink/usrlib/\\S+\\.jar)$").matcher(flinkImage);
    assertTrue(jobJar.find(), "Dockerfile.flink copies the job jar into usrlib/");
    for (Map<String, Object> d : flinkDeployments) {
      Map<?, ?> job = (Map<?, ?>) ((Map<?, ?>) d.get("spec")).get("job");
      assertEquals("local://" + jobJar.group(1), job.get("jarURI"), d.get("__file") + ": the image's job jar");
      assertEquals(FlinkMain.class.getName(), job.get("entryClass"), d.get("__file") + ": the job jar's entry class");
    }
    List<String> intoUsrlib = flinkImage.lines().filter(l -> l.startsWith("COPY") && l.contains("usrlib")).toList();
    assertEquals(1, intoUsrlib.size(), "only the job jar goes to usrlib/: " + intoUsrlib);
    assertTrue(flinkImage.lines().anyMatch(l -> l.matches("COPY .*lib/cluster/ /opt/flink/lib/")),
        "TensorFlow, JavaCPP, ONNX Runtime and protobuf (lib/cluster/) go to Flink's own lib/");

    String trainerImage = Files.readString(INFRA.resolve("docker/Dockerfile.trainer"));
    assertTrue(trainerImage.contains("\nCOPY --from=build /out/electra /opt/electra\n"), "the unpacked tarball");
    assertTrue(trainerImage.contains("\nENTRYPOINT [\"/opt/electra/bin/electra\"]\n"), "its bin/electra");
    for (CommandLine c : slurmInContainer) {
      assertEquals("/opt/electra/bin/electra", c.env().get("launcher"), c.where() + ": the image's bin/electra");
    }
    for (CommandLine c : slurm) {
      assertEquals(c.env().get("REPO") + "/electra", c.env().get("launcher"), c.where() + ": the checkout's ./electra");
    }
  }

  private static CommandLine only(List<CommandLine> lines, String job) {
    List<CommandLine> matching = lines.stream().filter(c -> c.job().equals(job)).toList();
    assertEquals(1, matching.size(), job + " in " + lines);
    return matching.get(0);
  }

  @SuppressWarnings("unchecked")
  private static void readKubernetes() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(INFRA.resolve("k8s"))) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        for (Object o : new Yaml(new LoaderOptions()).loadAll(in)) {
          Map<String, Object> doc = (Map<String, Object>) o;
          doc.put("__file", file.getFileName().toString());
          Map<String, Object> spec = (Map<String, Object>) doc.get("spec");
          String where = file.getFileName() + " " + doc.get("kind");
          if ("FlinkDeployment".equals(doc.get("kind"))) {
            flinkDeployments.add(doc);
            Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("podTemplate")).get("spec");
            Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
            List<String> args = (List<String>) ((Map<String, Object>) spec.get("job")).get("args");
            kubernetes.add(new CommandLine(where, args.get(0), args.subList(1, args.size()), env(container, Map.of()),
                claims(pod, container)));
          } else if ("Job".equals(doc.get("kind"))) {
            Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) spec.get("template")).get("spec");
            for (Map<String, Object> container : (List<Map<String, Object>>) pod.get("containers")) {
              assertFalse(container.containsKey("command"), where + ": the image's ENTRYPOINT (bin/electra) starts it");
              List<String> args = (List<String>) container.get("args");
              // Kubernetes sets JOB_COMPLETION_INDEX in each pod of an indexed Job.
              kubernetes.add(new CommandLine(where, args.get(0), args.subList(1, args.size()),
                  env(container, Map.of("JOB_COMPLETION_INDEX", "0")), claims(pod, container)));
            }
          }
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> env(Map<String, Object> container, Map<String, String> set) {
    Map<String, String> env = new LinkedHashMap<>(set);
    for (Map<String, Object> e : (List<Map<String, Object>>) container.getOrDefault("env", List.of())) {
      env.put((String) e.get("name"), String.valueOf(e.get("value")).trim());
    }
    return env;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> claims(Map<String, Object> pod, Map<String, Object> container) {
    Map<String, String> claimByVolume = new HashMap<>();
    for (Map<String, Object> v : (List<Map<String, Object>>) pod.get("volumes")) {
      Map<String, Object> claim = (Map<String, Object>) v.get("persistentVolumeClaim");
      if (claim != null) {
        claimByVolume.put((String) v.get("name"), (String) claim.get("claimName"));
      }
    }
    Map<String, String> byMount = new HashMap<>();
    for (Map<String, Object> m : (List<Map<String, Object>>) container.get("volumeMounts")) {
      if (claimByVolume.containsKey(m.get("name"))) {
        byMount.put((String) m.get("mountPath"), claimByVolume.get(m.get("name")));
      }
    }
    return byMount;
  }

  /**
   * Runs slurm/run.sub as sbatch would on 2 nodes of 8 tasks, with an {@code srun} on PATH that records its
   * arguments instead of starting anything; each recorded line becomes the job command line after the launcher.
   */
  private static List<CommandLine> runSlurmScript(String container) throws Exception {
    Path dir = Files.createDirectories(temp.resolve("slurm" + container.length()));
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path log = dir.resolve("srun.log");
    Files.writeString(bin.resolve("srun"), "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" >> \"$SRUN_LOG\"\n"
        + "echo '<end>' >> \"$SRUN_LOG\"\n");
    assertTrue(bin.resolve("srun").toFile().setExecutable(true));
    Map<String, String> env = new LinkedHashMap<>(Map.of("REPO", dir.resolve("repo").toString(),
        "DATA", "/lustre/electra/data", "RESULTS", dir.resolve("runs").toString(), "SLURM_JOB_NUM_NODES", "2",
        "SLURM_NTASKS", "16", "SLURM_JOB_NODELIST", "gpu[01-02]", "SLURM_TASKS_PER_NODE", "8(x2)",
        "SLURM_PROCID", "0", "SLURM_LOCALID", "0"));
    env.put("CONTAINER", container);
    ProcessBuilder sbatch = new ProcessBuilder("bash", INFRA.resolve("slurm/run.sub").toString())
        .directory(dir.toFile()).redirectErrorStream(true);
    sbatch.environment().putAll(env);
    sbatch.environment().put("SRUN_LOG", log.toString());
    sbatch.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    Process p = sbatch.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);

    List<CommandLine> lines = new ArrayList<>();
    List<String> args = new ArrayList<>();
    for (String line : Files.readAllLines(log)) {
      if (!line.equals("<end>")) {
        args.add(line);
        continue;
      }
      // srun's own options, then the launcher (one or more words), then the job's name and flags
      int name = 0;
      while (name < args.size() && !JOBS.containsKey(args.get(name))) {
        name++;
      }
      assertTrue(name < args.size(), "run.sub started no job: " + args);
      int launcher = 0;
      while (args.get(launcher).startsWith("--")) {
        launcher++;
      }
      Map<String, String> taskEnv = new LinkedHashMap<>(env);
      taskEnv.put("launcher", String.join(" ", args.subList(launcher, name)));
      taskEnv.put("ELECTRA_PORT", "2222");
      lines.add(new CommandLine("slurm/run.sub srun " + (lines.size() + 1) + (container.isEmpty() ? "" : " in "
          + container), args.get(name), List.copyOf(args.subList(name + 1, args.size())), taskEnv, Map.of()));
      args.clear();
    }
    return lines;
  }

  /** The {@code # Run:  docker run ... electra-trainer:<tag> NAME --flags} line in Dockerfile.trainer's header. */
  private static CommandLine dockerRunExample() throws IOException {
    String line = Files.readAllLines(INFRA.resolve("docker/Dockerfile.trainer")).stream()
        .filter(l -> l.startsWith("# Run:  docker run ")).findFirst()
        .orElseThrow(() -> new AssertionError("Dockerfile.trainer documents a docker run line"));
    List<String> words = List.of(line.substring("# Run:  ".length()).split("\\s+"));
    int image = -1;
    for (int i = 0; i < words.size(); i++) {
      if (words.get(i).startsWith("electra-trainer:")) {
        image = i;
      }
    }
    assertTrue(image > 0, line);
    return new CommandLine("docker/Dockerfile.trainer docker run", words.get(image + 1),
        words.subList(image + 2, words.size()), Map.of(), Map.of());
  }
}
