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
import electra.model.ModelChoice;
import electra.tokenization.Vocabulary;
import electra.tokenization.VocabularyResolver;
import electra.trainer.model.GeneratorHead;
import electra.trainer.model.HuggingFaceWeights;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.Safetensors;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import electra.trainer.model.WeightNames;
import electra.trainer.runtime.Checkpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.Stream;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/**
 * The {@code ImportModel} job: a released model ({@code --from_hf DIR [--from_hf_generator DIR]}, {@code
 * --from_google_checkpoint PREFIX} or {@code --from_nvidia_checkpoint PREFIX}) becomes this project's checkpoint,
 * {@code <output_dir>/ckpt-000000/} plus {@code discriminator_config.json} and {@code generator_config.json}, with zero
 * Adam slots (or Google's, when asked), so that {@code Pretrain --init_checkpoint} (and fine-tuning) can start from it.
 * A tower the source lacks (a discriminator-only TF1 bundle, a lone Hugging Face discriminator) is freshly
 * initialised, and said so. A checkpoint must hold exactly the weights the architecture has: a missing or an
 * unexpected weight is refused with the list of names. {@link Postprocess} goes the other way.
 */
public final class ImportModel implements Job {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** The weight whose first dimension is the generator's hidden width in every checkpoint layout. */
  private static final String GENERATOR_WIDTH_WEIGHT = GeneratorHead.SCOPE + "/dense/kernel";
  private static final String GLOBAL_STEP = "global_step";

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
    return "import a released Google, NVIDIA or Hugging Face ELECTRA as a checkpoint that Pretrain and FinetuneSquad "
        + "start from";
  }

  /** The released model {@code ImportModel} reads, its architecture and vocabulary, and the run folder written. */
  record Settings(
      @Flag("a Hugging Face ELECTRA discriminator folder (model.safetensors, config.json)")
      Path fromHf,
      @Flag("the matching Hugging Face generator folder (optional)")
      Path fromHfGenerator,
      @Flag("prefix of a Google TF1 checkpoint bundle (X for X.index), e.g. a released electra_small; its "
          + "architecture from --model_size or --model_config")
      Path fromGoogleCheckpoint,
      @Flag("prefix of an NVIDIA TF2 pre-training checkpoint (e.g. checkpoints/ckpt-10000); its architecture from "
          + "--model_size or --model_config, whose vocab_size leaves out the rows NVIDIA pads the vocabulary with")
      Path fromNvidiaCheckpoint,
      ModelChoice model,
      @Flag(value = "generator width as a multiple of the discriminator's, for a freshly initialised generator when "
          + "the source has none (an imported generator keeps its own width)", defaultValue = "0.25")
      double generatorHiddenSize,
      @Flag(value = "also load the Google checkpoint's optimizer slots (adam_m, adam_v) for Pretrain "
          + "--init_checkpoint; without it they are ignored (released checkpoints carry none)", defaultValue = "false")
      boolean importOptimizerSlots,
      @Flag(value = "the run folder written", required = true)
      Path outputDir,
      Overwrite overwrite,
      @Flag(value = "vocab.txt path or bert-base-uncased; must be the model's vocabulary",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile) {

    Settings {
      long sources = Stream.of(fromHf, fromGoogleCheckpoint, fromNvidiaCheckpoint)
          .filter(Objects::nonNull).count();
      if (sources != 1) {
        throw new UsageException("give one of --from_hf, --from_google_checkpoint and --from_nvidia_checkpoint");
      }
      if (fromHfGenerator != null && fromHf == null) {
        throw new UsageException("--from_hf_generator goes with --from_hf");
      }
      if (importOptimizerSlots && fromGoogleCheckpoint == null) {
        throw new UsageException("--import_optimizer_slots goes with --from_google_checkpoint (Google's adam_m and "
            + "adam_v are the slots this project's optimizer keeps)");
      }
      if (!(generatorHiddenSize > 0 && generatorHiddenSize <= 1)) {
        throw new UsageException("--generator_hidden_size must be in (0, 1], got " + generatorHiddenSize);
      }
    }
  }

  public static Flags flags() {
    return Flags.forJob("ImportModel", "write a released ELECTRA (Hugging Face folders, a Google TF1 checkpoint or an "
            + "NVIDIA TF2 checkpoint) as a checkpoint of this project; Postprocess goes the other way")
        .example("./electra ImportModel --from_hf=electra-small-discriminator --from_hf_generator="
            + "electra-small-generator --output_dir=runs/hf-small")
        .example("./electra ImportModel --from_google_checkpoint=electra_small/electra_small --model_size=small "
            + "--output_dir=runs/google-small")
        .example("./electra ImportModel --from_nvidia_checkpoint=results/models/base/checkpoints/ckpt-10000 "
            + "--model_size=base --output_dir=runs/nvidia-base")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    if (settings.fromHf() != null) {
      importHuggingFace(settings.fromHf(), settings.fromHfGenerator(), settings.generatorHiddenSize(),
          settings.vocabFile(), settings.outputDir(), settings.overwrite());
    } else if (settings.fromGoogleCheckpoint() != null) {
      importGoogle(settings.fromGoogleCheckpoint(), settings.model().resolve(), settings.generatorHiddenSize(),
          settings.importOptimizerSlots(), settings.vocabFile(), settings.outputDir(), settings.overwrite());
    } else {
      importNvidia(settings.fromNvidiaCheckpoint(), settings.model().resolve(), settings.generatorHiddenSize(),
          settings.vocabFile(), settings.outputDir(), settings.overwrite());
    }
  }

  /** Writes Hugging Face folders (discriminator, optionally generator) as a checkpoint in run folder {@code out}. */
  public void importHuggingFace(Path discDir, Path genDir, double generatorHiddenSize, String vocabFile, Path out,
      Overwrite overwrite) throws IOException {
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
      writeImported(g, disc, gen, fingerprint, out, overwrite, "Hugging Face " + discDir
          + (genDir != null ? " + " + genDir : ""), genDir != null, "zero");
    }
  }

  /**
   * Writes a Google TF1 checkpoint (a released {@code electra_*}, or one of Google's {@code run_pretraining.py}) as a
   * checkpoint in run folder {@code out}. The bundle must hold exactly the weights of {@code disc} and of a generator
   * (whose width is read from the bundle), or of {@code disc} alone; besides them only their optimizer slots
   * ({@code <weight>/adam_m}, {@code <weight>/adam_v}), loaded when {@code importSlots}, and {@code global_step}.
   */
  public void importGoogle(Path prefix, ElectraConfig disc, double generatorHiddenSize, boolean importSlots,
      String vocabFile, Path out, Overwrite overwrite) throws IOException {
    requireBundle(prefix, "--from_google_checkpoint", "electra_small/electra_small");
    SortedMap<String, BundleIndex.Entry> bundle = BundleIndex.read(prefix);
    boolean hasGenerator = bundle.keySet().stream().anyMatch(ImportModel::generatorOnly);
    ElectraConfig gen = hasGenerator ? generatorOfWidth(disc, bundle.get(GENERATOR_WIDTH_WEIGHT), generatorHiddenSize)
        : disc.generator(generatorHiddenSize, 1.0, false);
    boolean span = bundle.containsKey(SpanHead.SCOPE + "/bias");
    String fingerprint = sourceVocabulary(prefix.toAbsolutePath().getParent().resolve(Postprocess.VOCAB), vocabFile,
        disc);
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH.withSpanHead(span), true)) {
      Map<String, Shape> weights = new LinkedHashMap<>();
      for (ModelGraph.Parameter p : g.model().parameters()) {
        if (hasGenerator || !generatorOnly(p.name())) {
          weights.put(p.name(), p.shape());
        }
      }
      Differences found = new Differences();
      List<String> slots = new ArrayList<>();
      boolean globalStep = false;
      for (var e : bundle.entrySet()) {
        String name = e.getKey();
        String slotOf = name.replaceFirst("/adam_[mv]$", "");
        if (weights.containsKey(name)) {
          found.checkShape(name, e.getValue(), weights.get(name));
        } else if (!slotOf.equals(name) && weights.containsKey(slotOf)) {
          found.checkShape(name, e.getValue(), weights.get(slotOf));
          slots.add(name);
        } else if (name.equals(GLOBAL_STEP)) {
          globalStep = true;
        } else {
          found.unexpected.add(name + " " + e.getValue());
        }
      }
      weights.keySet().stream().filter(w -> !bundle.containsKey(w)).forEach(found.missing::add);
      found.refuseAny(prefix, disc, gen);
      g.initialize(); // what the bundle does not give: a fresh generator, zero slots

      List<String> restored = new ArrayList<>(weights.keySet());
      List<String> ignored = new ArrayList<>();
      if (importSlots) {
        List<String> lacking = weights.keySet().stream().flatMap(w -> Stream.of(w + "/adam_m", w + "/adam_v"))
            .filter(slot -> !bundle.containsKey(slot)).toList();
        if (!lacking.isEmpty()) {
          throw new IllegalArgumentException("--import_optimizer_slots: " + prefix + (slots.isEmpty()
              ? " holds no optimizer slots (Google's released checkpoints carry none; those its run_pretraining.py "
                  + "writes do)"
              : " lacks the optimizer slots " + lacking));
        }
        restored.addAll(slots);
      } else if (!slots.isEmpty()) {
        ignored.add(slots.size() + " optimizer slots (adam_m, adam_v; --import_optimizer_slots loads them)");
      }
      if (globalStep) {
        ignored.add(GLOBAL_STEP + " (Pretrain --init_checkpoint counts its own steps)");
      }
      g.restore(prefix, restored);
      if (!ignored.isEmpty()) {
        this.out.println("ignored in " + prefix + ": " + String.join(", ", ignored));
      }
      writeImported(g, disc, gen, fingerprint, out, overwrite, "Google checkpoint " + prefix, hasGenerator,
          importSlots ? "imported" : "zero");
    }
  }

  /**
   * Writes an NVIDIA TF2 pre-training checkpoint as a checkpoint in run folder {@code out}. Its model must hold
   * exactly the weights of {@code disc} and of a generator (width read from the checkpoint), found through the
   * checkpoint's object graph; the rows NVIDIA pads the vocabulary with are dropped. The optimizer's state and
   * NVIDIA's counters are ignored, and said so.
   */
  public void importNvidia(Path prefix, ElectraConfig disc, double generatorHiddenSize, String vocabFile, Path out,
      Overwrite overwrite) throws IOException {
    requireBundle(prefix, "--from_nvidia_checkpoint", "checkpoints/ckpt-10000");
    NvidiaCheckpoint.ObjectGraph objects = NvidiaCheckpoint.ObjectGraph.read(prefix);
    SortedMap<String, BundleIndex.Entry> bundle = BundleIndex.read(prefix);
    ElectraConfig gen = generatorOfWidth(disc, objects.node(WeightNames.toNvidiaObjectPath(GENERATOR_WIDTH_WEIGHT))
        .flatMap(objects::key).map(bundle::get).orElse(null), generatorHiddenSize);
    long rows = NvidiaCheckpoint.paddedVocabulary(disc.vocabSize());
    String fingerprint = sourceVocabulary(prefix.toAbsolutePath().getParent().resolve(Postprocess.VOCAB), vocabFile,
        disc);
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, true)) {
      Differences found = new Differences();
      Map<String, TowerGraph.Source> sources = new LinkedHashMap<>();
      Set<Integer> modelNodes = new HashSet<>();
      for (ModelGraph.Parameter p : g.model().parameters()) {
        String path = WeightNames.toNvidiaObjectPath(p.name());
        Optional<Integer> node = objects.node(path);
        Optional<String> key = node.flatMap(objects::key);
        if (key.isEmpty()) {
          found.missing.add(path);
          continue;
        }
        modelNodes.add(node.get());
        boolean padded = NvidiaCheckpoint.hasVocabularyRows(p.name());
        Shape stored = padded ? withRows(p.shape(), rows) : p.shape();
        BundleIndex.Entry entry = bundle.get(key.get());
        if (entry == null) {
          found.missing.add(path + " (its key " + key.get() + " is not in the bundle)");
          continue;
        }
        found.checkShape(path, entry, stored);
        sources.put(p.name(), padded ? TowerGraph.Source.firstRows(key.get(), stored, disc.vocabSize())
            : TowerGraph.Source.whole(key.get()));
      }
      objects.variablesUnder(NvidiaCheckpoint.MODEL).forEach((node, path) -> {
        if (!modelNodes.contains(node)) {
          found.unexpected.add(path);
        }
      });
      found.refuseAny(prefix, disc, gen);
      g.initialize(); // zero slots
      g.restore(prefix, sources);
      List<String> others = objects.rootChildren().stream().filter(c -> !c.equals(NvidiaCheckpoint.MODEL)).toList();
      this.out.println("ignored in " + prefix + ": " + String.join(", ", others) + " ("
          + (objects.variableCount() - modelNodes.size()) + " tensors: the optimizer's state and NVIDIA's counters); "
          + "dropped the " + (rows - disc.vocabSize()) + " vocabulary padding rows");
      writeImported(g, disc, gen, fingerprint, out, overwrite, "NVIDIA checkpoint " + prefix, true, "zero");
    }
  }

  /** A variable of the generator alone (its tower or its MLM head), not shared with the discriminator. */
  private static boolean generatorOnly(String name) {
    return name.startsWith(Tower.GENERATOR.scope + "/") || name.startsWith(GeneratorHead.SCOPE + "/");
  }

  /**
   * The generator of {@code disc} as wide as the checkpoint's ({@code widthWeight}: its MLM head's dense kernel,
   * [hidden, embedding]); {@code fallback} x the discriminator's width when the checkpoint lacks that weight (which
   * is then reported missing).
   */
  private static ElectraConfig generatorOfWidth(ElectraConfig disc, BundleIndex.Entry widthWeight, double fallback) {
    if (widthWeight == null || widthWeight.shape().numDimensions() != 2) {
      return disc.generator(fallback, 1.0, false);
    }
    return disc.generator((double) widthWeight.shape().size(0) / disc.hiddenSize(), 1.0, false);
  }

  private static Shape withRows(Shape shape, long rows) {
    long[] dims = shape.asArray();
    dims[0] = rows;
    return Shape.of(dims);
  }

  private static void requireBundle(Path prefix, String flag, String example) {
    if (!Files.isRegularFile(Path.of(prefix + ".index"))) {
      throw new UsageException(flag + " " + prefix + ": no " + prefix + ".index (give the prefix, e.g. " + example
          + ")");
    }
  }

  /** How a checkpoint differs from the weights an architecture has; any difference refuses the import. */
  private static final class Differences {
    final List<String> missing = new ArrayList<>();
    final List<String> unexpected = new ArrayList<>();
    final List<String> wrongShape = new ArrayList<>();

    void checkShape(String name, BundleIndex.Entry found, Shape wanted) {
      if (found.dtype() != DataType.DT_FLOAT || !found.shape().equals(wanted)) {
        wrongShape.add(name + " is " + found + ", the model's " + Arrays.toString(wanted.asArray()));
      }
    }

    void refuseAny(Path prefix, ElectraConfig disc, ElectraConfig gen) {
      if (missing.isEmpty() && unexpected.isEmpty() && wrongShape.isEmpty()) {
        return;
      }
      StringBuilder m = new StringBuilder(prefix + " does not hold exactly the weights of discriminator " + disc
          + " and generator " + gen + " (check --model_size or --model_config):");
      list(m, "missing", missing);
      list(m, "unexpected", unexpected);
      list(m, "of another shape or type", wrongShape);
      throw new IllegalArgumentException(m.toString());
    }

    private static void list(StringBuilder m, String what, List<String> names) {
      if (!names.isEmpty()) {
        m.append("\n  ").append(names.size()).append(' ').append(what).append(": ")
            .append(String.join(", ", names.stream().sorted().toList()));
      }
    }
  }

  /** Writes the checkpoint into run folder {@code run}, claimed ({@link OutputFolder}) once the source is read. */
  private void writeImported(TowerGraph g, ElectraConfig disc, ElectraConfig gen, String fingerprint, Path run,
      Overwrite overwrite, String source, boolean generatorImported, String optimizerSlots) throws IOException {
    OutputFolder.claim(run, OutputFolder.Claim.newOutput(name()), overwrite);
    Checkpoints checkpoints = new Checkpoints(run, "ckpt-", 1);
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
        "optimizer_slots", optimizerSlots, "vocab_sha256", fingerprint == null ? "" : fingerprint)));
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

  private static String trim(double d) {
    String s = String.format(Locale.ROOT, "%.6f", d);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }
}
