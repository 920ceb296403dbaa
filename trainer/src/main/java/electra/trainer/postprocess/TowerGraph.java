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
  private final List<Variable<TFloat32>> slots = new ArrayList<>();

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
            slots.add(v);
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

  /** Assigns the named weights of this graph from the bundle at {@code prefix}; the others keep their values. */
  public void restore(Path prefix, List<String> names) {
    if (names.isEmpty()) {
      return;
    }
    Ops tf = model.tf();
    List<Class<? extends TType>> types = new ArrayList<>();
    names.forEach(n -> types.add(TFloat32.class));
    Restore restore = tf.train.restore(tf.constant(prefix.toString()),
        tf.constant(NdArrays.vectorOfObjects(names.toArray(String[]::new))),
        tf.constant(NdArrays.vectorOfObjects(names.stream().map(n -> "").toArray(String[]::new))), types);
    Session.Runner runner = session.runner();
    for (int i = 0; i < names.size(); i++) {
      @SuppressWarnings("unchecked")
      Operand<TFloat32> value = (Operand<TFloat32>) restore.tensors().get(i);
      Op assign = tf.assign(model.parameter(names.get(i)).variable(), value);
      runner.addTarget(assign);
    }
    runner.run().close();
  }

  /** Writes every variable of this graph (weights, and slots when made) as a bundle {@code prefix.index/.data-*}. */
  public void save(Path prefix) throws IOException {
    Files.createDirectories(prefix.toAbsolutePath().getParent());
    session.save(prefix.toString());
  }

  /** Every weight's value by name. */
  public Map<String, float[]> weights() {
    Session.Runner r = session.runner();
    List<ModelGraph.Parameter> params = model.parameters();
    params.forEach(p -> r.fetch(p.variable()));
    Map<String, float[]> out = new LinkedHashMap<>();
    try (Result res = r.run()) {
      for (int i = 0; i < params.size(); i++) {
        out.put(params.get(i).name(), floats((TFloat32) res.get(i)));
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
