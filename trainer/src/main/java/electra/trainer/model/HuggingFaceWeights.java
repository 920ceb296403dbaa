package electra.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.model.ElectraConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Moves one tower's weights between a Hugging Face folder ({@code model.safetensors} + {@code config.json},
 * parameter names of {@code modeling_electra.py}) and the variables of a running model graph. Names are
 * translated by {@link WeightNames}; kernels are transposed on the way.
 */
public final class HuggingFaceWeights {

  public static final String WEIGHTS_FILE = "model.safetensors";
  public static final String CONFIG_FILE = "config.json";

  /** Values moved per session run, so a large model never needs two full copies in memory (256 MB). */
  private static final long FLOATS_PER_RUN = 64L << 20;

  /** Config keys that do not change the function the weights compute. */
  private static final Set<String> TRAINING_ONLY_KEYS = Set.of("hidden_dropout_prob",
      "attention_probs_dropout_prob", "initializer_range");

  /** How strictly the file must match the graph. */
  public enum Match {
    /** Every variable of the tower and its heads is in the file, and the file holds nothing else. */
    EXACT,
    /**
     * The embeddings and encoder must all be in the file; heads are loaded when present with the graph's shapes and
     * otherwise keep their initial values (e.g. a fresh QA head on a pre-trained discriminator, or a classifier of
     * other labels); file tensors of heads the graph lacks or of other shapes are ignored.
     */
    ENCODER
  }

  /** What a load did, by graph variable name (and file tensor name for {@code ignored}). */
  public record Report(List<String> loaded, List<String> leftAsInitialised, List<String> ignored) {}

  private record Item(ModelGraph.Parameter parameter, String fileName, boolean transposed) {}

  private HuggingFaceWeights() {}

  /** The folder's {@code config.json}. */
  public static ElectraConfig readConfig(Path dir) throws IOException {
    return ElectraConfig.readJson(dir.resolve(CONFIG_FILE));
  }

  /**
   * Assigns the folder's weights to the variables of {@code tower} (and its heads) in the graph. The session's
   * initializers run first, so variables the file does not cover keep their initial values.
   *
   * @param towerConfig the config the tower was built with; it must describe the same architecture as the folder's
   *     {@code config.json}
   */
  public static Report load(Path dir, Tower tower, ElectraConfig towerConfig, ModelGraph g, Session session,
      Match match) throws IOException {
    return load(dir, tower, towerConfig, g, session, match, true);
  }

