package electra.launcher;

import electra.cli.Directories;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.data.SampleData;
import electra.data.SampleFile;
import electra.model.ElectraConfig;
import electra.pipelines.ingest.IngestJobs;
import electra.serving.QaClient;
import electra.serving.ServeQA;
import electra.squad.SquadDataset;
import electra.squad.SquadExample;
import electra.tokenization.VocabularyResolver;
import electra.trainer.export.ExportModel;
import electra.trainer.finetune.FinetuneSquad;
import electra.trainer.postprocess.Postprocess;
import electra.trainer.pretrain.Pretrain;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code QuickStart}: the whole system end to end on embedded defaults, by calling each job in turn —
 * IngestWiki -> Pretrain (a tiny ELECTRA) -> Postprocess -> FinetuneSquad (simple head) -> ExportModel -> ServeQA
 * (in-process Kafka broker, embedded Flink) -> a handful of questions through {@code qa-requests} /
 * {@code qa-answers} -> clean shutdown. Every stage writes under {@code --work_dir}; {@code --skip_to} reuses the
 * outputs of the stages before it.
 */
public final class QuickStart implements Job {

  /** The stages, in order; {@code --skip_to} names one. */
  public enum Stage {
    INGEST("ingest"), PRETRAIN("pretrain"), POSTPROCESS("postprocess"), FINETUNE("finetune"), EXPORT("export"),
    SERVE("serve");

    final String dir;

    Stage(String dir) {
      this.dir = dir;
    }
  }

  static final String HARRY_CONTEXT = "My name is Harry and I grew up in Canada. I love apples.";
  static final String HARRY_QUESTION = "What food does Harry like?";

  // The tiny model and its windows: E 64 / H 128 / 2 layers, 128-token pre-training and fine-tuning windows.
  static final int EMBEDDING = 64;
  static final int HIDDEN = 128;
  static final int LAYERS = 2;
  static final int SEQ = 128;
  static final int QA_STRIDE = 64;
  static final int QA_QUERY = 32;

  private final PrintStream out;

  public QuickStart() {
    this(System.out);
  }

  public QuickStart(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "QuickStart";
  }

  @Override
  public String description() {
    return "end to end in minutes: ingest Wikipedia sample -> pre-train tiny ELECTRA -> fine-tune SQuAD -> export "
        + "-> serve over Kafka + Flink -> answer questions";
  }

