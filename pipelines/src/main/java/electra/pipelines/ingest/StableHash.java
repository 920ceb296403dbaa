package electra.pipelines.ingest;

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash that is the same on every JVM, runner and run (unlike {@link String#hashCode()} mixing or
 * {@code Object.hashCode}), so that splits, shard assignment and packing randomness depend only on the data.
 */
final class StableHash {

  private StableHash() {}

  /** FNV-1a over the UTF-8 bytes, finished with the SplitMix64 mixer for good high bits. */
  static long of(String text) {
    long h = 0xcbf29ce484222325L;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  /** Combines two hashes (or a hash and a number) into a new well-mixed one. */
  static long combine(long a, long b) {
    return mix(a ^ mix(b + 0x9e3779b97f4a7c15L));
  }

  /** A uniform number in [0, 1) from a hash. */
  static double unit(long hash) {
    return (hash >>> 11) * 0x1.0p-53;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
