package electra.house;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.UsageException;
import electra.data.Checksum;
import electra.data.DownloadSettings;
import electra.data.FileServer;
import electra.data.Mirror;
import electra.launcher.Platform;
import electra.launcher.QuickStart;
import electra.pipelines.download.DownloadGlue;
import electra.pipelines.download.DownloadSquad;
import electra.pipelines.download.DownloadWiki;
import electra.pipelines.ingest.IngestJobs;
import electra.pipelines.vocab.BuildVocab;
import electra.pipelines.squad.PrepareSquad;
import electra.records.ShardManifest;
import electra.tokenization.Vocabulary;
import electra.trainer.evaluate.EvaluateCheckpoints;
import electra.trainer.export.ExportModel;
import electra.trainer.finetune.FinetuneGlue;
import electra.trainer.finetune.FinetuneTagging;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.postprocess.ImportModel;
import electra.trainer.postprocess.Postprocess;
import electra.trainer.pretrain.Pretrain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The output-folder rule ({@link OutputFolder}) for every job that writes a folder: another job's output is refused in
 * one line naming {@code --overwrite} and left as it was; {@code --overwrite} replaces it; the same job continuing its
 * own work goes on, and a run that does not continue it (every run of a job that never continues) is refused like
 * another job. Each run is the cheapest one that gets past the claim: a tiny real run, or one that fails on purpose
 * right after it, on a file it reads only then (a checkpoint to restore, a training file).
 */
class OutputFolderRuleTest {

  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", "../shared"));
  private static final Path VOCAB = SHARED.resolve("data/vocab/bert-base-uncased-vocab.txt");
  private static final Path GOLDEN_QA = SHARED.resolve("golden/tiny-discriminator-qa");
  private static final String OTHER_JOB = "SomeOtherJob";
  private static final String DUMP = "/enwiki/latest/enwiki-latest-pages-articles-multistream.xml.bz2";
  private static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  private static final DownloadSettings IMPATIENT =
      new DownloadSettings(1, Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(10));

  @TempDir
  static Path tmp;
  static Path inputs;
  static FileServer server;
  static Map<String, Checksum> squadChecksums;

