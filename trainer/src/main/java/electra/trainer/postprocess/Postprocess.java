package electra.trainer.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code Postprocess} job (NVIDIA's {@code postprocess_pretrained_ckpt.py}): from a pre-training checkpoint ({@code
 * --pretrain_dir}: its newest phase-2, else phase-1 checkpoint; or {@code --checkpoint}) write {@code
 * <output_dir>/discriminator/} and {@code <output_dir>/generator/}, each holding
 * <ul>
 *   <li>a Hugging Face folder: {@code model.safetensors} (Hugging Face names), {@code config.json}
 *       ({@code ElectraForPreTraining}, {@code ElectraForQuestionAnswering} when the checkpoint has a QA head, or
 *       {@code ElectraForMaskedLM}) and {@code vocab.txt};</li>
 *   <li>a TF checkpoint bundle {@code model.ckpt.index/.data-00000-of-00001} (+ {@code checkpoint}) with Google's
 *       variable names: the discriminator subset like Google's released {@code electra_base}, or the generator's
 *       {@code generator/...} variables plus the shared {@code electra/embeddings}.</li>
 * </ul>
 * The vocabulary must be the one the checkpoint was trained with (its SHA-256 is in {@code state.json}).
 * {@link ImportModel} goes the other way.
 */
public final class Postprocess implements Job {

  /** The bundle prefix inside each exported folder. */
  public static final String BUNDLE = "model.ckpt";
  public static final String VOCAB = "vocab.txt";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream out;

  public Postprocess() {
    this(System.out);
  }

  public Postprocess(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "Postprocess";
  }

  @Override
  public String description() {
    return "export a pre-training checkpoint as discriminator/generator folders (Hugging Face + TF bundle)";
  }

  /** Which towers an export writes. */
  enum Towers {
    DISCRIMINATOR, GENERATOR, BOTH;

    boolean discriminator() {
      return this != GENERATOR;
    }

    boolean generator() {
      return this != DISCRIMINATOR;
    }
  }

  /** The checkpoint {@code Postprocess} exports, where to, and which towers. */
  record Settings(
      @Flag("run folder <output_dir>/<model_name> of Pretrain: export its newest checkpoint")
      Path pretrainDir,
      @Flag("a checkpoint folder (ckpt-NNNNNN) to export instead of the newest")
      Path checkpoint,
      @Flag(value = "parent of the discriminator/ and generator/ folders written", required = true)
      Path outputDir,
      @Flag(value = "vocab.txt path or bert-base-uncased; must be the model's vocabulary; copied into each export",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile,
      @Flag(value = "the towers to export", defaultValue = "both")
      Towers what) {

    Settings {
      if ((pretrainDir == null) == (checkpoint == null)) {
        throw new UsageException("give one of --pretrain_dir and --checkpoint (ImportModel imports released models)");
      }
      if (pretrainDir != null && !Files.isDirectory(pretrainDir)) {
        throw new UsageException("--pretrain_dir " + pretrainDir + ": no such folder");
      }
    }

    /** The checkpoint folder named by --checkpoint, or the newest of --pretrain_dir (phase 2 before phase 1). */
    Path checkpointToExport() throws IOException {
      if (checkpoint != null) {
        return checkpoint;
      }
      Optional<Path> latest = new Checkpoints(pretrainDir, "ckpt-p2-", 1).latest();
      if (latest.isEmpty()) {
        latest = new Checkpoints(pretrainDir, "ckpt-", 1).latest();
      }
      return latest.orElseThrow(
          () -> new UsageException("--pretrain_dir " + pretrainDir + " holds no checkpoint (ckpt-*)"));
    }
  }

  public static Flags flags() {
    return Flags.forJob("Postprocess", "split a pre-training checkpoint into discriminator and generator folders "
            + "(Hugging Face safetensors + TF bundle with Google's names); ImportModel goes the other way")
        .example("./electra Postprocess --pretrain_dir=runs/small --output_dir=models/small")
        .example("./electra Postprocess --checkpoint=runs/small/ckpt-000500 --what=discriminator "
            + "--output_dir=models/small-500")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    export(settings.checkpointToExport(), settings.outputDir(), settings.vocabFile(), settings.what().discriminator(),
        settings.what().generator());
  }

  /** Writes the discriminator and/or generator of checkpoint folder {@code ckpt} under {@code output}. */
  public void export(Path ckpt, Path output, String vocabFile, boolean discriminator, boolean generator)
      throws IOException {
    Checkpoints.State state;
    try {
      state = Checkpoints.readState(ckpt);
    } catch (IOException e) {
      throw new UsageException(e.getMessage());
    }
    Path run = ckpt.toAbsolutePath().getParent();
    ElectraConfig discConfig = runConfig(run, "discriminator_config.json");
    ElectraConfig genConfig = runConfig(run, "generator_config.json");
    Vocabulary vocab = ModelVocabulary.resolve(vocabFile);
    String where = ckpt.resolve(Checkpoints.STATE).toString();
    if (state.vocabFingerprint() == null) {
      out.println("warning: " + where + " records no vocabulary fingerprint; cannot check --vocab_file "
          + vocab.source());
    }
    ModelVocabulary.check(vocab, state.vocabFingerprint(), where, discConfig);
    Path prefix = ckpt.resolve(Checkpoints.MODEL);
    boolean span = TowerGraph.bundleHas(prefix, SpanHead.SCOPE + "/bias");
    out.printf(Locale.ROOT, "Postprocess %s (step %d): discriminator %s%s, generator %s%n", ckpt, state.step(),
        discConfig, span ? " + QA head" : "", genConfig);
    if (discriminator) {
      writeTower(Tower.DISCRIMINATOR, new TowerGraph.Parts(true, span, false), discConfig, genConfig, prefix,
          output.resolve("discriminator"), vocab);
    }
    if (generator) {
      writeTower(Tower.GENERATOR, TowerGraph.Parts.GENERATOR, discConfig, genConfig, prefix,
          output.resolve("generator"), vocab);
    }
  }

  private void writeTower(Tower tower, TowerGraph.Parts parts, ElectraConfig disc, ElectraConfig gen, Path prefix,
      Path dir, Vocabulary vocab) throws IOException {
    try (TowerGraph g = new TowerGraph(disc, gen, parts, false)) {
      g.restoreWeights(prefix);
      ElectraConfig config = tower == Tower.GENERATOR ? gen : disc;
      HuggingFaceWeights.save(dir, tower, config, g.model(), g.session());
      g.save(dir.resolve(BUNDLE));
      TowerGraph.writeCheckpointFile(dir, BUNDLE);
      Files.write(dir.resolve(VOCAB), vocab.fileBytes());
      out.println("wrote " + dir + " (" + g.model().parameters().size() + " variables: "
          + HuggingFaceWeights.WEIGHTS_FILE + ", " + HuggingFaceWeights.CONFIG_FILE + ", " + VOCAB + ", " + BUNDLE
          + ".*)");
    }
  }

  private static ElectraConfig runConfig(Path run, String name) throws IOException {
    Path file = run.resolve(name);
    if (!Files.isRegularFile(file)) {
      throw new UsageException(file + " not found: a checkpoint folder must sit in its run folder next to "
          + "discriminator_config.json and generator_config.json");
    }
    return ElectraConfig.readJson(file);
  }
}
