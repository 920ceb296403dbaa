package electra.trainer.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.OutputFolder;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyInfo;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.HuggingFaceTokenizer;
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
 *       {@code ElectraForMaskedLM}), {@code vocab.txt} and {@code tokenizer_config.json} (the casing);</li>
 *   <li>a TF checkpoint bundle {@code model.ckpt.index/.data-00000-of-00001} (+ {@code checkpoint}) with Google's
 *       variable names: the discriminator's variables (Google's released checkpoints hold these and the generator's),
 *       or the generator's {@code generator/...} variables plus the shared {@code electra/embeddings}.</li>
 * </ul>
 * With {@code --format=nvidia} it writes instead one NVIDIA TF2 checkpoint of both towers, {@code
 * <output_dir>/ckpt-<step>} (phase 2: {@code ckpt-p2-<step>}) and its {@code checkpoint} file, which NVIDIA's {@code
 * run_pretraining.py --restore_checkpoint} and {@code postprocess_pretrained_ckpt.py --pretrained_checkpoint} restore:
 * the variables under NVIDIA's object paths, the object graph that names them, {@code step} and {@code phase2}, and
 * the vocabulary padded to a multiple of 8 ({@link NvidiaCheckpoint}).
 * The vocabulary must be the one the checkpoint was trained with (its SHA-256 is in {@code state.json}).
 * {@link ImportModel} goes the other way.
 */
public final class Postprocess implements Job {

  /** The bundle prefix inside each exported folder. */
  public static final String BUNDLE = "model.ckpt";
  public static final String VOCAB = HuggingFaceTokenizer.VOCAB_FILE;

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
    return "export a pre-training checkpoint as discriminator/generator folders (Hugging Face + TF bundle) or as an "
        + "NVIDIA TF2 checkpoint";
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

  /** Whose checkpoint layout an export follows. */
  enum Format {
    /** Hugging Face folders and TF bundles with Google's variable names. */
    GOOGLE,
    /** One TF2 object-based checkpoint of NVIDIA's pre-training model. */
    NVIDIA
  }

