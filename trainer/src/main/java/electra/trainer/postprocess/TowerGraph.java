package electra.trainer.postprocess;

import static electra.trainer.model.HostArrays.floats;

import electra.model.ElectraConfig;
import electra.trainer.model.DiscriminatorHead;
import electra.trainer.model.Embeddings;
import electra.trainer.model.Encoder;
import electra.trainer.model.GeneratorHead;
import electra.trainer.model.HostArrays;
import electra.trainer.model.Inputs;
import electra.trainer.model.ModelGraph;
import electra.trainer.model.SpanHead;
import electra.trainer.model.Tower;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * An inference graph (no dropout) holding the parts of ELECTRA a conversion needs, with Google's variable names, in
 * its own session: the shared embeddings, the discriminator with its replaced-token head (and the QA span head when
 * asked), the generator with its MLM head. Reads and writes TF checkpoint bundles by variable name.
 */
public final class TowerGraph implements AutoCloseable {

  /** Which parts the graph holds. */
  public record Parts(boolean discriminator, boolean spanHead, boolean generator) {
    public static final Parts BOTH = new Parts(true, false, true);
    public static final Parts DISCRIMINATOR = new Parts(true, false, false);
    public static final Parts GENERATOR = new Parts(false, false, true);

    public Parts withSpanHead(boolean span) {
      return new Parts(discriminator, span && discriminator, generator);
    }
  }

  private final Graph graph = new Graph();
  private final ModelGraph model;
  private final Session session;
  private final Inputs inputs;
  private final Operand<TFloat32> discLogits;
  private final Operand<TFloat32> mlmLogits;
  private final SpanHead.Logits spanLogits;
  private final Map<String, Variable<TFloat32>> slots = new LinkedHashMap<>();

  /**
   * @param withSlots also zero {@code <var>/adam_m} and {@code <var>/adam_v} variables for every weight, so that a
   *     bundle saved from this graph can start a run through {@code Pretrain --init_checkpoint}
   */
  public TowerGraph(ElectraConfig discriminator, ElectraConfig generator, Parts parts, boolean withSlots) {
    try {
      model = ModelGraph.inference(graph);
      inputs = Inputs.placeholders(model.tf());
      Embeddings embeddings = new Embeddings(model, discriminator);
      if (parts.generator()) {
        Operand<TFloat32> hidden = new Encoder(model, Tower.GENERATOR, generator, embeddings).apply(inputs);
        mlmLogits = new GeneratorHead(model, generator, embeddings).logits(hidden);
      } else {
        mlmLogits = null;
      }
      if (parts.discriminator()) {
        Operand<TFloat32> hidden = new Encoder(model, Tower.DISCRIMINATOR, discriminator, embeddings).apply(inputs);
        discLogits = new DiscriminatorHead(model, discriminator).logits(hidden);
        spanLogits = parts.spanHead() ? new SpanHead(model, discriminator).logits(hidden) : null;
      } else {
        discLogits = null;
        spanLogits = null;
      }
      if (withSlots) {
        Ops init = model.tf().withInitScope();
        for (ModelGraph.Parameter p : model.parameters()) {
          for (String suffix : new String[] {"adam_m", "adam_v"}) {
            Variable<TFloat32> v = new Variable<>(init.scope().env()
                .opBuilder(Variable.OP_NAME, p.name() + "/" + suffix, init.scope())
                .setAttr("shape", p.shape()).setAttr("dtype", DataType.DT_FLOAT).build());
            init.assign(v, init.fill(init.constant(p.shape().asArray()), init.constant(0f)));
            slots.put(v.op().name(), v);
          }
        }
      }
      session = new Session(graph);
    } catch (RuntimeException e) {
      graph.close();
      throw e;
    }
  }

  public ModelGraph model() {
    return model;
  }

  public Session session() {
    return session;
  }

  /** Runs the initializers: seeded truncated-normal weights, zero slots. */
  public void initialize() {
    session.initialize();
  }

  /**
   * Assigns every weight of this graph from the bundle at {@code prefix} ({@code prefix.index}), by name; the bundle
   * may hold more (the other tower, optimizer slots, {@code global_step}), never less.
   */
  public void restoreWeights(Path prefix) {
    restore(prefix, model.parameters().stream().map(ModelGraph.Parameter::name).toList());
  }

  /** Assigns the named variables (weights or slots) of this graph from the same names in the bundle at a prefix. */
  public void restore(Path prefix, List<String> names) {
    Map<String, Source> sources = new LinkedHashMap<>();
    names.forEach(n -> sources.put(n, Source.whole(n)));
    restore(prefix, sources);
  }

  /** Where in a bundle a variable's value is: a tensor's key and which part of it. */
  public record Source(String key, String shapeAndSlice) {

    /** The whole tensor. */
    public static Source whole(String key) {
      return new Source(key, "");
    }

    /**
     * The first {@code rows} rows of a tensor of shape {@code stored}, in TensorFlow's shape-and-slice notation
     * ("30528 128 0,30522:-"): full dimensions, then start,length per dimension, - for all of it.
     */
    public static Source firstRows(String key, Shape stored, long rows) {
      StringBuilder spec = new StringBuilder();
      for (long d : stored.asArray()) {
        spec.append(d).append(' ');
      }
      spec.append("0,").append(rows);
      for (int d = 1; d < stored.numDimensions(); d++) {
        spec.append(":-");
      }
      return new Source(key, spec.toString());
    }
  }

