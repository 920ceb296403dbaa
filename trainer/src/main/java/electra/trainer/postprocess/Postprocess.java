package electra.trainer.postprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.Safetensors;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code Postprocess} job, in two directions.
 *
 * <p><b>Export</b> (NVIDIA's {@code postprocess_pretrained_ckpt.py}): from a pre-training checkpoint ({@code
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
 *
 * <p><b>Import</b> ({@code --from_hf DIR [--from_hf_generator DIR]} or {@code --from_google_checkpoint PREFIX}):
 * writes a released model as this project's checkpoint, {@code <output_dir>/ckpt-000000/} plus
 * {@code discriminator_config.json} and {@code generator_config.json}, with zero Adam slots, so that
 * {@code Pretrain --init_checkpoint} (and fine-tuning) can start from it. A tower the source lacks (Google's
 * discriminator-only release, a lone Hugging Face discriminator) is freshly initialised, and said so.
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
    return "export a pre-training checkpoint as discriminator/generator (Hugging Face + TF bundle), or import a "
        + "released Google/Hugging Face model as a checkpoint";
  }

  public static Flags flags() {
    return Flags.forJob("Postprocess", "split a pre-training checkpoint into discriminator and generator folders "
            + "(Hugging Face safetensors + TF bundle with Google's names), or import a released model")
        .example("./electra Postprocess --pretrain_dir=runs/small --output_dir=models/small")
        .example("./electra Postprocess --from_hf=electra-small-discriminator --from_hf_generator="
            + "electra-small-generator --output_dir=runs/hf-small")
        .example("./electra Postprocess --from_google_checkpoint=electra_small/electra_small --model_size=small "
            + "--output_dir=runs/google-small")
        .text("pretrain_dir", null, "run folder <output_dir>/<model_name> of Pretrain: export its newest checkpoint")
        .text("checkpoint", null, "a checkpoint folder (ckpt-NNNNNN) to export instead of the newest")
        .text("output_dir", null, "export: parent of discriminator/ and generator/; import: the run folder written")
        .text("vocab_file", VocabularyResolver.BERT_BASE_UNCASED,
            "vocab.txt path or bert-base-uncased; must be the model's vocabulary; copied into each export")
        .text("what", "both", "export: discriminator, generator or both")
        .text("from_hf", null, "import: a Hugging Face ELECTRA discriminator folder (model.safetensors, config.json)")
        .text("from_hf_generator", null, "import: the matching Hugging Face generator folder (optional)")
        .text("from_google_checkpoint", null, "import: prefix of a Google TF1 checkpoint bundle (X for X.index)")
        .text("model_size", "small", "import from Google: discriminator preset small, base or large")
        .text("model_config", null, "import from Google: discriminator config.json (instead of --model_size)")
        .decimal("generator_hidden_size", 0.25, "import: generator width as a multiple of the discriminator's, "
            + "when the source has no generator config (Google: 0.25 small/large, 0.33 base)");
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values f = flags().parse(args);
    String hf = f.text("from_hf");
    String google = f.text("from_google_checkpoint");
    Path output = Path.of(f.required("output_dir"));
    if (present(hf) || present(google)) {
      if (present(hf) && present(google)) {
        throw new UsageException("give one of --from_hf and --from_google_checkpoint");
      }
      if (present(f.text("pretrain_dir")) || present(f.text("checkpoint"))) {
        throw new UsageException("--pretrain_dir/--checkpoint export a checkpoint; --from_* import one: not both");
      }
      if (present(hf)) {
        importHuggingFace(Path.of(hf), optionalPath(f.text("from_hf_generator")), f.decimal("generator_hidden_size"),
            f.text("vocab_file"), output);
      } else {
        importGoogle(Path.of(google), discriminatorConfig(f), f.decimal("generator_hidden_size"),
            f.text("vocab_file"), output);
      }
      return;
    }
    String what = f.text("what").toLowerCase(Locale.ROOT);
    if (!List.of("discriminator", "generator", "both").contains(what)) {
      throw new UsageException("--what must be discriminator, generator or both, got '" + f.text("what") + "'");
    }
    export(checkpoint(f), output, f.text("vocab_file"), !what.equals("generator"), !what.equals("discriminator"));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Export

  /** The checkpoint folder named by --checkpoint, or the newest of --pretrain_dir (phase 2 before phase 1). */
  static Path checkpoint(Flags.Values f) throws IOException {
    String ckpt = f.text("checkpoint");
    String dir = f.text("pretrain_dir");
    if (present(ckpt) == present(dir)) {
      throw new UsageException("give one of --pretrain_dir and --checkpoint (or --from_hf / --from_google_checkpoint "
          + "to import)");
    }
    if (present(ckpt)) {
      return Path.of(ckpt);
    }
    Path run = Path.of(dir);
    if (!Files.isDirectory(run)) {
      throw new UsageException("--pretrain_dir " + dir + ": no such folder");
    }
    Optional<Path> latest = new Checkpoints(run, "ckpt-p2-", 1).latest();
    if (latest.isEmpty()) {
      latest = new Checkpoints(run, "ckpt-", 1).latest();
    }
    return latest.orElseThrow(() -> new UsageException("--pretrain_dir " + dir + " holds no checkpoint (ckpt-*)"));
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
    Vocabulary vocab = vocabulary(vocabFile);
    checkVocabulary(vocab, state.vocabFingerprint(), ckpt.resolve(Checkpoints.STATE).toString(), discConfig);
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
      Files.write(dir.resolve(VOCAB), vocabBytes(vocab));
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

  // ---------------------------------------------------------------------------------------------------------
  // Import

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
    String fingerprint = sourceVocabulary(discDir.resolve(VOCAB), vocabFile, disc);
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
    String fingerprint = sourceVocabulary(folder.resolve(VOCAB), vocabFile, disc);
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
    Checkpoints.State state = new Checkpoints.State(0, 0, false, 0, 0, 0, 0, null, 0, 0, fingerprint);
    Path ckpt = checkpoints.save(state, prefix -> {
      try {
        g.save(prefix);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    Files.writeString(run.resolve("import.json"), JSON.writeValueAsString(java.util.Map.of(
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

  // ---------------------------------------------------------------------------------------------------------
  // Vocabulary

  private static Vocabulary vocabulary(String vocabFile) throws IOException {
    try {
      return Vocabulary.resolve(vocabFile);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UsageException("--vocab_file " + vocabFile + ": no such file");
    }
  }

  /** Refuses a vocabulary other than the recorded one, or one larger than the embedding table. */
  private void checkVocabulary(Vocabulary vocab, String recorded, String where, ElectraConfig disc) {
    if (recorded == null) {
      out.println("warning: " + where + " records no vocabulary fingerprint; cannot check --vocab_file "
          + vocab.source());
    } else if (!recorded.equals(vocab.fingerprint())) {
      throw new UsageException("--vocab_file " + vocab.source() + " has SHA-256 " + vocab.fingerprint() + " but the "
          + "model was trained with vocab " + recorded + " (" + where + "); give the model's vocab.txt");
    }
    if (vocab.size() > disc.vocabSize()) {
      throw new UsageException("--vocab_file " + vocab.source() + " has " + vocab.size() + " tokens but the model's "
          + "vocab_size is " + disc.vocabSize());
    }
  }

  /** The fingerprint to record for an import: the source's vocab.txt when it has one (and --vocab_file agrees). */
  private String sourceVocabulary(Path sourceVocab, String vocabFile, ElectraConfig disc) throws IOException {
    Vocabulary vocab = vocabulary(vocabFile);
    if (Files.isRegularFile(sourceVocab)) {
      checkVocabulary(vocab, Vocabulary.load(sourceVocab).fingerprint(), sourceVocab.toString(), disc);
    } else {
      checkVocabulary(vocab, vocab.fingerprint(), "--vocab_file", disc);
    }
    return vocab.fingerprint();
  }

  /** The bytes of the vocabulary's file (for bert-base-uncased: the verified cached or checkout copy). */
  private static byte[] vocabBytes(Vocabulary vocab) throws IOException {
    Path source = Path.of(vocab.source());
    if (!Files.isRegularFile(source)) {
      source = VocabularyResolver.fromEnvironment().cachedFile();
    }
    byte[] bytes = Files.readAllBytes(source);
    if (!Vocabulary.fromBytes(bytes, source.toString()).fingerprint().equals(vocab.fingerprint())) {
      throw new IOException(source + " changed while exporting");
    }
    return bytes;
  }

  // ---------------------------------------------------------------------------------------------------------

  private static ElectraConfig discriminatorConfig(Flags.Values f) throws IOException {
    String file = f.text("model_config");
    if (present(file)) {
      if (!Files.isRegularFile(Path.of(file))) {
        throw new UsageException("--model_config " + file + ": no such file");
      }
      return ElectraConfig.readJson(Path.of(file));
    }
    try {
      return ElectraConfig.preset(f.text("model_size"));
    } catch (IllegalArgumentException e) {
      throw new UsageException("--model_size: " + e.getMessage());
    }
  }

  private static boolean present(String s) {
    return s != null && !s.isBlank();
  }

  private static Path optionalPath(String s) {
    return present(s) ? Path.of(s) : null;
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
