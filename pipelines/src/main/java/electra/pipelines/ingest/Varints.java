package electra.pipelines.ingest;

/** Unsigned LEB128 varints of non-negative ints in byte arrays, for the compact forms that cross the pipeline. */
final class Varints {

  private Varints() {}

  /** Most bytes one int takes. */
  static final int MAX_BYTES = 5;

  /** Writes {@code v} at {@code at}; returns the position after it. */
  static int put(byte[] out, int at, int v) {
    while ((v & ~0x7F) != 0) {
      out[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
  }

  /** Reads the varint at {@code at[0]} and moves {@code at[0]} past it. */
  static int get(byte[] in, int[] at) {
    int v = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = in[at[0]++];
      v |= (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
  }
}
