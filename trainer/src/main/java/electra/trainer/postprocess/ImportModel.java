package electra.trainer.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.model.ModelChoice;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Safetensors;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code ImportModel} job: a released model ({@code --from_hf DIR [--from_hf_generator DIR]} or
 * {@code --from_google_checkpoint PREFIX}) becomes this project's checkpoint, {@code <output_dir>/ckpt-000000/} plus
 * {@code discriminator_config.json} and {@code generator_config.json}, with zero Adam slots, so that
 * {@code Pretrain --init_checkpoint} (and fine-tuning) can start from it. A tower the source lacks (Google's
 * discriminator-only release, a lone Hugging Face discriminator) is freshly initialised, and said so.
 * {@link Postprocess} goes the other way.
 */
public final class ImportModel implements Job {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream out;

  public ImportModel() {
    this(System.out);
  }

  public ImportModel(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "ImportModel";
  }

  @Override
  public String description() {
    return "import a released Google or Hugging Face ELECTRA as a checkpoint that Pretrain and FinetuneSquad start from";
  }

  /** The released model {@code ImportModel} reads, its architecture and vocabulary, and the run folder written. */
  record Settings(
      @Flag("a Hugging Face ELECTRA discriminator folder (model.safetensors, config.json)")
      Path fromHf,
      @Flag("the matching Hugging Face generator folder (optional)")
      Path fromHfGenerator,
      @Flag("prefix of a Google TF1 checkpoint bundle (X for X.index); its architecture from --model_size or "
          + "--model_config")
      Path fromGoogleCheckpoint,
      ModelChoice model,
      @Flag(value = "generator width as a multiple of the discriminator's, when the source has no generator config "
          + "(Google: 0.25 small/large, 0.33 base)", defaultValue = "0.25")
      double generatorHiddenSize,
      @Flag(value = "the run folder written (must hold no checkpoint)", required = true)
      Path outputDir,
      @Flag(value = "vocab.txt path or bert-base-uncased; must be the model's vocabulary",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile) {

    Settings {
      if ((fromHf == null) == (fromGoogleCheckpoint == null)) {
        throw new UsageException("give one of --from_hf and --from_google_checkpoint");
      }
      if (fromHfGenerator != null && fromHf == null) {
        throw new UsageException("--from_hf_generator goes with --from_hf");
      }
      if (!(generatorHiddenSize > 0 && generatorHiddenSize <= 1)) {
        throw new UsageException("--generator_hidden_size must be in (0, 1], got " + generatorHiddenSize);
      }
    }
  }

  public static Flags flags() {
    return Flags.forJob("ImportModel", "write a released ELECTRA (Hugging Face folders or a Google TF1 checkpoint) as "
            + "a checkpoint of this project; Postprocess goes the other way")
        .example("./electra ImportModel --from_hf=electra-small-discriminator --from_hf_generator="
            + "electra-small-generator --output_dir=runs/hf-small")
        .example("./electra ImportModel --from_google_checkpoint=electra_small/electra_small --model_size=small "
            + "--output_dir=runs/google-small")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    if (settings.fromHf() != null) {
      importHuggingFace(settings.fromHf(), settings.fromHfGenerator(), settings.generatorHiddenSize(),
          settings.vocabFile(), settings.outputDir());
    } else {
      importGoogle(settings.fromGoogleCheckpoint(), settings.model().resolve(),
          settings.generatorHiddenSize(), settings.vocabFile(), settings.outputDir());
    }
  }

  /** Writes Hugging Face folders (discriminator, optionally generator) as a checkpoint in run folder {@code out}. */
  public void importHuggingFace(Path discDir, Path genDir, double generatorHiddenSize, String vocabFile, Path out)
      throws IOException {
    ElectraConfig disc = HuggingFaceWeights.readConfig(discDir);
    ElectraConfig gen = genDir != null ? HuggingFaceWeights.readConfig(genDir)
        : disc.generator(generatorHiddenSize, 1.0, false);
    if (genDir != null) {
      sameEmbeddings(discDir, genDir);
    }
    boolean span;
    try (Safetensors file = Safetensors.open(discDir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      span = file.contains("qa_outputs.weight");
    }
    String fingerprint = sourceVocabulary(discDir.resolve(Postprocess.VOCAB), vocabFile, disc);
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH.withSpanHead(span), true)) {
      g.initialize();
      if (genDir != null) {
        HuggingFaceWeights.load(genDir, Tower.GENERATOR, gen, g.model(), g.session(),
            HuggingFaceWeights.Match.ENCODER, false);
      }
      // The discriminator last: the shared embeddings are the discriminator's (equal to the generator's, checked).
      HuggingFaceWeights.Report r = HuggingFaceWeights.load(discDir, Tower.DISCRIMINATOR, disc, g.model(),
          g.session(), HuggingFaceWeights.Match.ENCODER, false);
      if (!r.ignored().isEmpty()) {
        this.out.println("ignored in " + discDir + ": " + r.ignored());
      }
      writeImported(g, disc, gen, fingerprint, out, "Hugging Face " + discDir
          + (genDir != null ? " + " + genDir : ""), genDir != null);
    }
  }

