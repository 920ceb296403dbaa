package electra.trainer.model;

import java.util.Arrays;

/**
 * A float tensor held in Java memory: its shape and its values in row-major order. This is what crosses between
 * weight files and the graph. Equality is that of the arrays (identity), as for any record holding arrays.
 */
public record HostTensor(long[] shape, float[] values) {

  public HostTensor {
    long n = elementCount(shape);
    if (n != values.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, got "
          + values.length);
    }
  }

  /** Number of elements of a tensor of this shape; refuses negative dimensions and overflow. */
  public static long elementCount(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** The transpose of a matrix: Hugging Face stores Linear weights [out, in], TensorFlow kernels [in, out]. */
  public HostTensor transposed() {
    if (shape.length != 2) {
      throw new IllegalStateException("only a matrix can be transposed, shape is " + Arrays.toString(shape));
    }
    int rows = (int) shape[0];
    int cols = (int) shape[1];
    float[] t = new float[values.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        t[c * rows + r] = values[r * cols + c];
      }
    }
    return new HostTensor(new long[] {cols, rows}, t);
  }

  @Override
  public String toString() {
    return "HostTensor" + Arrays.toString(shape);
  }
}