  /**
   * A job that writes a folder, and how to run it into a given folder: a run that starts the folder anew, and one that
   * continues the job's own work there (null where the job has no such run).
   */
  record Case(String name, String job, Supplier<Job> jobs, Function<Path, List<String>> fresh,
      Function<Path, List<String>> continuing) {

    /** The run --overwrite is checked with: the continuing one where there is one (the cheaper here). */
    List<String> anyRun(Path folder) {
      return continuing != null ? continuing.apply(folder) : fresh.apply(folder);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void inputs() throws Exception {
    Assumptions.assumeTrue(Files.isRegularFile(VOCAB) && Files.isDirectory(GOLDEN_QA),
        "reference data not found under " + SHARED.toAbsolutePath() + ": skipping");
    inputs = Files.createDirectories(tmp.resolve("inputs"));
    Files.createDirectories(inputs.resolve("nothing-yet"));
    Files.writeString(Files.createDirectories(inputs.resolve("corpus")).resolve("a.txt"),
        "The cat sat on the mat.\n\nDogs bark.\n");
    Files.writeString(Files.createDirectories(inputs.resolve("wiki")).resolve("dump.xml"), "<mediawiki/>\n");
    String context = "My name is Harry and I grew up in Canada.";
    Files.writeString(inputs.resolve("squad.json"), "{\"version\": \"1.1\", \"data\": [{\"title\": \"T\", "
        + "\"paragraphs\": [{\"context\": \"" + context + "\", \"qas\": [{\"id\": \"q1\", \"question\": \"Where did "
        + "Harry grow up?\", \"answers\": [{\"text\": \"Canada\", \"answer_start\": " + context.indexOf("Canada")
        + "}]}]}]}]}");
    Files.writeString(inputs.resolve("tiny.json"), "{\"vocab_size\": 30522, \"embedding_size\": 16, "
        + "\"hidden_size\": 32, \"num_hidden_layers\": 1, \"num_attention_heads\": 2, \"intermediate_size\": 64, "
        + "\"max_position_embeddings\": 128}");
    // a shard folder whose only shard is never read: the runs stop before their first step
    Path shards = Files.createDirectories(inputs.resolve("shards"));
    Files.writeString(shards.resolve(ShardManifest.FILE_NAME), new ShardManifest(64,
        Vocabulary.load(VOCAB).fingerprint(), Map.of(), List.of(new ShardManifest.Shard("never-read", 8))).toJson());
    new ImportModel(QUIET).run(new String[] {"--from_hf=" + GOLDEN_QA, "--output_dir=" + inputs.resolve("imported"),
        "--vocab_file=" + VOCAB});

    server = new FileServer().serve(DUMP, new byte[] {1, 2, 3});
    Map<String, Checksum> checksums = new HashMap<>();
    for (String file : List.of("train-v1.1.json", "dev-v1.1.json")) {
      Path served = Files.writeString(inputs.resolve(file), "{\"data\": []}\n");
      server.serve("/" + file, Files.readAllBytes(served));
      checksums.put(file, Checksum.of(Checksum.Algorithm.SHA256, served));
    }
    squadChecksums = Map.copyOf(checksums);
    // two RTE pairs in the GLUE distribution's layout: FinetuneGlue trains one step on them
    String rte = "index\tsentence1\tsentence2\tlabel\n0\tThe cat sat.\tA cat sat.\tentailment\n"
        + "1\tDogs bark.\tCats bark.\tnot_entailment\n";
    Path glue = Files.createDirectories(inputs.resolve("glue/RTE"));
    Files.writeString(glue.resolve("train.tsv"), rte);
    Files.writeString(glue.resolve("dev.tsv"), rte);
    // two tagged sentences in CoNLL-2003's layout: FinetuneTagging trains one step on them
    String conll = "The DT B-NP O\ncat NN I-NP O\nsat VBD B-VP O\n\nHarry NNP B-NP I-PER\nran VBD B-VP O\n";
    Path ner = Files.createDirectories(inputs.resolve("ner"));
    Files.writeString(ner.resolve("train.txt"), conll);
    Files.writeString(ner.resolve("dev.txt"), conll);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  static Stream<Case> cases() {
    Function<Path, List<String>> squadTraining = f -> List.of("--mode=train", "--electra_model=" + GOLDEN_QA,
        "--vocab_file=" + VOCAB, "--train_file=" + inputs.resolve("not-there.json"), "--head=simple",
        "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16");
    Function<Path, List<String>> taggingTraining = f -> List.of("--mode=train", "--task_name=ner",
        "--electra_model=" + GOLDEN_QA, "--vocab_file=" + VOCAB, "--data_dir=" + inputs.resolve("ner"),
        "--max_seq_length=32", "--num_train_epochs=1", "--train_batch_size=2", "--output_dir=" + f);
    return Stream.of(
        ingest("IngestWiki", IngestJobs.IngestWiki::new, inputs.resolve("wiki/dump.xml")),
        ingest("IngestBooks", IngestJobs.IngestBooks::new, inputs.resolve("corpus")),
        ingest("IngestText", IngestJobs.IngestText::new, inputs.resolve("corpus")),
        // several corpora are never watched, so no run continues another's folder
        new Case("IngestCorpora", "IngestCorpora", IngestJobs.IngestCorpora::new, f -> List.of("--input=text="
            + inputs.resolve("corpus") + ",books=" + inputs.resolve("corpus"), "--output=" + f, "--vocab_file=" + VOCAB,
            "--runner=DirectRunner", "--max_seq_length_p2=0"), null),
        new Case("BuildVocab", "BuildVocab", BuildVocab::new, f -> List.of("--input=" + inputs.resolve("corpus"),
            "--output=" + f, "--vocab_size=100", "--min_frequency=1", "--runner=DirectRunner"), null),
        new Case("PrepareSquad", "PrepareSquad", PrepareSquad::new, f -> List.of("--input=" + inputs.resolve(
            "squad.json"), "--output=" + f, "--vocab_file=" + VOCAB, "--runner=DirectRunner", "--num_shards=1",
            "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16"), null),
        // restoring a checkpoint continues the run; this one is not there, so the run ends once its graph is built
        new Case("Pretrain", "Pretrain", () -> new Pretrain(QUIET), pretrainRunIn(),
            f -> plus(pretrainRunIn().apply(f), "--restore_checkpoint=" + inputs.resolve("no-checkpoint"))),
        // phase 2 continues the run's phase 1; there is none here, so the run ends once its graph is built
        new Case("Pretrain --phase2", "Pretrain", () -> new Pretrain(QUIET), pretrainRunIn(),
            f -> plus(pretrainRunIn().apply(f), "--phase2")),
        // training continues its folder; the training file is not there, so the run ends once its graph is built
        new Case("FinetuneSquad", "FinetuneSquad", () -> new FinetuneSquad(QUIET), f -> List.of("--mode=eval",
            "--electra_model=" + GOLDEN_QA, "--vocab_file=" + VOCAB, "--predict_file=" + inputs.resolve("squad.json"),
            "--output_dir=" + f, "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16"),
            f -> plus(squadTraining.apply(f), "--output_dir=" + f)),
        new Case("FinetuneSquad --export_hf_dir", "FinetuneSquad", () -> new FinetuneSquad(QUIET), null,
            f -> plus(squadTraining.apply(f), "--output_dir=" + f + "-run", "--export_hf_dir=" + f)),
        // training continues its folder: a finished run resumes at its last checkpoint and trains no more
        new Case("FinetuneGlue", "FinetuneGlue", () -> new FinetuneGlue(QUIET), f -> List.of("--mode=eval",
            "--task_name=rte", "--electra_model=" + GOLDEN_QA, "--vocab_file=" + VOCAB, "--data_dir="
            + inputs.resolve("glue"), "--max_seq_length=32", "--output_dir=" + f), f -> List.of("--mode=train",
            "--task_name=rte", "--electra_model=" + GOLDEN_QA, "--vocab_file=" + VOCAB, "--data_dir="
            + inputs.resolve("glue"), "--max_seq_length=32", "--num_train_epochs=1", "--train_batch_size=2",
            "--output_dir=" + f)),
        new Case("FinetuneGlue --export_dir", "FinetuneGlue", () -> new FinetuneGlue(QUIET), null, f -> List.of(
            "--mode=train", "--task_name=rte", "--electra_model=" + GOLDEN_QA, "--vocab_file=" + VOCAB, "--data_dir="
            + inputs.resolve("glue"), "--max_seq_length=32", "--num_train_epochs=1", "--train_batch_size=2",
            "--output_dir=" + f + "-run", "--export_dir=" + f)),
        new Case("FinetuneTagging", "FinetuneTagging", () -> new FinetuneTagging(QUIET), null, taggingTraining),
        new Case("FinetuneTagging --export_dir", "FinetuneTagging", () -> new FinetuneTagging(QUIET), null,
            f -> plus(taggingTraining.apply(Path.of(f + "-run")), "--export_dir=" + f)),
        new Case("Postprocess", "Postprocess", () -> new Postprocess(QUIET), f -> List.of("--checkpoint="
            + inputs.resolve("imported/ckpt-000000"), "--output_dir=" + f, "--vocab_file=" + VOCAB,
            "--what=discriminator"), null),
        new Case("ImportModel", "ImportModel", () -> new ImportModel(QUIET), f -> List.of("--from_hf=" + GOLDEN_QA,
            "--output_dir=" + f, "--vocab_file=" + VOCAB), null),
        new Case("ExportModel", "ExportModel", () -> new ExportModel(QUIET), f -> List.of("--electra_model="
            + GOLDEN_QA, "--vocab_file=" + VOCAB, "--output_dir=" + f, "--max_seq_length=64", "--doc_stride=32",
            "--max_query_length=16"), null),
        // always continues its work folder; the run folder has no checkpoint, so the run ends once its data is written
        new Case("EvaluateCheckpoints", "EvaluateCheckpoints", () -> new EvaluateCheckpoints(QUIET), null,
            f -> List.of("--run_dir=" + inputs.resolve("nothing-yet"), "--work_dir=" + f, "--follow=false",
                "--publish=never", "--train_file=" + inputs.resolve("squad.json"), "--eval_file="
                + SHARED.resolve("data/squad/dev-v1.1.json.gz"), "--train_questions=1", "--eval_questions=1",
                "--vocab_file=" + VOCAB)),
        new Case("DownloadWiki", "DownloadWiki", () -> new DownloadWiki(QUIET, IMPATIENT, () -> Mirror.NONE), null,
            f -> List.of("--base_url=" + server.base(), "--skip_checksum", "--output_dir=" + f)),
        new Case("DownloadSquad", "DownloadSquad",
            () -> new DownloadSquad(QUIET, IMPATIENT, () -> Mirror.NONE, squadChecksums), null,
            f -> List.of("--version=1.1", "--base_url=" + server.base(), "--output_dir=" + f)),
        // nothing is served: the download fails after the claim
        new Case("DownloadGlue", "DownloadGlue",
            () -> new DownloadGlue(QUIET, IMPATIENT, () -> Mirror.parse(server.base()), DownloadGlue.OFFICIAL_SHA256),
            null, f -> List.of("--tasks=wnli", "--output_dir=" + f)),
        // --skip_to continues the work dir; its earlier stages are not there, so the run ends at once
        new Case("QuickStart", "QuickStart", () -> new QuickStart(QUIET), f -> List.of("--work_dir=" + f,
            "--wiki=" + inputs.resolve("wiki/dump.xml"), "--squad=" + inputs.resolve("squad.json"),
            "--vocab_file=" + VOCAB), f -> List.of("--work_dir=" + f, "--skip_to=pretrain",
            "--squad=" + inputs.resolve("squad.json"), "--vocab_file=" + VOCAB)),
        // always continues its work dir; no book arrives, so ingest stops after --max_idle and the run ends there
        new Case("Platform", "Platform", () -> new Platform(QUIET), null, f -> List.of("--work_dir=" + f,
            "--corpus=" + inputs.resolve("nothing-yet"), "--vocab_file=" + VOCAB, "--poll_interval_s=1",
            "--max_idle=1")));
  }

  /** An ingest job: a batch run over {@code input}, and {@code --watch} over a folder where no file lands. */
  private static Case ingest(String job, Supplier<Job> jobs, Path input) {
    return new Case(job, job, jobs, f -> List.of("--input=" + input, "--output=" + f, "--vocab_file=" + VOCAB,
        "--runner=DirectRunner", "--max_seq_length_p2=0"), f -> List.of("--input=" + inputs.resolve("nothing-yet"),
        "--output=" + f, "--vocab_file=" + VOCAB, "--runner=DirectRunner", "--max_seq_length_p2=0", "--watch",
        "--poll_interval=1", "--max_idle=1"));
  }

  /** A Pretrain run whose run folder is the given one: {@code --output_dir} its parent, {@code --model_name} it. */
  private static Function<Path, List<String>> pretrainRunIn() {
    return f -> List.of("--pretrain_tfrecords=" + inputs.resolve("shards"), "--model_config=" + inputs.resolve(
        "tiny.json"), "--vocab_file=" + VOCAB, "--output_dir=" + f.getParent(), "--model_name=" + f.getFileName(),
        "--generator_hidden_size=0.5", "--train_batch_size=2", "--num_train_steps=1", "--num_warmup_steps=0");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void anotherJobsOutputIsRefusedInOneLineNamingOverwriteAndLeftAlone(Case c) throws IOException {
    Path folder = holdingAnotherJobsOutput("refused", c);
    for (Function<Path, List<String>> run : Stream.of(c.fresh(), c.continuing()).filter(Objects::nonNull).toList()) {
      UsageException refused = assertThrows(UsageException.class, () -> c.jobs().get().run(args(run.apply(folder))));
      assertEquals(folder + " holds " + OTHER_JOB + "'s output; --overwrite replaces it (deletes it first), or "
          + "choose another folder", refused.getMessage());
      assertEquals(List.of(OutputFolder.MARKER, "theirs.txt"), names(folder), "left as it was");
      assertEquals(OTHER_JOB, owner(folder));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void overwriteReplacesIt(Case c) throws Exception {
    Path folder = holdingAnotherJobsOutput("overwritten", c);
    runPastTheClaim(c, plus(c.anyRun(folder), "--overwrite"));
    assertFalse(Files.exists(folder.resolve("theirs.txt")), "the other job's output is gone: " + names(folder));
    assertEquals(c.job(), owner(folder));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theSameJobContinuesItsOwnWorkAndRefusesAnEarlierRunItDoesNotContinue(Case c) throws Exception {
    Path folder = tmp.resolve("continued").resolve(c.name().replaceAll("\\W+", "-"));
    runPastTheClaim(c, c.anyRun(folder));
    assertEquals(c.job(), owner(folder));
    Files.writeString(folder.resolve("earlier.txt"), "an earlier run's output");
    if (c.continuing() != null) {
      runPastTheClaim(c, c.continuing().apply(folder));
    }
    if (c.fresh() != null) {
      UsageException refused = assertThrows(UsageException.class,
          () -> c.jobs().get().run(args(c.fresh().apply(folder))));
      assertTrue(refused.getMessage().startsWith(folder + " holds an earlier " + c.job() + " run's output"),
          refused.getMessage());
      assertTrue(refused.getMessage().endsWith("; --overwrite replaces it (deletes it first), or choose another "
          + "folder"), refused.getMessage());
    }
    assertTrue(Files.exists(folder.resolve("earlier.txt")), "the earlier output is kept");
  }

  @Test
  void everyJobWithOverwriteHasItsCase() {
    Set<String> withOverwrite = new TreeSet<>();
    for (Job job : ServiceLoader.load(Job.class)) {
      String help = assertThrows(HelpRequested.class, () -> job.run(new String[] {"--help"})).getMessage();
      if (help.contains("--overwrite")) {
        withOverwrite.add(job.name());
      }
    }
    assertEquals(withOverwrite, new TreeSet<>(cases().map(Case::job).toList()));
  }

  /** A folder of its own for the case and the test, holding another job's marker and a file of that job's. */
  private static Path holdingAnotherJobsOutput(String test, Case c) throws IOException {
    Path folder = Files.createDirectories(tmp.resolve(test).resolve(c.name().replaceAll("\\W+", "-")));
    Files.writeString(folder.resolve(OutputFolder.MARKER), "{\"job\": \"" + OTHER_JOB + "\", \"work\": \"\"}\n");
    Files.writeString(folder.resolve("theirs.txt"), OTHER_JOB + "'s output");
    return folder;
  }

  /**
   * Runs the job, which may end in a failure it meets after its claim (a file it reads only then) but must not be
   * refused.
   */
  private static void runPastTheClaim(Case c, List<String> args) {
    try {
      c.jobs().get().run(args(args));
    } catch (Exception e) {
      if (e instanceof UsageException && e.getMessage().contains("--overwrite")) {
        fail(c + " was refused: " + e.getMessage());
      }
    }
  }

  private static List<String> plus(List<String> args, String... more) {
    return Stream.concat(args.stream(), Stream.of(more)).toList();
  }

  private static String[] args(List<String> args) {
    return args.toArray(String[]::new);
  }

  private static String owner(Path folder) throws IOException {
    return new ObjectMapper().readTree(folder.resolve(OutputFolder.MARKER).toFile()).get("job").asText();
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
