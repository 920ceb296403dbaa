package electra.trainer.onnx;

import com.google.protobuf.UnsafeByteOperations;
import electra.trainer.onnx.proto.Attribute;
import electra.trainer.onnx.proto.Graph;
import electra.trainer.onnx.proto.Model;
import electra.trainer.onnx.proto.Node;
import electra.trainer.onnx.proto.OperatorSetId;
import electra.trainer.onnx.proto.Shape;
import electra.trainer.onnx.proto.StringEntry;
import electra.trainer.onnx.proto.Tensor;
import electra.trainer.onnx.proto.TypeInfo;
import electra.trainer.onnx.proto.ValueInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds one ONNX graph of standard operators, value by value: each method adds a node or a constant and returns
 * the name of the value it makes, so a network reads as nested calls. Constants are stored inline as initializers;
 * equal small constants are stored once.
 */
final class OnnxGraphBuilder {

  /** The standard operator set the nodes are written against: it has LayerNormalization, not yet Gelu. */
  static final int OPSET = 17;
  /** The file format version that goes with {@link #OPSET} (ONNX 1.12). */
  private static final int IR_VERSION = 8;

  private final Graph.Builder graph = Graph.newBuilder();
  private final Map<String, String> constants = new HashMap<>();
  private int values;

  OnnxGraphBuilder(String name) {
    graph.setName(name);
  }

  /** A graph input of the given type; dimensions are symbolic names shared by equal dimensions. */
  String input(String name, Tensor.DataType type, String... dimensions) {
    graph.addInput(valueInfo(name, type, dimensions));
    return name;
  }

  /** Makes {@code value} a graph output called {@code name}. */
  void output(String value, String name, Tensor.DataType type, String... dimensions) {
    graph.addNode(Node.newBuilder().setOpType("Identity").addInput(value).addOutput(name));
    graph.addOutput(valueInfo(name, type, dimensions));
  }

  /** A weight of the network, under its checkpoint name. */
  String weight(String name, long[] dimensions, float[] values) {
    graph.addInitializer(tensor(name, Tensor.DataType.FLOAT, dimensions, littleEndian(values)));
    return name;
  }

  /** A float scalar constant. */
  String scalar(float value) {
    return constant("float:" + Float.floatToIntBits(value),
        () -> tensor(fresh("const"), Tensor.DataType.FLOAT, new long[0], littleEndian(new float[] {value})));
  }

  /** An int64 vector constant (shapes, axes, indices). */
  String int64s(long... values) {
    return constant("int64s:" + Arrays.toString(values), () -> int64Tensor(new long[] {values.length}, values));
  }

  /** An int64 scalar constant (an index that drops its axis in Gather). */
  String int64(long value) {
    return constant("int64:" + value, () -> int64Tensor(new long[0], new long[] {value}));
  }

  private Tensor int64Tensor(long[] dimensions, long[] values) {
    byte[] bytes = new byte[8 * values.length];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(values);
    return tensor(fresh("const"), Tensor.DataType.INT64, dimensions, bytes);
  }

  private static byte[] littleEndian(float[] values) {
    byte[] bytes = new byte[4 * values.length];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
    return bytes;
  }

  private String constant(String key, Supplier<Tensor> make) {
    return constants.computeIfAbsent(key, k -> {
      Tensor t = make.get();
      graph.addInitializer(t);
      return t.getName();
    });
  }

  /** A node of {@code opType} with one output; returns the output's name. */
  String op(String opType, List<Attribute> attributes, String... inputs) {
    return ops(opType, attributes, 1, inputs)[0];
  }

  String op(String opType, String... inputs) {
    return op(opType, List.of(), inputs);
  }

  /** A node with {@code outputs} outputs (TopK's values and indices); returns their names. */
  String[] ops(String opType, List<Attribute> attributes, int outputs, String... inputs) {
    Node.Builder node = Node.newBuilder().setOpType(opType).setName(fresh(opType)).addAllInput(List.of(inputs))
        .addAllAttribute(attributes);
    String[] names = new String[outputs];
    for (int i = 0; i < outputs; i++) {
      names[i] = node.getName() + ":" + i;
      node.addOutput(names[i]);
    }
    graph.addNode(node);
    return names;
  }

  static Attribute intAttribute(String name, long value) {
    return Attribute.newBuilder().setName(name).setType(Attribute.Type.INT).setI(value).build();
  }

  static Attribute floatAttribute(String name, float value) {
    return Attribute.newBuilder().setName(name).setType(Attribute.Type.FLOAT).setF(value).build();
  }

  static Attribute intsAttribute(String name, long... values) {
    Attribute.Builder a = Attribute.newBuilder().setName(name).setType(Attribute.Type.INTS);
    Arrays.stream(values).forEach(a::addInts);
    return a.build();
  }

  /** The finished model; {@code metadata} goes into its key-value properties. */
  Model build(String producer, String description, Map<String, String> metadata) {
    Model.Builder model = Model.newBuilder().setIrVersion(IR_VERSION).setProducerName(producer)
        .setDocString(description).setGraph(graph)
        .addOpsetImport(OperatorSetId.newBuilder().setDomain("").setVersion(OPSET));
    metadata.forEach((k, v) -> model.addMetadataProps(StringEntry.newBuilder().setKey(k).setValue(v)));
    return model.build();
  }

  private String fresh(String prefix) {
    return prefix + "_" + values++;
  }

  /** {@code littleEndian} becomes the tensor's bytes as it is, not copied: a word embedding table is up to 125 MB. */
  private static Tensor tensor(String name, Tensor.DataType type, long[] dimensions, byte[] littleEndian) {
    Tensor.Builder t = Tensor.newBuilder().setName(name).setDataType(type)
        .setRawData(UnsafeByteOperations.unsafeWrap(littleEndian));
    Arrays.stream(dimensions).forEach(t::addDims);
    return t.build();
  }

  private static ValueInfo valueInfo(String name, Tensor.DataType type, String... dimensions) {
    Shape.Builder shape = Shape.newBuilder();
    for (String d : dimensions) {
      shape.addDim(Shape.Dimension.newBuilder().setDimParam(d));
    }
    return ValueInfo.newBuilder().setName(name).setType(TypeInfo.newBuilder()
        .setTensorType(TypeInfo.TensorType.newBuilder().setElemType(type).setShape(shape))).build();
  }
}
