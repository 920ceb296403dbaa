package electra.trainer.postprocess;

import com.google.protobuf.InvalidProtocolBufferException;
import electra.trainer.model.Embeddings;
import electra.trainer.model.GeneratorHead;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.WeightNames;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph;
import org.tensorflow.proto.TrackableObjectGraphOuterClass.TrackableObjectGraph.TrackableObject;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * NVIDIA's TF2 ELECTRA pre-training checkpoints ({@code DeepLearningExamples/TensorFlow2/LanguageModeling/ELECTRA},
 * {@code run_pretraining.py}): a {@code tf.train.Checkpoint(step, phase2, optimizer, model)} saved as
 * {@code ckpt-<step>} (phase 2: {@code ckpt-p2-<step>}). That is an ordinary bundle, so TF Java's restore reads it by
 * key; but the keys are object paths chosen by TensorFlow's Python object tracking (the first path a breadth-first
 * walk meets, escaped, {@code /.ATTRIBUTES/VARIABLE_VALUE} appended), so they are looked up in the object graph the
 * checkpoint stores under {@value #OBJECT_GRAPH_KEY} rather than guessed. Names of the model's variables:
 * {@link electra.trainer.model.WeightNames#toNvidiaObjectPath}.
 *
 * <p>NVIDIA pads the vocabulary to a multiple of 8 (30522 -> 30528 rows of the word embeddings and of the generator's
 * output bias); the padding rows are dropped on import and written back on export.
 */
final class NvidiaCheckpoint {

  static final String OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH";
  /** The attribute name under which TensorFlow records a variable's value. */
  static final String VARIABLE_VALUE = "VARIABLE_VALUE";
  /** The root's child that holds NVIDIA's {@code PretrainingModel}. */
  static final String MODEL = "model";

  /**
   * The generator output bias written for the padding rows on export: with it (and zero embedding rows) the padding
   * ids get probability 0 in the generator's softmax, so the 30528-row model computes exactly this project's
   * distribution over the real vocabulary. Finite and within fp16 range, as NVIDIA computes logits in fp16 under AMP.
   */
  static final float PADDING_OUTPUT_BIAS = -10000f;

  /**
   * Other object paths by which NVIDIA's Python objects reach a variable or layer, as its object graph records them:
   * the generator shares the discriminator's embedding layer (its tower and its output layer hold it), and Keras
   * tracks the word embeddings under their {@code add_weight} name too.
   */
  private static final Map<String, String> ALIASES = Map.of(
      MODEL + "/generator/electra/embeddings", MODEL + "/discriminator/electra/embeddings",
      MODEL + "/generator/generator_lm_head/input_embeddings", MODEL + "/discriminator/electra/embeddings",
      MODEL + "/discriminator/electra/embeddings/weight", MODEL + "/discriminator/electra/embeddings/word_embeddings");

  private NvidiaCheckpoint() {}

  /**
   * Writes the weights of {@code g} (both towers) as NVIDIA's checkpoint at {@code prefix}: every variable under its
   * object path, the vocabulary-sized ones padded to a multiple of 8 rows (zero embeddings, output bias {@link
   * #PADDING_OUTPUT_BIAS}), NVIDIA's {@code step} and {@code phase2}, and the object graph naming them all. Returns
   * the number of padding rows.
   */
  static long write(TowerGraph g, long step, boolean phase2, long vocabulary, Path prefix) throws IOException {
    long padding = paddedVocabulary(vocabulary) - vocabulary;
    Ops tf = g.model().tf();
    Map<String, String> keysByPath = new LinkedHashMap<>();
    Map<String, Operand<?>> tensors = new LinkedHashMap<>();
    for (ModelGraph.Parameter p : g.model().parameters()) {
      String path = WeightNames.toNvidiaObjectPath(p.name());
      keysByPath.put(path, checkpointKey(path));
      tensors.put(checkpointKey(path), hasVocabularyRows(p.name()) ? withPaddingRows(tf, p, padding) : p.value());
    }
    // NVIDIA's tf.train.Checkpoint(step=tf.Variable(0), phase2=tf.Variable(False), ...): an int32 and a bool.
    keysByPath.put("step", checkpointKey("step"));
    tensors.put(checkpointKey("step"), tf.constant(Math.toIntExact(step)));
    keysByPath.put("phase2", checkpointKey("phase2"));
    tensors.put(checkpointKey("phase2"), tf.constant(phase2));
    byte[] graph = objectGraph(keysByPath, ALIASES).toByteArray();
    try (TString graphTensor = TString.tensorOfBytes(NdArrays.scalarOfObject(graph))) {
      tensors.put(OBJECT_GRAPH_KEY, tf.constantOf(graphTensor));
      g.save(prefix, tensors);
    }
    return padding;
  }

  private static Operand<TFloat32> withPaddingRows(Ops tf, ModelGraph.Parameter p, long padding) {
    long[] dims = p.shape().asArray();
    dims[0] = padding;
    float value = p.name().equals(GeneratorHead.SCOPE + "/output_bias") ? PADDING_OUTPUT_BIAS : 0f;
    return tf.concat(List.of(p.value(), tf.fill(tf.constant(dims), tf.constant(value))), tf.constant(0));
  }

  /** The number of rows NVIDIA gives a vocabulary of {@code size}: the next multiple of 8. */
  static long paddedVocabulary(long size) {
    return (size + 7) / 8 * 8;
  }

  /** Whether a graph variable has one row per vocabulary entry (padded in NVIDIA's checkpoints). */
  static boolean hasVocabularyRows(String googleName) {
    return googleName.equals(Embeddings.SCOPE + "/word_embeddings")
        || googleName.equals(GeneratorHead.SCOPE + "/output_bias");
  }

  /** The key this project writes a variable under: its object path, as TensorFlow forms keys. */
  static String checkpointKey(String objectPath) {
    return objectPath + "/.ATTRIBUTES/" + VARIABLE_VALUE;
  }

  /** The object graph a TF2 object-based checkpoint stores. */
  record ObjectGraph(TrackableObjectGraph proto) {

    /** Reads the object graph of the bundle at {@code prefix}; refuses a bundle without one (a TF1 checkpoint). */
    static ObjectGraph read(Path prefix) {
      byte[] serialized;
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Restore r = tf.train.restore(tf.constant(prefix.toString()),
            tf.constant(NdArrays.vectorOfObjects(OBJECT_GRAPH_KEY)), tf.constant(NdArrays.vectorOfObjects("")),
            List.of(TString.class));
        try (Result result = s.runner().fetch(r.tensors().get(0)).run()) {
          serialized = ((TString) result.get(0)).asBytes().getObject();
        }
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(prefix + " holds no " + OBJECT_GRAPH_KEY + ", so it is not a TF2 "
            + "object-based checkpoint (a TF1 bundle such as Google's is read with --from_google_checkpoint)", e);
      }
      try {
        return new ObjectGraph(TrackableObjectGraph.parseFrom(serialized));
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(prefix + ": " + OBJECT_GRAPH_KEY + " is not a TrackableObjectGraph", e);
      }
    }

    /** The node at an object path ({@code model/discriminator/...}) from the root, following children by name. */
    Optional<Integer> node(String path) {
      int id = 0;
      for (String name : path.split("/")) {
        Optional<Integer> child = proto.getNodes(id).getChildrenList().stream()
            .filter(c -> c.getLocalName().equals(name)).map(c -> c.getNodeId()).findFirst();
        if (child.isEmpty()) {
          return Optional.empty();
        }
        id = child.get();
      }
      return Optional.of(id);
    }

    /** The checkpoint key of a node's value, when the node is a variable. */
    Optional<String> key(int node) {
      return proto.getNodes(node).getAttributesList().stream().filter(a -> a.getName().equals(VARIABLE_VALUE))
          .map(TrackableObject.SerializedTensor::getCheckpointKey).findFirst();
    }

    /**
     * Every variable reachable from the root's child {@code child}, by node id, each with the first object path a
     * breadth-first walk meets it by (the path TensorFlow names it after).
     */
    Map<Integer, String> variablesUnder(String child) {
      Map<Integer, String> variables = new LinkedHashMap<>();
      Optional<Integer> start = node(child);
      if (start.isEmpty()) {
        return variables;
      }
      Map<Integer, String> seen = new HashMap<>(Map.of(start.get(), child));
      Deque<Integer> queue = new ArrayDeque<>(List.of(start.get()));
      while (!queue.isEmpty()) {
        int id = queue.poll();
        if (key(id).isPresent()) {
          variables.put(id, seen.get(id));
        }
        for (TrackableObject.ObjectReference c : proto.getNodes(id).getChildrenList()) {
          if (!seen.containsKey(c.getNodeId())) {
            seen.put(c.getNodeId(), seen.get(id) + "/" + c.getLocalName());
            queue.add(c.getNodeId());
          }
        }
      }
      return variables;
    }

    /** The nodes holding a value anywhere in the checkpoint (optimizer slots included, which no path reaches). */
    long variableCount() {
      return proto.getNodesList().stream().filter(n -> n.getAttributesList().stream()
          .anyMatch(a -> a.getName().equals(VARIABLE_VALUE))).count();
    }

    /** The names of the root's children: what the checkpoint was made of ({@code model}, {@code optimizer}...). */
    List<String> rootChildren() {
      return proto.getNodes(0).getChildrenList().stream().map(TrackableObject.ObjectReference::getLocalName)
          .sorted().toList();
    }
  }

  /**
   * The object graph of a checkpoint holding the given variables (object path -> checkpoint key): a node per path
   * element, a {@value #VARIABLE_VALUE} attribute per variable, and {@code aliases} (object path -> the object path
   * it is another name for), as NVIDIA's shared embeddings are reachable from both towers.
   */
  static TrackableObjectGraph objectGraph(Map<String, String> keysByPath, Map<String, String> aliases) {
    List<TrackableObject.Builder> nodes = new ArrayList<>(List.of(TrackableObject.newBuilder()));
    Map<String, Integer> ids = new HashMap<>(Map.of("", 0));
    keysByPath.forEach((path, key) -> nodes.get(nodeFor(path, nodes, ids)).addAttributes(
        TrackableObject.SerializedTensor.newBuilder().setName(VARIABLE_VALUE).setCheckpointKey(key)));
    aliases.forEach((alias, target) -> {
      int slash = alias.lastIndexOf('/');
      nodes.get(nodeFor(alias.substring(0, slash), nodes, ids)).addChildren(TrackableObject.ObjectReference
          .newBuilder().setLocalName(alias.substring(slash + 1)).setNodeId(ids.get(target)));
    });
    TrackableObjectGraph.Builder graph = TrackableObjectGraph.newBuilder();
    nodes.forEach(graph::addNodes);
    return graph.build();
  }

  private static int nodeFor(String path, List<TrackableObject.Builder> nodes, Map<String, Integer> ids) {
    Integer known = ids.get(path);
    if (known != null) {
      return known;
    }
    int slash = path.lastIndexOf('/');
    int parent = nodeFor(slash < 0 ? "" : path.substring(0, slash), nodes, ids);
    int id = nodes.size();
    nodes.add(TrackableObject.newBuilder());
    nodes.get(parent).addChildren(TrackableObject.ObjectReference.newBuilder()
        .setLocalName(path.substring(slash + 1)).setNodeId(id));
    ids.put(path, id);
    return id;
  }
}
