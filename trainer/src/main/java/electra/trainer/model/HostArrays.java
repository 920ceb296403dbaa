package electra.trainer.model;

import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/** Copies of fetched tensors as flat Java arrays (row-major), the form the training and export code works with. */
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
}
