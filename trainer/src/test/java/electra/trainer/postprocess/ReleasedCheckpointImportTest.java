package electra.trainer.postprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.model.ElectraConfig;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.WeightNames;
import electra.trainer.pretrain.BookShards;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;

/**
 * Imports of Google's and NVIDIA's checkpoints against the names those checkpoints really hold: the listings in
 * {@code src/test/resources/released-checkpoints/}, written down from the upstream code and published listings. The
 * project's graph must have exactly those names and shapes at full size, and bundles written with exactly those
 * names (at a tiny width, same layer count) import; a missing or an unexpected weight is refused with its name.
 */
class ReleasedCheckpointImportTest {

  @TempDir
  static Path tmp;
  static String vocab;

  /** Google's three releases, each with tiny widths for the released ones (same ratios, same layer counts). */
  enum Release {
    SMALL("google_electra_small", "small", Map.of(128L, 16L, 256L, 32L, 1024L, 128L)),
    BASE("google_electra_base", "base", Map.of(768L, 48L, 3072L, 192L, 256L, 16L, 1024L, 64L)),
    LARGE("google_electra_large", "large", Map.of(1024L, 64L, 4096L, 256L, 256L, 16L));

    final String listing;
    final String size;
    final Map<Long, Long> tinyWidths;

    Release(String listing, String size, Map<Long, Long> tinyWidths) {
      this.listing = listing;
      this.size = size;
      this.tinyWidths = tinyWidths;
    }

    ElectraConfig disc() {
      return ElectraConfig.preset(size);
    }

    ElectraConfig tinyDisc() {
      ElectraConfig full = disc();
      return ElectraConfig.standard(Math.toIntExact(tinyWidths.get((long) full.embeddingSize())),
          Math.toIntExact(tinyWidths.get((long) full.hiddenSize())), full.numHiddenLayers());
    }
  }

  @BeforeAll
  static void vocabulary() {
    vocab = BookShards.vocabFile(BookShards.shared()).toString();
  }

  private static PrintStream capture(ByteArrayOutputStream bytes) {
    return new PrintStream(bytes, true, StandardCharsets.UTF_8);
  }

  /** The generator a listing's checkpoint holds, as wide as its MLM head's dense kernel says. */
  private static ElectraConfig generatorOf(ReleaseListing listing, ElectraConfig disc, String widthWeight) {
    return disc.generator((double) listing.get(widthWeight).shape().size(0) / disc.hiddenSize(), 1.0, false);
  }

