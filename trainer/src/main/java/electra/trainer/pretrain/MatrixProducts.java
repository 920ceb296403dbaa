package electra.trainer.pretrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Operation;
import org.tensorflow.OperationBuilder;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.Scope;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.RewriterConfig;
import org.tensorflow.types.TBfloat16;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * The matrix products of a graph (MatMul and BatchMatMul nodes: a training graph's forward and backward products)
 * with their shapes in one run, and how long exactly these products take on their own: the floor under a step's
 * time that work outside the products cannot lower, and their FLOP rate against the machine's.
 */
public final class MatrixProducts {

  private static final Set<String> PRODUCT_OPS = Set.of("MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3");

  /** Side of the square product timed as the machine's reference rate. */
  static final int REFERENCE_SIDE = 2048;

  private MatrixProducts() {}

  /** The element type the products are timed in; the inputs are held in it, so no casts are timed. */
  public enum Precision {
    FP32(TFloat32.class, DataType.DT_FLOAT),
    BF16(TBfloat16.class, DataType.DT_BFLOAT16),
    FP16(TFloat16.class, DataType.DT_HALF);

    final Class<? extends TFloating> type;
    final DataType dataType;

    Precision(Class<? extends TFloating> type, DataType dataType) {
      this.type = type;
      this.dataType = dataType;
    }

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One product C = op(A)·op(B), op transposing where asked; BatchMatMul's leading axes (broadcast) are a batch of
   * such products. {@code inputA}/{@code inputB} name the tensors read ({@code node:port}), so that products reading
   * the same tensor share one input when timed, as in the graph.
   */
  public record Product(String op, String inputA, String inputB, long[] shapeA, long[] shapeB, boolean transposeA,
      boolean transposeB) {

    public Product {
      boolean matrices = shapeA.length == 2 && shapeB.length == 2;
      if (shapeA.length < 2 || shapeB.length < 2 || (op.equals("MatMul") && !matrices)) {
        throw new IllegalArgumentException(op + " of shapes " + Arrays.toString(shapeA) + " and "
            + Arrays.toString(shapeB));
      }
      if (inner(shapeA, transposeA, true) != inner(shapeB, transposeB, false)) {
        throw new IllegalArgumentException(op + ": inner sizes differ in " + Arrays.toString(shapeA)
            + (transposeA ? "ᵀ" : "") + " · " + Arrays.toString(shapeB) + (transposeB ? "ᵀ" : ""));
      }
    }

    /** Rows of C. */
    public long rows() {
      return shapeA[shapeA.length - (transposeA ? 1 : 2)];
    }

    /** The summed axis. */
    public long inner() {
      return inner(shapeA, transposeA, true);
    }

    /** Columns of C. */
    public long columns() {
      return shapeB[shapeB.length - (transposeB ? 2 : 1)];
    }

    /** Products in the batch: the leading axes of A and B broadcast against each other; 1 for MatMul. */
    public long batch() {
      long n = 1;
      for (int i = 3; i <= Math.max(shapeA.length, shapeB.length); i++) { // the i-th axis from the end
        long a = i <= shapeA.length ? shapeA[shapeA.length - i] : 1;
        long b = i <= shapeB.length ? shapeB[shapeB.length - i] : 1;
        n *= Math.max(a, b);
      }
      return n;
    }

    /** Multiply and add counted as two. */
    public long flops() {
      return 2 * batch() * rows() * inner() * columns();
    }

    /** What products of equal cost share: op, shapes and transposes, e.g. {@code MatMul [1024x256]ᵀ·[1024x64]}. */
    public String signature() {
      return op + " " + dims(shapeA) + (transposeA ? "ᵀ" : "") + "·" + dims(shapeB) + (transposeB ? "ᵀ" : "");
    }

    private static long inner(long[] shape, boolean transposed, boolean left) {
      return shape[shape.length - (transposed == left ? 2 : 1)];
    }

    private static String dims(long[] shape) {
      StringBuilder s = new StringBuilder("[");
      for (int i = 0; i < shape.length; i++) {
        s.append(i == 0 ? "" : "x").append(shape[i]);
      }
      return s.append(']').toString();
    }
  }

  /**
   * Every product node of {@code graph}, in the graph's order, with its inputs' shapes read from one run of
   * {@code fed}: a runner holding the feeds of a step, to which the products' inputs are added as fetches (no
   * targets, so no variable changes).
   */
  static List<Product> capture(Graph graph, Session.Runner fed) {
    List<NodeDef> nodes = graph.toGraphDef().getNodeList().stream()
        .filter(n -> PRODUCT_OPS.contains(n.getOp())).toList();
    Map<String, Integer> fetched = new LinkedHashMap<>();
    for (NodeDef n : nodes) {
      for (int i = 0; i < 2; i++) {
        String input = tensorName(n.getInput(i));
        if (fetched.putIfAbsent(input, fetched.size()) == null) {
          int colon = input.lastIndexOf(':');
          fed.fetch(input.substring(0, colon), Integer.parseInt(input.substring(colon + 1)));
        }
      }
    }
    List<Product> products = new ArrayList<>();
    if (nodes.isEmpty()) {
      return products;
    }
    try (Result r = fed.run()) {
      for (NodeDef n : nodes) {
        String a = tensorName(n.getInput(0));
        String b = tensorName(n.getInput(1));
        boolean plain = n.getOp().equals("MatMul");
        products.add(new Product(n.getOp(), a, b, r.get(fetched.get(a)).shape().asArray(),
            r.get(fetched.get(b)).shape().asArray(), flag(n, plain ? "transpose_a" : "adj_x"),
            flag(n, plain ? "transpose_b" : "adj_y")));
      }
    }
    return products;
  }

  /** {@code node:port} of a NodeDef input ({@code node} alone is port 0). */
  private static String tensorName(String input) {
    return input.indexOf(':') < 0 ? input + ":0" : input;
  }

  private static boolean flag(NodeDef n, String attr) {
    return n.getAttrOrDefault(attr, AttrValue.getDefaultInstance()).getB();
  }

  /** Products of one signature and their time on their own (ms per step: one run of them all, one after another). */
  public record Group(String signature, int count, long flops, double medianSeconds) {
    public double gflopsPerSecond() {
      return flops / medianSeconds / 1e9;
    }
  }

  /**
   * What {@link #time} measured: every product of a step run one after another ({@code all}), the same by signature
   * (the most time first), and one {@value #REFERENCE_SIDE}³ product in the same precision and session: the rate this
   * machine gives a large product at this moment.
   */
  public record Timing(String precision, Group all, List<Group> bySignature, Group reference) {

    /** A Markdown table: the {@code top} signatures, one row for the rest, all products, the reference product. */
    public String markdown(int top) {
      StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
          "| %s products, one after another | count | GFLOP | ms | GFLOP/s |%n|---|---|---|---|---|%n", precision));
      int restCount = 0;
      long restFlops = 0;
      double restSeconds = 0;
      for (int i = 0; i < bySignature.size(); i++) {
        Group g = bySignature.get(i);
        if (i < top) {
          s.append(row("`" + g.signature() + "`", g));
        } else {
          restCount += g.count();
          restFlops += g.flops();
          restSeconds += g.medianSeconds();
        }
      }
      if (bySignature.size() > top) {
        s.append(row((bySignature.size() - top) + " other shapes (each timed alone)",
            new Group("", restCount, restFlops, restSeconds)));
      }
      s.append(row("**all products of a step**", all));
      s.append(row("one " + REFERENCE_SIDE + "³ product (the machine's rate now)", reference));
      return s.toString();
    }

    private static String row(String label, Group g) {
      return String.format(Locale.ROOT, "| %s | %d | %.3f | %.1f | %.1f |%n", label, g.count(), g.flops() / 1e9,
          g.medianSeconds() * 1000, g.gflopsPerSecond());
    }
  }

  /**
   * Times {@code products} alone in a graph of their own under {@code config}: each input a variable of its shape in
   * {@code precision} (random values), each product after the one before it (control dependencies, so each gets all
   * of a run's threads, as in a step where most products wait on the one before), the median of {@code runs} runs
   * after {@code warmup}. All products, each signature alone and the reference product take turns in every round.
   */
  public static Timing time(List<Product> products, Precision precision, ConfigProto config, int warmup, int runs) {
    if (products.isEmpty()) {
      throw new IllegalArgumentException("no matrix products to time");
    }
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Inputs inputs = new Inputs(tf, precision);
      Map<String, List<Product>> bySignature = new LinkedHashMap<>();
      products.forEach(p -> bySignature.computeIfAbsent(p.signature(), k -> new ArrayList<>()).add(p));
      List<Chain> chains = new ArrayList<>();
      chains.add(new Chain("all", products, inputs.chain(products)));
      bySignature.forEach((signature, group) -> chains.add(new Chain(signature, group, inputs.chain(group))));
      long side = REFERENCE_SIDE;
      Product square = new Product("MatMul", "reference_a", "reference_b", new long[] {side, side},
          new long[] {side, side}, false, false);
      chains.add(new Chain("reference", List.of(square), inputs.chain(List.of(square))));

      List<List<Double>> seconds = new ArrayList<>();
      chains.forEach(c -> seconds.add(new ArrayList<>()));
      // a product whose output only orders the next one must not become a NoOp: grappler's dependency optimiser
      // does that among TensorFlow's default passes (GPU sessions); the lean CPU passes leave it off already
      RewriterConfig rewrites = config.getGraphOptions().getRewriteOptions().toBuilder()
          .setDependencyOptimization(RewriterConfig.Toggle.OFF).build();
      ConfigProto ordered = config.toBuilder()
          .setGraphOptions(config.getGraphOptions().toBuilder().setRewriteOptions(rewrites)).build();
      try (Session session = new Session(graph, ordered)) {
        session.initialize();
        for (int round = 0; round < warmup + runs; round++) {
          for (int i = 0; i < chains.size(); i++) {
            long t0 = System.nanoTime();
            session.runner().addTarget(chains.get(i).last()).run().close();
            if (round >= warmup) {
              seconds.get(i).add((System.nanoTime() - t0) / 1e9);
            }
          }
        }
      }
      List<Group> groups = new ArrayList<>();
      for (int i = 0; i < chains.size(); i++) {
        Chain c = chains.get(i);
        groups.add(new Group(c.name(), c.products().size(), c.products().stream().mapToLong(Product::flops).sum(),
            BenchmarkPretraining.median(seconds.get(i))));
      }
      List<Group> signatures = new ArrayList<>(groups.subList(1, groups.size() - 1));
      signatures.sort((a, b) -> Double.compare(b.medianSeconds(), a.medianSeconds()));
      return new Timing(precision.label(), groups.get(0), signatures, groups.get(groups.size() - 1));
    }
  }

  private record Chain(String name, List<Product> products, Operation last) {}

  /** The timing graph's inputs: one variable per tensor the products read, made on first use. */
  private static final class Inputs {
    private final Ops tf;
    private final Ops init;
    private final Precision precision;
    private final Map<String, Variable<? extends TFloating>> byTensor = new LinkedHashMap<>();

    Inputs(Ops tf, Precision precision) {
      this.tf = tf;
      this.init = tf.withInitScope();
      this.precision = precision;
    }

    /** The products one after another, each the op the graph had (same attributes); the last one. */
    Operation chain(List<Product> products) {
      Operation previous = null;
      for (Product p : products) {
        Scope scope = tf.scope();
        boolean plain = p.op().equals("MatMul");
        OperationBuilder product = scope.env().opBuilder(p.op(), scope.makeOpName(p.op()), scope)
            .addInput(input(p.inputA(), p.shapeA()).asOutput()).addInput(input(p.inputB(), p.shapeB()).asOutput())
            .setAttr(plain ? "transpose_a" : "adj_x", p.transposeA())
            .setAttr(plain ? "transpose_b" : "adj_y", p.transposeB());
        if (p.op().equals("BatchMatMulV3")) {
          product.setAttr("Ta", precision.dataType).setAttr("Tb", precision.dataType)
              .setAttr("Tout", precision.dataType);
        }
        if (previous != null) {
          product.addControlInput(previous);
        }
        previous = product.build();
      }
      return previous;
    }

    private Variable<? extends TFloating> input(String tensor, long[] dims) {
      return byTensor.computeIfAbsent(tensor, name -> {
        Variable<? extends TFloating> v = new Variable<>(init.scope().env()
            .opBuilder(Variable.OP_NAME, "input_" + byTensor.size(), init.scope())
            .setAttr("shape", Shape.of(dims)).setAttr("dtype", precision.dataType).build());
        assign(v, init.random.statelessRandomNormal(init.constant(dims),
            init.constant(new long[] {1, byTensor.size()})));
        return v;
      });
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void assign(Variable v, Operand<TFloat32> value) {
      init.assign(v, init.dtypes.cast(value, precision.type));
    }
  }
}
