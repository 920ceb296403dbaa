package electra.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;

/**
 * A published digest of a file: the algorithm and its lower-case hex value. Built from user or server text, so
 * it checks the value's length and alphabet and says what was wrong.
 */
public record Checksum(Algorithm algorithm, String hex) {

  /** The digests that download sites publish. */
  public enum Algorithm {
    MD5("MD5", 32), SHA1("SHA-1", 40), SHA256("SHA-256", 64);

    private final String javaName;
    private final int hexLength;

    Algorithm(String javaName, int hexLength) {
      this.javaName = javaName;
      this.hexLength = hexLength;
    }

    public MessageDigest newDigest() {
      try {
        return MessageDigest.getInstance(javaName);
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(javaName + " is missing from this JVM, which every JVM must provide", e);
      }
    }

    /** The name users know, e.g. {@code sha256}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Checksum {
    Objects.requireNonNull(algorithm, "algorithm");
    Objects.requireNonNull(hex, "hex");
    hex = hex.trim().toLowerCase(Locale.ROOT);
    if (hex.length() != algorithm.hexLength || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      throw new IllegalArgumentException("a " + algorithm.label() + " checksum is " + algorithm.hexLength
          + " hex digits, got '" + hex + "'");
    }
  }

  public static Checksum md5(String hex) {
    return new Checksum(Algorithm.MD5, hex);
  }

  public static Checksum sha1(String hex) {
    return new Checksum(Algorithm.SHA1, hex);
  }

  public static Checksum sha256(String hex) {
    return new Checksum(Algorithm.SHA256, hex);
  }

  /** The digest of what {@code digest} has consumed, as a checksum of this algorithm. */
  public static Checksum of(Algorithm algorithm, MessageDigest digest) {
    return new Checksum(algorithm, HexFormat.of().formatHex(digest.digest()));
  }

  /** The digest of the whole file. */
  public static Checksum of(Algorithm algorithm, Path file) throws IOException {
    MessageDigest digest = algorithm.newDigest();
    update(digest, file);
    return of(algorithm, digest);
  }

  /** Feeds the file's bytes to {@code digest}. */
  static void update(MessageDigest digest, Path file) throws IOException {
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
  }

  @Override
  public String toString() {
    return algorithm.label() + ":" + hex;
  }
}