  /** The checkpoint {@code Postprocess} exports, where to, which towers and in whose layout. */
  record Settings(
      @Flag("run folder <output_dir>/<model_name> of Pretrain: export its newest checkpoint")
      Path pretrainDir,
      @Flag("a checkpoint folder (ckpt-NNNNNN) to export instead of the newest")
      Path checkpoint,
      @Flag(value = "parent of the discriminator/ and generator/ folders written (--format=nvidia: the folder of "
          + "ckpt-<step> and its checkpoint file)", required = true)
      Path outputDir,
      Overwrite overwrite,
      @Flag(value = "vocab.txt path or bert-base-uncased; must be the model's vocabulary; copied into each export",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile,
      @Flag(value = "the towers to export", defaultValue = "both")
      Towers what,
      @Flag(value = "the layout written: google writes Hugging Face folders and TF bundles with Google's names, "
          + "nvidia one TF2 checkpoint of both towers for NVIDIA's DeepLearningExamples (vocabulary padded to a "
          + "multiple of 8)", defaultValue = "google")
      Format format) {

    Settings {
      if ((pretrainDir == null) == (checkpoint == null)) {
        throw new UsageException("give one of --pretrain_dir and --checkpoint (ImportModel imports released models)");
      }
      if (format == Format.NVIDIA && what != Towers.BOTH) {
        throw new UsageException("--format=nvidia writes both towers in one checkpoint; leave out --what");
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
            + "(Hugging Face safetensors + TF bundle with Google's names), or write it as an NVIDIA TF2 checkpoint; "
            + "ImportModel goes the other way")
        .example("./electra Postprocess --pretrain_dir=runs/small --output_dir=models/small")
        .example("./electra Postprocess --checkpoint=runs/small/ckpt-000500 --what=discriminator "
            + "--output_dir=models/small-500")
        .example("./electra Postprocess --pretrain_dir=runs/base --format=nvidia --output_dir=models/base-nvidia")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    if (settings.format() == Format.NVIDIA) {
      exportNvidia(settings.checkpointToExport(), settings.outputDir(), settings.overwrite(), settings.vocabFile());
    } else {
      export(settings.checkpointToExport(), settings.outputDir(), settings.overwrite(), settings.vocabFile(),
          settings.what().discriminator(), settings.what().generator());
    }
  }

  /** A checkpoint to export: its state, its towers' configurations and the vocabulary it was checked against. */
  private record Source(Path prefix, Checkpoints.State state, ElectraConfig disc, ElectraConfig gen,
      Vocabulary vocab) {}

  private Source read(Path ckpt, String vocabFile) throws IOException {
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
    return new Source(ckpt.resolve(Checkpoints.MODEL), state, discConfig, genConfig, vocab);
  }

  /**
   * Writes the discriminator and/or generator of checkpoint folder {@code ckpt} under {@code output}, claimed
   * ({@link OutputFolder}) once the checkpoint is read.
   */
  public void export(Path ckpt, Path output, Overwrite overwrite, String vocabFile, boolean discriminator,
      boolean generator) throws IOException {
    Source source = read(ckpt, vocabFile);
    boolean span = TowerGraph.bundleHas(source.prefix(), SpanHead.SCOPE + "/bias");
    OutputFolder.claim(output, OutputFolder.Claim.newOutput(name()), overwrite);
    out.printf(Locale.ROOT, "Postprocess %s (step %d): discriminator %s%s, generator %s%n", ckpt,
        source.state().step(), source.disc(), span ? " + QA head" : "", source.gen());
    if (discriminator) {
      writeTower(Tower.DISCRIMINATOR, new TowerGraph.Parts(true, span, false), source,
          output.resolve("discriminator"));
    }
    if (generator) {
      writeTower(Tower.GENERATOR, TowerGraph.Parts.GENERATOR, source, output.resolve("generator"));
    }
  }

  /**
   * Writes checkpoint folder {@code ckpt} as an NVIDIA TF2 checkpoint {@code <output>/ckpt-<step>}: both towers
   * under NVIDIA's object paths, the word embeddings and the generator's output bias padded to a multiple of 8 rows
   * (zero embeddings, output bias {@link NvidiaCheckpoint#PADDING_OUTPUT_BIAS}), {@code step} and {@code phase2};
   * {@code output} is claimed ({@link OutputFolder}) once the checkpoint is read.
   */
  public void exportNvidia(Path ckpt, Path output, Overwrite overwrite, String vocabFile) throws IOException {
    Source source = read(ckpt, vocabFile);
    if (TowerGraph.bundleHas(source.prefix(), SpanHead.SCOPE + "/bias")) {
      throw new UsageException(ckpt + " holds a QA head, which NVIDIA's pre-training checkpoint has no place for");
    }
    OutputFolder.claim(output, OutputFolder.Claim.newOutput(name()), overwrite);
    String name = (source.state().phase2() ? "ckpt-p2-" : "ckpt-") + source.state().step();
    try (TowerGraph g = new TowerGraph(source.disc(), source.gen(), TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(source.prefix());
      long padding = NvidiaCheckpoint.write(g, source.state().step(), source.state().phase2(),
          source.disc().vocabSize(), output.resolve(name));
      TowerGraph.writeCheckpointFile(output, name);
      out.printf(Locale.ROOT, "wrote %s (NVIDIA TF2 checkpoint, step %d: discriminator %s, generator %s; the "
          + "vocabulary padded with %d rows)%n", output.resolve(name), source.state().step(), source.disc(),
          source.gen(), padding);
    }
  }

  private void writeTower(Tower tower, TowerGraph.Parts parts, Source source, Path dir) throws IOException {
    try (TowerGraph g = new TowerGraph(source.disc(), source.gen(), parts, false)) {
      g.restoreWeights(source.prefix());
      ElectraConfig config = tower == Tower.GENERATOR ? source.gen() : source.disc();
      HuggingFaceWeights.save(dir, tower, config, g.model(), g.session());
      g.save(dir.resolve(BUNDLE));
      TowerGraph.writeCheckpointFile(dir, BUNDLE);
      // BuildVocab records the casing its vocabulary is for; the others go with the jobs' default, lower-casing
      HuggingFaceTokenizer.write(dir, source.vocab(), VocabularyInfo.recordedLowerCase(source.vocab()).orElse(true));
      out.println("wrote " + dir + " (" + g.model().parameters().size() + " variables: "
          + HuggingFaceWeights.WEIGHTS_FILE + ", " + HuggingFaceWeights.CONFIG_FILE + ", " + VOCAB + ", "
          + HuggingFaceTokenizer.CONFIG_FILE + ", " + BUNDLE + ".*)");
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
