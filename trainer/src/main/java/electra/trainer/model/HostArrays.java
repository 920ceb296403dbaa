package electra.trainer.model;

import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Flat Java arrays (row-major) to and from tensors: fetched tensors as arrays, the form the training and export code
 * works with, and int arrays as the tensors that feed a graph.
 */
public final class HostArrays {

  private HostArrays() {}

  public static float[] floats(TFloat32 t) {
    float[] out = new float[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  public static int[] ints(TInt32 t) {
    int[] out = new int[Math.toIntExact(t.size())];
    t.copyTo(DataBuffers.of(out, false, false));
    return out;
  }

  /** A tensor of {@code shape} holding {@code values} (row-major); the caller closes it. */
  public static TInt32 tensor(Shape shape, int[] values) {
    return TInt32.tensorOf(shape, DataBuffers.of(values, true, false));
  }
}