  /**
   * Writes a Google TF1 checkpoint (released {@code electra_*} or one of Google's {@code run_pretraining.py}) as a
   * checkpoint in run folder {@code out}. The bundle is read by variable name into a graph built with Google's
   * names; Adam slots and {@code global_step} in it are ignored.
   */
  public void importGoogle(Path prefix, ElectraConfig disc, double generatorHiddenSize, String vocabFile, Path out)
      throws IOException {
    if (!Files.isRegularFile(Path.of(prefix + ".index"))) {
      throw new UsageException("--from_google_checkpoint " + prefix + ": no " + prefix + ".index (give the prefix, "
          + "e.g. electra_small/electra_small)");
    }
    ElectraConfig gen = disc.generator(generatorHiddenSize, 1.0, false);
    boolean hasGenerator = TowerGraph.bundleHas(prefix, "generator_predictions/output_bias");
    boolean span = TowerGraph.bundleHas(prefix, SpanHead.SCOPE + "/bias");
    Path folder = prefix.toAbsolutePath().getParent();
    String fingerprint = sourceVocabulary(folder.resolve(Postprocess.VOCAB), vocabFile, disc);
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH.withSpanHead(span), true)) {
      g.initialize();
      List<String> names = new ArrayList<>();
      for (var p : g.model().parameters()) {
        if (hasGenerator || !p.name().startsWith("generator")) {
          names.add(p.name());
        }
      }
      try {
        g.restore(prefix, names);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(prefix + " does not fit discriminator " + disc + " / generator " + gen
            + " (check --model_size/--model_config and --generator_hidden_size): " + firstLine(e.getMessage()), e);
      }
      writeImported(g, disc, gen, fingerprint, out, "Google checkpoint " + prefix, hasGenerator);
    }
  }

  private void writeImported(TowerGraph g, ElectraConfig disc, ElectraConfig gen, String fingerprint, Path run,
      String source, boolean generatorImported) throws IOException {
    Checkpoints checkpoints = new Checkpoints(run, "ckpt-", 1);
    if (!checkpoints.list().isEmpty() || !new Checkpoints(run, "ckpt-p2-", 1).list().isEmpty()) {
      throw new UsageException("--output_dir " + run + " already holds checkpoints; import into a new run folder");
    }
    Files.createDirectories(run);
    disc.writeJson(run.resolve("discriminator_config.json"), "ElectraForPreTraining");
    gen.writeJson(run.resolve("generator_config.json"), "ElectraForMaskedLM");
    Checkpoints.State state = Checkpoints.State.imported(fingerprint);
    Path ckpt = checkpoints.save(state, prefix -> {
      try {
        g.save(prefix);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    Files.writeString(run.resolve("import.json"), JSON.writeValueAsString(Map.of(
        "source", source, "generator", generatorImported ? "imported" : "freshly initialised",
        "vocab_sha256", fingerprint == null ? "" : fingerprint)));
    out.println("imported " + source + " as " + ckpt + (generatorImported ? ""
        : " (the source has no generator: generator freshly initialised)"));
    out.printf(Locale.ROOT, "continue pre-training with: Pretrain --init_checkpoint=%s --model_config=%s "
        + "--generator_hidden_size=%s%n", ckpt, run.resolve("discriminator_config.json"),
        trim((double) gen.hiddenSize() / disc.hiddenSize()));
  }

  /** A Hugging Face generator shares the discriminator's embeddings in ELECTRA: refuse two different tables. */
  private static void sameEmbeddings(Path discDir, Path genDir) throws IOException {
    try (Safetensors d = Safetensors.open(discDir.resolve(HuggingFaceWeights.WEIGHTS_FILE));
        Safetensors g = Safetensors.open(genDir.resolve(HuggingFaceWeights.WEIGHTS_FILE))) {
      for (String n : List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
          "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias")) {
        String dn = d.contains("electra." + n) ? "electra." + n : n;
        String gn = g.contains("electra." + n) ? "electra." + n : n;
        if (!d.contains(dn) || !g.contains(gn)) {
          continue; // reported by the loader
        }
        if (!Arrays.equals(d.read(dn).values(), g.read(gn).values())) {
          throw new IllegalArgumentException(genDir + " and " + discDir + " have different " + n + ": ELECTRA's "
              + "generator shares the discriminator's embeddings, so these are not one model's two towers");
        }
      }
    }
  }

  /** The fingerprint to record for an import: the source's vocab.txt when it has one (and --vocab_file agrees). */
  private static String sourceVocabulary(Path sourceVocab, String vocabFile, ElectraConfig disc) throws IOException {
    Vocabulary vocab = ModelVocabulary.resolve(vocabFile);
    if (Files.isRegularFile(sourceVocab)) {
      ModelVocabulary.check(vocab, Vocabulary.load(sourceVocab).fingerprint(), sourceVocab.toString(), disc);
    } else {
      ModelVocabulary.check(vocab, null, "--vocab_file", disc);
    }
    return vocab.fingerprint();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String trim(double d) {
    String s = String.format(Locale.ROOT, "%.6f", d);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
