package electra.data;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;

/** What download tests in every module share: patience measured in milliseconds, and files with their digests. */
public final class DownloadFixtures {

  /** Short waits so failure paths take milliseconds; progress on every chunk so it can be checked. */
  public static final DownloadSettings FAST =
      new DownloadSettings(3, Duration.ofMillis(10), Duration.ZERO, Duration.ofMillis(700));

  private DownloadFixtures() {}

  /** {@code n} bytes that no compressor shrinks, the same for the same seed. */
  public static byte[] randomBytes(int n, long seed) {
    byte[] bytes = new byte[n];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  public static Checksum checksum(Checksum.Algorithm algorithm, byte[] bytes) {
    MessageDigest digest = algorithm.newDigest();
    digest.update(bytes);
    return Checksum.of(algorithm, digest);
  }

  public static Checksum sha256(byte[] bytes) {
    return checksum(Checksum.Algorithm.SHA256, bytes);
  }
}