  private static Map<String, Shape> projectWeights(ElectraConfig disc, ElectraConfig gen) {
    Map<String, Shape> weights = new TreeMap<>();
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, false)) {
      for (ModelGraph.Parameter p : g.model().parameters()) {
        weights.put(p.name(), p.shape());
      }
    }
    return weights;
  }

  private static Map<String, Shape> floats(ReleaseListing listing) {
    Map<String, Shape> floats = new TreeMap<>();
    listing.tensors().stream().filter(t -> t.dtype() == DataType.DT_FLOAT).forEach(t -> floats.put(t.name(),
        t.shape()));
    return floats;
  }

  @ParameterizedTest
  @EnumSource(Release.class)
  void theGraphHasExactlyTheReleasedWeights(Release release) throws IOException {
    ReleaseListing listing = ReleaseListing.load(release.listing);
    ElectraConfig gen = generatorOf(listing, release.disc(), "generator_predictions/dense/kernel");
    assertEquals(floats(listing), projectWeights(release.disc(), gen), release.listing);
    assertEquals(new ReleaseListing.Tensor("global_step", Shape.scalar(), DataType.DT_INT64),
        listing.get("global_step"));
  }

  @ParameterizedTest
  @EnumSource(value = Release.class, names = {"BASE", "LARGE"})
  void nvidiasObjectPathsAreExactlyTheListedOnes(Release release) throws IOException {
    ReleaseListing listing = ReleaseListing.load("nvidia_electra_" + release.size);
    ElectraConfig disc = release.disc();
    ElectraConfig gen = generatorOf(listing, disc, "model/generator/generator_predictions/dense/kernel");
    Map<String, Shape> expected = new TreeMap<>();
    projectWeights(disc, gen).forEach((name, shape) -> {
      long[] dims = shape.asArray();
      if (NvidiaCheckpoint.hasVocabularyRows(name)) {
        dims[0] = NvidiaCheckpoint.paddedVocabulary(dims[0]);
      }
      expected.put(WeightNames.toNvidiaObjectPath(name), Shape.of(dims));
    });
    assertEquals(floats(listing), expected);
    assertEquals(30528, listing.get("model/generator/generator_lm_head/bias").shape().size(0));
  }

  @ParameterizedTest
  @EnumSource(Release.class)
  void aTinyBundleOfTheReleasedNamesImportsBothTowers(Release release) throws Exception {
    ReleaseListing listing = ReleaseListing.load(release.listing).scaled(release.tinyWidths);
    Path prefix = tmp.resolve("google-" + release.size + "/" + release.listing);
    Files.createDirectories(prefix.getParent());
    listing.write(prefix);
    Path config = tmp.resolve("google-" + release.size + "/config.json");
    release.tinyDisc().writeJson(config, "ElectraForPreTraining");
    Path run = tmp.resolve("google-" + release.size + "/run");
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    new ImportModel(capture(said)).run(new String[] {"--from_google_checkpoint=" + prefix, "--model_config=" + config,
        "--output_dir=" + run, "--vocab_file=" + vocab});

    String out = said.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("ignored in " + prefix + ": global_step"), out);
    assertTrue(Files.readString(run.resolve("import.json")).contains("\"generator\" : \"imported\""));
    ElectraConfig gen = ElectraConfig.readJson(run.resolve("generator_config.json"));
    assertEquals(listing.get("generator_predictions/dense/kernel").shape().size(0), gen.hiddenSize(),
        "the generator's width comes from the checkpoint, not from --generator_hidden_size");
    try (TowerGraph g = new TowerGraph(release.tinyDisc(), gen, TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(run.resolve("ckpt-000000/model"));
      Map<String, float[]> imported = g.weights();
      assertEquals(floats(listing).keySet(), imported.keySet());
      floats(listing).forEach((name, shape) -> assertArrayEquals(ReleaseListing.values(name, shape),
          imported.get(name), name));
    }
  }

  @Test
  void aMissingWeightIsRefusedWithItsName() throws IOException {
    ReleaseListing listing = ReleaseListing.load(Release.SMALL.listing).scaled(Release.SMALL.tinyWidths)
        .without(n -> n.equals("generator/encoder/layer_7/attention/self/key/bias")
            || n.equals("electra/embeddings_project/kernel"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> importSmall(listing, "missing", false));
    assertTrue(e.getMessage().contains("2 missing: electra/embeddings_project/kernel, "
        + "generator/encoder/layer_7/attention/self/key/bias"), e.getMessage());
    assertTrue(!e.getMessage().contains("unexpected"), e.getMessage());
  }

  @Test
  void anUnexpectedWeightIsRefusedWithItsName() throws IOException {
    Shape table = Shape.of(30522, 16);
    ReleaseListing listing = ReleaseListing.load(Release.SMALL.listing).scaled(Release.SMALL.tinyWidths).with(List.of(
        new ReleaseListing.Tensor("generator/embeddings/word_embeddings", table, DataType.DT_FLOAT),
        new ReleaseListing.Tensor("electra/encoder/layer_12/output/dense/bias", Shape.of(32), DataType.DT_FLOAT)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> importSmall(listing, "unexpected", false));
    assertTrue(e.getMessage().contains("2 unexpected: electra/encoder/layer_12/output/dense/bias float32 [32], "
        + "generator/embeddings/word_embeddings float32 [30522, 16]"), e.getMessage());
  }

  @Test
  void optimizerSlotsAreIgnoredAndSaidSoUnlessAsked() throws Exception {
    ReleaseListing released = ReleaseListing.load(Release.SMALL.listing).scaled(Release.SMALL.tinyWidths);
    ReleaseListing pretrained = released.withAdamSlots();
    long slots = pretrained.tensors().size() - released.tensors().size();

    ByteArrayOutputStream said = new ByteArrayOutputStream();
    Path ignoring = importSmall(pretrained, "slots-ignored", false, capture(said));
    assertTrue(said.toString(StandardCharsets.UTF_8).contains(": " + slots + " optimizer slots (adam_m, adam_v; "
        + "--import_optimizer_slots loads them), global_step"), said.toString(StandardCharsets.UTF_8));
    importedSlots(ignoring).forEach((name, v) -> assertArrayEquals(new float[v.length], v, name));
    assertTrue(Files.readString(ignoring.resolve("import.json")).contains("\"optimizer_slots\" : \"zero\""));

    Path loading = importSmall(pretrained, "slots-loaded", true);
    Map<String, float[]> loaded = importedSlots(loading);
    assertEquals(slots, loaded.size());
    loaded.forEach((name, v) -> assertArrayEquals(ReleaseListing.values(name, pretrained.get(name).shape()), v,
        name));

    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> importSmall(released, "no-slots", true));
    assertTrue(none.getMessage().contains("holds no optimizer slots (Google's released checkpoints carry none"),
        none.getMessage());
  }

  private Path importSmall(ReleaseListing listing, String name, boolean slots) throws Exception {
    return importSmall(listing, name, slots, capture(new ByteArrayOutputStream()));
  }

  private Path importSmall(ReleaseListing listing, String name, boolean slots, PrintStream out) throws Exception {
    Path dir = tmp.resolve(name);
    Path prefix = dir.resolve("electra_small");
    Files.createDirectories(dir);
    listing.write(prefix);
    Path config = dir.resolve("config.json");
    Release.SMALL.tinyDisc().writeJson(config, "ElectraForPreTraining");
    Path run = dir.resolve("run");
    List<String> args = new ArrayList<>(List.of("--from_google_checkpoint=" + prefix, "--model_config=" + config,
        "--output_dir=" + run, "--vocab_file=" + vocab));
    if (slots) {
      args.add("--import_optimizer_slots");
    }
    new ImportModel(out).run(args.toArray(String[]::new));
    return run;
  }

  /** The optimizer slots of an imported run's checkpoint. */
  private static Map<String, float[]> importedSlots(Path run) throws IOException {
    ElectraConfig disc = ElectraConfig.readJson(run.resolve("discriminator_config.json"));
    ElectraConfig gen = ElectraConfig.readJson(run.resolve("generator_config.json"));
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, true)) {
      g.initialize();
      g.restore(run.resolve("ckpt-000000/model"), List.copyOf(g.slots().keySet()));
      return g.slots();
    }
  }

  // NVIDIA

  static final Map<Long, Long> NVIDIA_BASE_TINY = Release.BASE.tinyWidths;

  /**
   * An NVIDIA checkpoint of the base listing at tiny width, laid out as TensorFlow's object tracking writes one: the
   * root's children {@code model}, {@code optimizer}, {@code phase2}, {@code save_counter}, {@code step}; the shared
   * embedding layer reachable from both towers and the generator's output layer; the word embeddings keyed by their
   * {@code add_weight} name {@code weight}; Adam slots {@code m}, {@code v} of two variables, which only the
   * optimizer's slot references reach.
   */
  private static Path nvidiaBundle(String name, ReleaseListing listing) throws IOException {
    Path dir = tmp.resolve(name);
    Files.createDirectories(dir);
    Path prefix = dir.resolve("ckpt-1000");
    List<TrackableObject.Builder> nodes = new ArrayList<>(List.of(TrackableObject.newBuilder()));
    Map<String, Integer> ids = new HashMap<>(Map.of("", 0));
    Map<String, String> keys = new LinkedHashMap<>();
    String embeddings = "model/discriminator/electra/embeddings";
    for (ReleaseListing.Tensor t : listing.tensors()) {
      String path = t.name().equals(embeddings + "/word_embeddings") ? embeddings + "/weight" : t.name();
      int node = tfNode(path, nodes, ids);
      keys.put(t.name(), path + "/.ATTRIBUTES/VARIABLE_VALUE");
      nodes.get(node).addAttributes(TrackableObject.SerializedTensor.newBuilder().setName("VARIABLE_VALUE")
          .setFullName(t.name()).setCheckpointKey(keys.get(t.name())));
    }
    alias("model/discriminator/electra/embeddings/word_embeddings", embeddings + "/weight", nodes, ids);
    if (!ids.containsKey("model/generator/electra/embeddings")) { // shared_embeddings=True, NVIDIA's default
      alias("model/generator/electra/embeddings", embeddings, nodes, ids);
      alias("model/generator/generator_lm_head/input_embeddings", embeddings, nodes, ids);
    }
    ReleaseListing.Tensor iterations = new ReleaseListing.Tensor("optimizer/iter", Shape.scalar(),
        DataType.DT_INT64);
    ReleaseListing.Tensor saves = new ReleaseListing.Tensor("save_counter", Shape.scalar(), DataType.DT_INT64);
    List<ReleaseListing.Tensor> extra = new ArrayList<>(List.of(iterations, saves));
    for (ReleaseListing.Tensor t : List.of(iterations, saves)) {
      keys.put(t.name(), t.name() + "/.ATTRIBUTES/VARIABLE_VALUE");
      nodes.get(tfNode(t.name(), nodes, ids)).addAttributes(TrackableObject.SerializedTensor.newBuilder()
          .setName("VARIABLE_VALUE").setCheckpointKey(keys.get(t.name())));
    }
    for (String variable : List.of("model/discriminator/discriminator_predictions/dense/bias",
        "model/generator/generator_lm_head/bias")) {
      for (String slot : List.of("m", "v")) {
        int id = nodes.size();
        String key = variable + "/.OPTIMIZER_SLOT/optimizer/" + slot + "/.ATTRIBUTES/VARIABLE_VALUE";
        nodes.add(TrackableObject.newBuilder().addAttributes(TrackableObject.SerializedTensor.newBuilder()
            .setName("VARIABLE_VALUE").setCheckpointKey(key)));
        nodes.get(ids.get("optimizer")).addSlotVariables(TrackableObject.SlotVariableReference.newBuilder()
            .setOriginalVariableNodeId(ids.get(variable)).setSlotName(slot).setSlotVariableNodeId(id));
        ReleaseListing.Tensor slotTensor = new ReleaseListing.Tensor(variable + "/" + slot,
            listing.get(variable).shape(), DataType.DT_FLOAT);
        keys.put(slotTensor.name(), key);
        extra.add(slotTensor);
      }
    }
    TrackableObjectGraph.Builder graph = TrackableObjectGraph.newBuilder();
    nodes.forEach(graph::addNodes);
    listing.with(extra).write(prefix, Map.of("_CHECKPOINTABLE_OBJECT_GRAPH", graph.build().toByteArray()),
        t -> keys.get(t.name()));
    return prefix;
  }

  private static int tfNode(String path, List<TrackableObject.Builder> nodes, Map<String, Integer> ids) {
    Integer known = ids.get(path);
    if (known != null) {
      return known;
    }
    int slash = path.lastIndexOf('/');
    int parent = tfNode(slash < 0 ? "" : path.substring(0, slash), nodes, ids);
    nodes.add(TrackableObject.newBuilder());
    int id = nodes.size() - 1;
    nodes.get(parent).addChildren(TrackableObject.ObjectReference.newBuilder().setLocalName(path.substring(slash + 1))
        .setNodeId(id));
    ids.put(path, id);
    return id;
  }

  private static void alias(String alias, String target, List<TrackableObject.Builder> nodes,
      Map<String, Integer> ids) {
    int slash = alias.lastIndexOf('/');
    nodes.get(tfNode(alias.substring(0, slash), nodes, ids)).addChildren(TrackableObject.ObjectReference.newBuilder()
        .setLocalName(alias.substring(slash + 1)).setNodeId(ids.get(target)));
  }

  private static Path tinyBaseConfig(Path dir) throws IOException {
    Path config = dir.resolve("config.json");
    Release.BASE.tinyDisc().writeJson(config, "ElectraForPreTraining");
    return config;
  }

  @Test
  void nvidiaCheckpointImportsWithoutItsPaddingRowsAndExportsThemBack() throws Exception {
    ReleaseListing listing = ReleaseListing.load("nvidia_electra_base").scaled(NVIDIA_BASE_TINY);
    Path prefix = nvidiaBundle("nvidia", listing);
    Path run = tmp.resolve("nvidia/run");
    ByteArrayOutputStream said = new ByteArrayOutputStream();
    new ImportModel(capture(said)).run(new String[] {"--from_nvidia_checkpoint=" + prefix,
        "--model_config=" + tinyBaseConfig(prefix.getParent()), "--output_dir=" + run, "--vocab_file=" + vocab});
    String out = said.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("ignored in " + prefix + ": optimizer, phase2, save_counter, step (8 tensors: the "
        + "optimizer's state and NVIDIA's counters); dropped the 6 vocabulary padding rows"), out);

    ElectraConfig disc = Release.BASE.tinyDisc();
    ElectraConfig gen = ElectraConfig.readJson(run.resolve("generator_config.json"));
    assertEquals(16, gen.hiddenSize());
    Map<String, float[]> imported;
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(run.resolve("ckpt-000000/model"));
      imported = g.weights();
    }
    for (Map.Entry<String, float[]> w : imported.entrySet()) {
      String path = WeightNames.toNvidiaObjectPath(w.getKey());
      float[] source = ReleaseListing.values(path, listing.get(path).shape());
      assertArrayEquals(Arrays.copyOf(source, w.getValue().length), w.getValue(), path);
    }
    assertEquals(30522 * 48, imported.get("electra/embeddings/word_embeddings").length, "padding rows dropped");

    Path exported = tmp.resolve("nvidia/export");
    said.reset();
    new Postprocess(capture(said)).run(new String[] {"--pretrain_dir=" + run, "--output_dir=" + exported,
        "--vocab_file=" + vocab, "--format=nvidia"});
    Path back = exported.resolve("ckpt-0");
    assertTrue(Files.readString(exported.resolve("checkpoint")).contains("model_checkpoint_path: \"ckpt-0\""));
    NvidiaCheckpoint.ObjectGraph objects = NvidiaCheckpoint.ObjectGraph.read(back);
    Map<String, String> keys = new LinkedHashMap<>();
    for (String name : imported.keySet()) {
      keys.put(name, objects.node(WeightNames.toNvidiaObjectPath(name)).flatMap(objects::key).orElseThrow());
    }
    assertEquals(Shape.of(30528, 48), BundleIndex.read(back).get(keys.get("electra/embeddings/word_embeddings"))
        .shape());
    Map<String, float[]> written = restoredWithPadding(back, keys, disc, gen);
    float[] table = written.get("electra/embeddings/word_embeddings");
    assertArrayEquals(imported.get("electra/embeddings/word_embeddings"), Arrays.copyOf(table, 30522 * 48));
    assertArrayEquals(new float[6 * 48], Arrays.copyOfRange(table, 30522 * 48, 30528 * 48), "zero padding rows");
    float[] bias = written.get("generator_predictions/output_bias");
    assertArrayEquals(imported.get("generator_predictions/output_bias"), Arrays.copyOf(bias, 30522));
    float[] paddingBias = new float[6];
    Arrays.fill(paddingBias, NvidiaCheckpoint.PADDING_OUTPUT_BIAS);
    assertArrayEquals(paddingBias, Arrays.copyOfRange(bias, 30522, 30528), "the padding ids are never predicted");
    for (String name : imported.keySet()) {
      if (!NvidiaCheckpoint.hasVocabularyRows(name)) {
        assertArrayEquals(imported.get(name), written.get(name), name);
      }
    }
    assertTrue(objects.node("model/generator/electra/embeddings").equals(
        objects.node("model/discriminator/electra/embeddings")), "one embedding layer for both towers");
    assertTrue(objects.key(objects.node("step").orElseThrow()).isPresent());

    Path again = tmp.resolve("nvidia/again");
    new ImportModel(capture(new ByteArrayOutputStream())).run(new String[] {"--from_nvidia_checkpoint=" + back,
        "--model_config=" + tinyBaseConfig(prefix.getParent()), "--output_dir=" + again, "--vocab_file=" + vocab});
    try (TowerGraph g = new TowerGraph(disc, gen, TowerGraph.Parts.BOTH, false)) {
      g.restoreWeights(again.resolve("ckpt-000000/model"));
      g.weights().forEach((name, v) -> assertArrayEquals(imported.get(name), v, "round trip " + name));
    }
  }

  /** The variables at the given keys, read into a graph whose vocabulary has NVIDIA's padded size. */
  private static Map<String, float[]> restoredWithPadding(Path prefix, Map<String, String> keys, ElectraConfig disc,
      ElectraConfig gen) {
    ElectraConfig padded = new ElectraConfig(Math.toIntExact(NvidiaCheckpoint.paddedVocabulary(disc.vocabSize())),
        disc.embeddingSize(), disc.hiddenSize(), disc.numHiddenLayers(), disc.numAttentionHeads(),
        disc.intermediateSize(), disc.hiddenAct(), disc.hiddenDropoutProb(), disc.attentionProbsDropoutProb(),
        disc.maxPositionEmbeddings(), disc.typeVocabSize(), disc.initializerRange(), disc.layerNormEps());
    ElectraConfig paddedGen = padded.generator((double) gen.hiddenSize() / disc.hiddenSize(), 1.0, false);
    try (TowerGraph g = new TowerGraph(padded, paddedGen, TowerGraph.Parts.BOTH, false)) {
      Map<String, TowerGraph.Source> sources = new LinkedHashMap<>();
      keys.forEach((name, key) -> sources.put(name, TowerGraph.Source.whole(key)));
      g.restore(prefix, sources);
      return g.weights();
    }
  }

  @Test
  void nvidiaUntiedGeneratorEmbeddingsAreUnexpectedAndAMissingLayerIsNamed() throws IOException {
    Shape table = Shape.of(30528, 48);
    ReleaseListing listing = ReleaseListing.load("nvidia_electra_base").scaled(NVIDIA_BASE_TINY)
        .without(n -> n.equals("model/generator/electra/encoder/layer/11/bert_output/dense/bias"))
        .with(List.of(new ReleaseListing.Tensor("model/generator/electra/embeddings/word_embeddings", table,
            DataType.DT_FLOAT)));
    Path prefix = nvidiaBundle("nvidia-untied", listing);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ImportModel(
        capture(new ByteArrayOutputStream())).run(new String[] {"--from_nvidia_checkpoint=" + prefix,
            "--model_config=" + tinyBaseConfig(prefix.getParent()), "--output_dir=" + tmp.resolve("x"),
            "--vocab_file=" + vocab}));
    assertTrue(e.getMessage().contains("1 missing: model/generator/electra/encoder/layer/11/bert_output/dense/bias"),
        e.getMessage());
    assertTrue(e.getMessage().contains("unexpected: model/generator/electra/embeddings/word_embeddings"),
        e.getMessage());
  }
}