  /**
   * Assigns variables of this graph (weights or slots, by name) from the bundle at {@code prefix}, each from its
   * source; the others keep their values.
   */
  public void restore(Path prefix, Map<String, Source> sources) {
    if (sources.isEmpty()) {
      return;
    }
    Ops tf = model.tf();
    List<String> targets = new ArrayList<>(sources.keySet());
    List<Class<? extends TType>> types = new ArrayList<>();
    targets.forEach(n -> types.add(TFloat32.class));
    Restore restore = tf.train.restore(tf.constant(prefix.toString()),
        tf.constant(NdArrays.vectorOfObjects(targets.stream().map(n -> sources.get(n).key()).toArray(String[]::new))),
        tf.constant(NdArrays.vectorOfObjects(targets.stream().map(n -> sources.get(n).shapeAndSlice())
            .toArray(String[]::new))), types);
    Session.Runner runner = session.runner();
    for (int i = 0; i < targets.size(); i++) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> value = (Operand<TFloat32>) restore.tensors().get(i);
      runner.addTarget(tf.assign(variable(targets.get(i)), value));
    }
    runner.run().close();
  }

  /** A weight or an optimizer slot of this graph by name. */
  private Variable<TFloat32> variable(String name) {
    Variable<TFloat32> slot = slots.get(name);
    return slot != null ? slot : model.parameter(name).variable();
  }

  /** Writes every variable of this graph (weights, and slots when made) as a bundle {@code prefix.index/.data-*}. */
  public void save(Path prefix) throws IOException {
    Files.createDirectories(prefix.toAbsolutePath().getParent());
    session.save(prefix.toString());
  }

  /**
   * Writes tensors computed from this graph's variables as a bundle {@code prefix.index/.data-*} under the given
   * keys (another program's names and layout, where {@link #save(Path)} writes this graph's own).
   */
  public void save(Path prefix, Map<String, Operand<?>> tensorsByKey) throws IOException {
    Files.createDirectories(prefix.toAbsolutePath().getParent());
    Ops tf = model.tf();
    List<String> keys = new ArrayList<>(tensorsByKey.keySet());
    Op save = tf.train.save(tf.constant(prefix.toString()), tf.constant(NdArrays.vectorOfObjects(
        keys.toArray(String[]::new))), tf.constant(NdArrays.vectorOfObjects(keys.stream().map(k -> "")
        .toArray(String[]::new))), keys.stream().map(tensorsByKey::get).toList());
    session.runner().addTarget(save).run().close();
  }

  /** Every optimizer slot's value by name (empty unless built with slots). */
  public Map<String, float[]> slots() {
    return values(slots);
  }

  /** Every weight's value by name. */
  public Map<String, float[]> weights() {
    Map<String, Operand<TFloat32>> variables = new LinkedHashMap<>();
    model.parameters().forEach(p -> variables.put(p.name(), p.variable()));
    return values(variables);
  }

  private Map<String, float[]> values(Map<String, ? extends Operand<TFloat32>> variables) {
    Map<String, float[]> out = new LinkedHashMap<>();
    if (variables.isEmpty()) {
      return out;
    }
    Session.Runner r = session.runner();
    variables.values().forEach(r::fetch);
    try (Result res = r.run()) {
      int i = 0;
      for (String name : variables.keySet()) {
        out.put(name, floats((TFloat32) res.get(i++)));
      }
    }
    return out;
  }

  /** Discriminator logits [B, T] for ids, mask and segment ids [B, T] (row-major). */
  public float[] discriminatorLogits(int batch, int[] ids, int[] mask, int[] segments) {
    return run(discLogits, batch, ids, mask, segments);
  }

  /** Generator MLM logits [B, T, V] at every position. */
  public float[] generatorLogits(int batch, int[] ids, int[] mask, int[] segments) {
    return run(mlmLogits, batch, ids, mask, segments);
  }

  private float[] run(Operand<TFloat32> out, int batch, int[] ids, int[] mask, int[] segments) {
    if (out == null) {
      throw new IllegalStateException("this graph does not hold that tower");
    }
    Shape shape = Shape.of(batch, ids.length / batch);
    try (TInt32 a = HostArrays.tensor(shape, ids); TInt32 b = HostArrays.tensor(shape, mask);
        TInt32 c = HostArrays.tensor(shape, segments);
        Result r = session.runner().feed(inputs.inputIds(), a).feed(inputs.inputMask(), b)
            .feed(inputs.segmentIds(), c).fetch(out).run()) {
      return floats((TFloat32) r.get(0));
    }
  }

  /**
   * Whether the bundle at {@code prefix} holds a float tensor named {@code name} (by trying to read it in a
   * throwaway graph: TF Java has no checkpoint reader).
   */
  public static boolean bundleHas(Path prefix, String name) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Restore r = tf.train.restore(tf.constant(prefix.toString()), tf.constant(NdArrays.vectorOfObjects(name)),
          tf.constant(NdArrays.vectorOfObjects("")), List.of(TFloat32.class));
      s.runner().fetch(r.tensors().get(0)).run().close();
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Writes the {@code checkpoint} file TensorFlow's {@code tf.train.latest_checkpoint} reads. */
  public static void writeCheckpointFile(Path folder, String prefixName) throws IOException {
    Files.writeString(folder.resolve("checkpoint"), "model_checkpoint_path: \"" + prefixName + "\"\n"
        + "all_model_checkpoint_paths: \"" + prefixName + "\"\n");
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