  /**
   * As {@link #load(Path, Tower, ElectraConfig, ModelGraph, Session, Match)}, but with {@code initialize} false the
   * session's initializers are not run first: variables loaded before (e.g. the other tower) keep their values.
   */
  public static Report load(Path dir, Tower tower, ElectraConfig towerConfig, ModelGraph g, Session session,
      Match match, boolean initialize) throws IOException {
    ElectraConfig fileConfig = readConfig(dir);
    List<String> differences = architectureDifferences(towerConfig, fileConfig);
    if (!differences.isEmpty()) {
      throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + " describes another architecture than the "
          + tower + " graph: " + String.join(", ", differences));
    }
    Path weights = dir.resolve(WEIGHTS_FILE);
    try (Safetensors file = Safetensors.open(weights)) {
      Map<String, String> byPrefixedName = new LinkedHashMap<>();
      for (String n : file.names()) {
        byPrefixedName.put(WeightNames.withTowerPrefix(n), n);
      }
      Set<String> unclaimed = new LinkedHashSet<>(byPrefixedName.keySet());
      unclaimed.removeAll(WeightNames.BUFFERS);

      List<Item> items = new ArrayList<>();
      List<String> missing = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (ModelGraph.Parameter p : g.parameters()) {
        Optional<WeightNames.HfName> hf = WeightNames.toHuggingFace(p.name(), tower);
        if (hf.isEmpty()) {
          continue;
        }
        String stored = byPrefixedName.get(hf.get().name());
        if (stored == null) {
          missing.add(p.name());
          if (match == Match.EXACT || isEncoder(p.name(), tower)) {
            problems.add("missing " + hf.get().name() + " (for " + p.name() + ")");
          }
          continue;
        }
        unclaimed.remove(hf.get().name());
        long[] expected = p.shape().asArray();
        if (hf.get().transposed()) {
          expected = new long[] {expected[1], expected[0]};
        }
        long[] actual = file.entry(stored).shape();
        if (!Arrays.equals(actual, expected) && match == Match.ENCODER && !isEncoder(p.name(), tower)) {
          // a head for other labels (a classifier fine-tuned on another task): the new task's head starts afresh
          missing.add(p.name());
          unclaimed.add(hf.get().name());
        } else if (!Arrays.equals(actual, expected)) {
          problems.add(stored + " has shape " + Arrays.toString(actual) + ", " + p.name() + " needs "
              + Arrays.toString(expected));
        } else {
          items.add(new Item(p, stored, hf.get().transposed()));
        }
      }
      if (tower == Tower.GENERATOR && unclaimed.remove(WeightNames.TIED_GENERATOR_OUTPUT)) {
        checkTied(file, byPrefixedName, problems);
      }
      List<String> ignored = new ArrayList<>();
      for (String name : unclaimed) {
        if (match == Match.EXACT) {
          problems.add("unexpected " + byPrefixedName.get(name));
        } else {
          ignored.add(byPrefixedName.get(name));
        }
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(weights + " does not fit the " + tower + " graph (" + match
            + " match):\n  " + String.join("\n  ", problems));
      }

      if (initialize) {
        session.initialize();
      }
      assign(file, items, g, session);
      return new Report(items.stream().map(i -> i.parameter().name()).toList(), missing, ignored);
    }
  }

  private static boolean isEncoder(String google, Tower tower) {
    return google.startsWith(Embeddings.SCOPE + "/") || google.startsWith(tower.scope + "/");
  }

  /** A stored generator output layer must be the word embeddings: an untied one cannot be represented here. */
  private static void checkTied(Safetensors file, Map<String, String> byPrefixedName, List<String> problems)
      throws IOException {
    String word = byPrefixedName.get("electra.embeddings.word_embeddings.weight");
    String tied = byPrefixedName.get(WeightNames.TIED_GENERATOR_OUTPUT);
    if (word == null) {
      return; // already reported as missing
    }
    if (!Arrays.equals(file.read(tied).values(), file.read(word).values())) {
      problems.add(tied + " differs from " + word + ": untied generator output layers are not supported");
    }
  }

  private static void assign(Safetensors file, List<Item> items, ModelGraph g, Session session) throws IOException {
    int next = 0;
    while (next < items.size()) {
      List<Tensor> fed = new ArrayList<>();
      try {
        Session.Runner runner = session.runner();
        long floats = 0;
        while (next < items.size() && (floats == 0 || floats < FLOATS_PER_RUN)) {
          Item item = items.get(next++);
          HostTensor host = file.read(item.fileName());
          if (item.transposed()) {
            host = host.transposed();
          }
          TFloat32 t = TFloat32.tensorOf(Shape.of(host.shape()), DataBuffers.of(host.values(), true, false));
          fed.add(t);
          ModelGraph.Importer importer = g.importer(item.parameter());
          runner.feed(importer.value(), t).addTarget(importer.assign());
          floats += host.values().length;
        }
        try (Result ignored = runner.run()) {
          // targets only
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
  }

  /**
   * Writes {@code tower} (shared embeddings, encoder and the heads the graph has for it) as a Hugging Face folder:
   * {@code model.safetensors} in F32 and {@code config.json} from {@code towerConfig}. The architecture recorded is
   * {@code ElectraForMaskedLM} for the generator, else {@code ElectraForQuestionAnswering} when the graph has the
   * span head, {@code ElectraForTokenClassification} when it has the token classifier,
   * {@code ElectraForSequenceClassification} when it has the sequence classifier, else
   * {@code ElectraForPreTraining}.
   */
  public static void save(Path dir, Tower tower, ElectraConfig towerConfig, ModelGraph g, Session session)
      throws IOException {
    List<ModelGraph.Parameter> params = new ArrayList<>();
    List<WeightNames.HfName> names = new ArrayList<>();
    for (ModelGraph.Parameter p : g.parameters()) {
      WeightNames.toHuggingFace(p.name(), tower).ifPresent(hf -> {
        params.add(p);
        names.add(hf);
      });
    }
    Map<String, HostTensor> tensors = new TreeMap<>();
    int next = 0;
    while (next < params.size()) {
      int first = next;
      Session.Runner runner = session.runner();
      long floats = 0;
      while (next < params.size() && (floats == 0 || floats < FLOATS_PER_RUN)) {
        runner.fetch(params.get(next).variable());
        floats += params.get(next++).shape().size();
      }
      try (Result result = runner.run()) {
        for (int i = first; i < next; i++) {
          TFloat32 t = (TFloat32) result.get(i - first);
          float[] values = new float[Math.toIntExact(t.size())];
          t.copyTo(DataBuffers.of(values, false, false));
          HostTensor host = new HostTensor(t.shape().asArray(), values);
          tensors.put(names.get(i).name(), names.get(i).transposed() ? host.transposed() : host);
        }
      }
    }
    boolean hasSpanHead = params.stream().anyMatch(p -> p.name().startsWith(SpanHead.SCOPE + "/"));
    boolean hasTagger = params.stream().anyMatch(p -> p.name().equals(TokenClassificationHead.KERNEL));
    boolean hasClassifier = params.stream().anyMatch(p -> p.name().startsWith(ClassificationHead.SCOPE + "/"));
    String architecture = tower == Tower.GENERATOR ? "ElectraForMaskedLM"
        : hasSpanHead ? "ElectraForQuestionAnswering"
        : hasTagger ? "ElectraForTokenClassification"
        : hasClassifier ? "ElectraForSequenceClassification" : "ElectraForPreTraining";
    Files.createDirectories(dir);
    Safetensors.write(dir.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"));
    towerConfig.writeJson(dir.resolve(CONFIG_FILE), architecture);
  }

  /** "key a vs b" for every config.json key that changes what the weights compute. */
  private static List<String> architectureDifferences(ElectraConfig a, ElectraConfig b) {
    ObjectNode ja = a.toJson("");
    ObjectNode jb = b.toJson("");
    List<String> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = ja.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!TRAINING_ONLY_KEYS.contains(e.getKey()) && !e.getValue().equals(jb.get(e.getKey()))) {
        out.add(e.getKey() + " " + e.getValue() + " in the graph vs " + jb.get(e.getKey()));
      }
    }
    return out;
  }
}
