package electra.trainer.postprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.proto.DataType;

/** The index of bundles TensorFlow's SaveV2 writes lists every tensor with its type and shape. */
class BundleIndexTest {

  @TempDir
  Path tmp;

  @Test
  void listsEveryTensorOfABundleSpanningManyBlocks() throws IOException {
    List<ReleaseListing.Tensor> tensors = new ArrayList<>(List.of(
        new ReleaseListing.Tensor("global_step", Shape.scalar(), DataType.DT_INT64),
        new ReleaseListing.Tensor("phase2", Shape.scalar(), DataType.DT_BOOL),
        new ReleaseListing.Tensor("step", Shape.scalar(), DataType.DT_INT32)));
    for (int i = 0; i < 300; i++) { // an index block holds about 4 KiB of entries: this takes several
      tensors.add(new ReleaseListing.Tensor("electra/encoder/layer_" + i + "/attention/self/query/kernel",
          Shape.of(2, i % 5 + 1), DataType.DT_FLOAT));
    }
    Path prefix = tmp.resolve("bundle");
    new ReleaseListing("test", tensors).write(prefix);

    Map<String, BundleIndex.Entry> expected = new TreeMap<>();
    tensors.forEach(t -> expected.put(t.name(), new BundleIndex.Entry(t.dtype(), t.shape())));
    assertEquals(expected, BundleIndex.read(prefix));
    assertTrue(Files.size(Path.of(prefix + ".index")) > 3 * 4096, "the index spans several blocks");
    assertEquals("float32 [2, 3]", BundleIndex.read(prefix).get("electra/encoder/layer_2/attention/self/query/kernel")
        .toString());
  }

  @Test
  void aFileThatIsNoIndexIsRefused() throws IOException {
    Path prefix = tmp.resolve("not-a-bundle");
    Files.write(Path.of(prefix + ".index"), new byte[64]);
    IOException e = assertThrows(IOException.class, () -> BundleIndex.read(prefix));
    assertTrue(e.getMessage().contains("is not a checkpoint index"), e.getMessage());
  }
}