  /** What to run and how big, each declared once as its flag. */
  record Settings(
      @Flag(value = "every stage's outputs go under this folder", defaultValue = "runs/quickstart")
      Path workDir,
      Overwrite overwrite,
      @Flag(value = "pre-training steps (batch 16, 128 tokens)", defaultValue = "500")
      long pretrainSteps,
      @Flag(value = "SQuAD dev questions to fine-tune on (2 epochs, 128 tokens)", defaultValue = "500")
      long finetuneExamples,
      @Flag(value = "SQuAD dev questions sent to the served model, besides the Harry question", defaultValue = "4")
      int questions,
      @Flag(value = "first stage to run; earlier stages' outputs under --work_dir are reused", defaultValue = "ingest")
      Stage skipTo,
      @Flag("Wikipedia dump to ingest (default: the Wikipedia sample: ../shared/data's copy, else cached or "
          + "downloaded)")
      String wiki,
      @Flag("SQuAD JSON to fine-tune on and to take questions from (default: the SQuAD v1.1 dev set: "
          + "../shared/data's copy, else cached or downloaded)")
      Path squad,
      @Flag(value = "WordPiece vocabulary: vocab.txt path or bert-base-uncased", defaultValue = "bert-base-uncased")
      String vocabFile,
      @Flag(value = "longest wait for all answers", name = "answer_timeout_s", defaultValue = "120")
      long answerTimeoutSeconds) {

    Settings {
      if (pretrainSteps < 1) {
        throw new UsageException("--pretrain_steps must be positive, got " + pretrainSteps);
      }
      if (finetuneExamples < 1) {
        throw new UsageException("--finetune_examples must be positive, got " + finetuneExamples);
      }
      if (questions < 0) {
        throw new UsageException("--questions must be >= 0, got " + questions);
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("QuickStart", "every stage on embedded defaults with a tiny model, then questions answered "
            + "through Kafka and Flink")
        .example("./electra QuickStart")
        .example("./electra QuickStart --skip_to=serve")
        .record(Settings.class);
  }

  /** Where each stage writes. */
  record Layout(Path work) {
    Path wiki() {
      return work.resolve("wiki");
    }

    Path shards() {
      return wiki().resolve("phase1/train");
    }

    Path modelConfig() {
      return work.resolve("tiny-electra-config.json");
    }

    Path pretrain() {
      return work.resolve("pretrain");
    }

    Path pretrainRun() {
      return pretrain().resolve("tiny");
    }

    Path postprocess() {
      return work.resolve("postprocess");
    }

    Path discriminator() {
      return postprocess().resolve("discriminator");
    }

    Path finetune() {
      return work.resolve("finetune");
    }

    Path finetunedHf() {
      return finetune().resolve("hf");
    }

    Path export() {
      return work.resolve("export");
    }

    Path answers() {
      return work.resolve("answers.jsonl");
    }

    Path of(Stage s) {
      return switch (s) {
        case INGEST -> wiki();
        case PRETRAIN -> pretrain();
        case POSTPROCESS -> postprocess();
        case FINETUNE -> finetune();
        case EXPORT -> export();
        case SERVE -> answers();
      };
    }
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    Stage first = settings.skipTo();
    long steps = settings.pretrainSteps();
    long examples = settings.finetuneExamples();
    Layout l = new Layout(settings.workDir());
    String vocab = settings.vocabFile();
    long t0 = System.nanoTime();
    out.printf("QuickStart: work dir %s, first stage %s%n", l.work().toAbsolutePath(), first.dir);
    SampleData samples = SampleData.fromEnvironment();
    String wiki = first != Stage.INGEST ? null : settings.wiki() != null
        ? given("Wikipedia", settings.wiki(), "--wiki")
        : sample("Wikipedia", SampleFile.WIKIPEDIA_SAMPLE, samples).toString();
    Path squad = settings.squad() != null
        ? given("SQuAD", settings.squad(), "--squad")
        : sample("SQuAD", SampleFile.SQUAD_DEV_V1_1, samples);
    if (vocab.equals(VocabularyResolver.BERT_BASE_UNCASED)) {
      sample("vocabulary", SampleFile.BERT_VOCABULARY, samples); // fetched up front; each job then finds it
    }
    // --skip_to continues a work dir: the stages before it are reused, the later ones written anew
    OutputFolder.claim(l.work(), new OutputFolder.Claim(name(), "", first != Stage.INGEST, "--skip_to=<stage>"),
        settings.overwrite());
    for (Stage s : Stage.values()) {
      if (s.ordinal() < first.ordinal()) {
        if (!Files.exists(l.of(s)) && s != Stage.SERVE) {
          throw new UsageException("--skip_to " + first.dir + ": the " + s.dir + " stage's output " + l.of(s)
              + " is missing; run from an earlier stage");
        }
        out.printf("%n== %s: reusing %s%n", s.dir, l.of(s));
        continue;
      }
      if (s != Stage.SERVE) {
        Directories.deleteRecursively(l.of(s));
      }
      long start = System.nanoTime();
      out.printf("%n== %s: %s%n", s.dir, what(s));
      switch (s) {
        case INGEST -> new IngestJobs.IngestWiki().run(new String[] {
            "--input=" + wiki, "--output=" + l.wiki(), "--vocab_file=" + vocab,
            "--max_seq_length_p1=" + SEQ, "--max_seq_length_p2=0", "--num_train_shards=2", "--num_test_shards=1"});
        case PRETRAIN -> {
          Files.createDirectories(l.pretrain());
          ElectraConfig.standard(EMBEDDING, HIDDEN, LAYERS).writeJson(l.modelConfig(), "ElectraForPreTraining");
          Pretrain pretrain = new Pretrain();
          pretrain.run(new String[] {
              "--model_config=" + l.modelConfig(), "--pretrain_tfrecords=" + l.shards(),
              "--output_dir=" + l.pretrain(), "--model_name=tiny", "--vocab_file=" + vocab,
              "--train_batch_size=16", "--num_train_steps=" + steps,
              "--num_warmup_steps=" + Math.max(1, steps / 10), "--learning_rate=2e-3",
              "--save_checkpoints_steps=" + steps, "--keep_checkpoint_max=1",
              "--log_freq=" + Math.max(1, Math.min(50, steps / 5))});
          if (pretrain.stopRequested()) {
            // Ctrl-C or SIGTERM, which Pretrain takes while it trains: the stop is QuickStart's too
            out.printf("QuickStart: stopped during the %s stage, its checkpoint saved in %s%n", s.dir,
                l.pretrainRun());
            return;
          }
        }
        case POSTPROCESS -> new Postprocess().run(new String[] {
            "--pretrain_dir=" + l.pretrainRun(), "--output_dir=" + l.postprocess(), "--what=discriminator",
            "--vocab_file=" + vocab});
        case FINETUNE -> new FinetuneSquad().run(new String[] {
            "--mode=train", "--electra_model=" + l.discriminator(), "--train_file=" + squad,
            "--max_examples=" + examples, "--head=simple", "--max_seq_length=" + SEQ,
            "--doc_stride=" + QA_STRIDE, "--max_query_length=" + QA_QUERY, "--num_train_epochs=2",
            "--train_batch_size=16", "--learning_rate=5e-4", "--keep_checkpoint_max=1",
            "--output_dir=" + l.finetune(), "--export_hf_dir=" + l.finetunedHf()});
        case EXPORT -> new ExportModel().run(new String[] {
            "--electra_model=" + l.finetunedHf(), "--output_dir=" + l.export(), "--max_seq_length=" + SEQ,
            "--doc_stride=" + QA_STRIDE, "--max_query_length=" + QA_QUERY});
        case SERVE -> serve(l, questions(squad, settings.questions()),
            Duration.ofSeconds(settings.answerTimeoutSeconds()));
      }
      out.printf(Locale.ROOT, "== %s: done in %.1f s; outputs in %s%n", s.dir, seconds(start), l.of(s));
    }
    out.printf(Locale.ROOT, "%nQuickStart: done in %.1f s. Outputs under %s:%n", seconds(t0), l.work());
    for (Stage s : Stage.values()) {
      out.printf("  %-12s %s%n", s.dir, l.of(s));
    }
    out.printf("Serve the model yourself: ./electra ServeQA --model=%s%n", l.export());
  }

  /** An input the user named, said as such. */
  private <T> T given(String label, T input, String flag) {
    out.printf("  %-10s %s (%s)%n", label, input, flag);
    return input;
  }

  /** A sample file instead, and which copy of it: the checkout's, the cached one or a new download. */
  private Path sample(String label, SampleFile sample, SampleData samples) throws IOException {
    SampleData.Located located = samples.locate(sample);
    out.printf("  %-10s %s (%s)%n", label, located.file(), located.origin());
    return located.file();
  }

  private static String what(Stage s) {
    return switch (s) {
      case INGEST -> "IngestWiki: the sample Wikipedia dump -> 128-token pre-training shards (Beam on embedded Flink)";
      case PRETRAIN -> "Pretrain: a tiny ELECTRA (E " + EMBEDDING + " / H " + HIDDEN + " / " + LAYERS
          + " layers, batch 16, " + SEQ + " tokens)";
      case POSTPROCESS -> "Postprocess: the pre-trained discriminator -> a Hugging Face folder";
      case FINETUNE -> "FinetuneSquad: the simple QA head on SQuAD dev questions (" + SEQ + " tokens, 2 epochs)";
      case EXPORT -> "ExportModel: the fine-tuned Hugging Face QA folder -> a TF SavedModel";
      case SERVE -> "ServeQA: in-process Kafka broker + streaming job on embedded Flink; questions -> qa-requests";
    };
  }

  /** The first {@code count} SQuAD questions of distinct paragraphs, then the Harry question. */
  static List<QaClient.Request> questions(Path squad, int count) throws IOException {
    List<QaClient.Request> qs = new ArrayList<>();
    String lastContext = null;
    for (SquadExample e : SquadDataset.read(squad).examples()) {
      if (qs.size() >= count) {
        break;
      }
      if (e.context().equals(lastContext) || e.context().length() > 2000) {
        continue;
      }
      lastContext = e.context();
      qs.add(new QaClient.Request(e.id(), e.question(), e.context()));
    }
    qs.add(new QaClient.Request("harry", HARRY_QUESTION, HARRY_CONTEXT));
    return qs;
  }

  /** Starts the broker and ServeQA, sends the questions, prints the answers, and shuts everything down. */
  private void serve(Layout l, List<QaClient.Request> questions, Duration timeout) throws Exception {
    ServeQA.Running job = ServeQA.start(new ServeQA(out).parse("--model=" + l.export(), "--model_name=quickstart",
        "--max_batch_wait_ms=20"), out);
    try {
      Map<String, QaClient.Reply> replies;
      try (QaClient client = QaClient.connect(job.bootstrapServers(), QaClient.Topics.DEFAULTS, Map.of())) {
        out.printf("sent %d questions to qa-requests on %s; waiting for qa-answers ...%n", questions.size(),
            job.bootstrapServers());
        replies = client.ask(questions, timeout, r -> out.print("\n" + r.describe()));
      }
      List<String> answers = replies.values().stream().filter(r -> r.answer() != null)
          .map(r -> r.answer().toString()).toList();
      Files.write(l.answers(), answers, StandardCharsets.UTF_8);
      List<String> refused = replies.values().stream().filter(r -> r.error() != null)
          .map(r -> r.request().id() + ": " + r.error()).toList();
      if (!refused.isEmpty()) {
        throw new IllegalStateException(refused.size() + " question(s) were refused on qa-errors: " + refused);
      }
      List<String> missing = questions.stream().map(QaClient.Request::id).filter(id -> !replies.containsKey(id))
          .toList();
      if (!missing.isEmpty()) {
        throw new IllegalStateException("no answer within " + timeout.toSeconds() + " s for " + missing);
      }
    } finally {
      long stop = System.nanoTime();
      job.close();
      out.printf(Locale.ROOT, "%nstopped the streaming job and the Kafka broker in %.1f s%n", seconds(stop));
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

}
