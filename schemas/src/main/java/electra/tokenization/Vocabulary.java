package electra.tokenization;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A WordPiece vocabulary as BERT's {@code load_vocab} reads {@code vocab.txt}: UTF-8, one token per line, each
 * line stripped like Python's {@code str.strip()}, the 0-based line number is the id. A token that occurs twice
 * keeps the id of its last line, as in Python's dict. {@link #fingerprint()} identifies the exact file, so
 * shards and checkpoints can refuse a vocabulary they were not made with. Immutable and thread-safe.
 */
public final class Vocabulary implements Serializable {

  private static final long serialVersionUID = 1L;

  public static final String PAD = "[PAD]";
  public static final String UNK = "[UNK]";
  public static final String CLS = "[CLS]";
  public static final String SEP = "[SEP]";
  public static final String MASK = "[MASK]";

  /** String.hashCode of "##": a continuation lookup hashes as if the prefix were there. */
  private static final int CONTINUATION_HASH = "##".hashCode();

  private final String source;
  private final String fingerprint;
  private final String[] tokens;
  /**
   * Open-addressing table of id + 1 (0 = empty) and, beside it, each token's String.hashCode: lookups need no
   * String for the probed characters and skip non-matching slots without touching their token.
   */
  private final int[] slots;
  private final int[] slotHashes;
  private final int longestToken;
  private final int unk;

  private Vocabulary(String source, String fingerprint, String[] tokens) {
    this.source = source;
    this.fingerprint = fingerprint;
    this.tokens = tokens;
    this.slots = new int[Integer.highestOneBit(Math.max(tokens.length, 1) * 2) * 2];
    this.slotHashes = new int[slots.length];
    int longest = 0;
    for (int id = 0; id < tokens.length; id++) {
      insert(id);
      longest = Math.max(longest, tokens[id].length());
    }
    this.longestToken = longest;
    this.unk = find(UNK);
    if (unk < 0) {
      throw new IllegalArgumentException("vocabulary " + source + " has no " + UNK
          + " token; WordPiece needs it for words it cannot split (a SentencePiece vocabulary will not do)");
    }
  }

  /** Reads a {@code vocab.txt} file. */
  public static Vocabulary load(Path file) throws IOException {
    return fromBytes(Files.readAllBytes(file), file.toString());
  }

  /**
   * Reads a vocabulary from the bytes of a {@code vocab.txt}; {@code source} names it in error messages.
   * Lines end with {@code \n} ({@code \r\n} works too: the strip removes the {@code \r}).
   */
  public static Vocabulary fromBytes(byte[] bytes, String source) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("vocabulary " + source + " is not valid UTF-8: " + e.getMessage(), e);
    }
    List<String> lines = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int newline = text.indexOf('\n', start);
      int end = newline < 0 ? text.length() : newline + 1;
      lines.add(pythonStrip(text, start, end));
      start = end;
    }
    return new Vocabulary(source, sha256(bytes), lines.toArray(String[]::new));
  }

  /**
   * A vocabulary by path, or by name: {@value VocabularyResolver#BERT_BASE_UNCASED} (the default everywhere) is
   * found in a developer checkout's {@code shared/data} folder, in the cache, or downloaded. See
   * {@link electra.data.SampleData} for the places and the environment variables.
   */
  public static Vocabulary resolve(String nameOrPath) throws IOException {
    return VocabularyResolver.fromEnvironment().resolve(nameOrPath);
  }

  /**
   * Serialized as its tokens in one string: pipelines ship the vocabulary inside their steps, and runners copy
   * steps often, so 30,000 separate strings and the lookup table would be written and read again each time.
   */
  private Object writeReplace() {
    return new SerializedForm(source, fingerprint, String.join("\n", tokens));
  }

  private record SerializedForm(String source, String fingerprint, String tokens) implements Serializable {
    private Object readResolve() {
      return new Vocabulary(source, fingerprint, tokens.split("\n", -1));
    }
  }

  /** Number of ids, i.e. lines: the rows of the embedding table. */
  public int size() {
    return tokens.length;
  }

  /** The token with this id. */
  public String token(int id) {
    if (id < 0 || id >= tokens.length) {
      throw new IndexOutOfBoundsException("token id " + id + " is outside vocabulary " + source
          + " (ids 0.." + (tokens.length - 1) + ")");
    }
    return tokens[id];
  }

  /** The id of a token that must be in the vocabulary (Python raises KeyError too). */
  public int id(String token) {
    int id = find(token);
    if (id < 0) {
      throw new IllegalArgumentException("token '" + token + "' is not in vocabulary " + source);
    }
    return id;
  }

  /** The tokens of these ids, in order. */
  public List<String> tokens(int... ids) {
    String[] out = new String[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = token(ids[i]);
    }
    return List.of(out);
  }

  public boolean contains(String token) {
    return find(token) >= 0;
  }

  public int unkId() {
    return unk;
  }

  public int padId() {
    return special(PAD);
  }

  public int clsId() {
    return special(CLS);
  }

  public int sepId() {
    return special(SEP);
  }

  public int maskId() {
    return special(MASK);
  }

  /** SHA-256 (lower-case hex) of the file's bytes. */
  public String fingerprint() {
    return fingerprint;
  }

  /** Where the vocabulary came from, for messages. */
  public String source() {
    return source;
  }

  /**
   * The bytes of a {@code vocab.txt} with this fingerprint: the source file's own bytes when it is still there and
   * unchanged, otherwise one token per line (which reproduces a vocabulary written that way).
   */
  public byte[] fileBytes() throws IOException {
    Path file = Path.of(source);
    if (Files.isRegularFile(file)) {
      byte[] bytes = Files.readAllBytes(file);
      if (fromBytes(bytes, source).fingerprint().equals(fingerprint)) {
        return bytes;
      }
    }
    StringBuilder text = new StringBuilder();
    for (String token : tokens) {
      text.append(token).append('\n');
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    if (!fromBytes(bytes, "rewritten").fingerprint().equals(fingerprint)) {
      throw new IOException("cannot reproduce the bytes of vocabulary " + source);
    }
    return bytes;
  }

  @Override
  public String toString() {
    return "Vocabulary[" + source + ", " + tokens.length + " tokens, sha256 " + fingerprint + "]";
  }

  /** Length in UTF-16 chars of the longest token: no longer piece can match, so WordPiece never tries one. */
  int longestToken() {
    return longestToken;
  }

  /**
   * The hash that {@link #find(char[], int, int, boolean, int)} needs for an empty piece. It grows one char at a
   * time with {@link #extendHash}, so WordPiece hashes all candidate pieces at a position in one pass.
   */
  static int initialHash(boolean continuation) {
    return continuation ? CONTINUATION_HASH : 0;
  }

  static int extendHash(int hash, char next) {
    return 31 * hash + next;
  }

  /**
   * The id of {@code chars[from, to)}, read as {@code "##" + chars} when {@code continuation}, or -1;
   * {@code hash} is that piece's hash from {@link #initialHash} and {@link #extendHash}.
   * Allocation-free: this is WordPiece's inner loop.
   */
  int find(char[] chars, int from, int to, boolean continuation, int hash) {
    int prefix = continuation ? 2 : 0;
    int mask = slots.length - 1;
    for (int slot = spread(hash) & mask; slots[slot] != 0; slot = (slot + 1) & mask) {
      if (slotHashes[slot] != hash) {
        continue;
      }
      String token = tokens[slots[slot] - 1];
      if ((!continuation || token.startsWith("##")) && sameChars(token, prefix, chars, from, to)) {
        return slots[slot] - 1;
      }
    }
    return -1;
  }

  private static boolean sameChars(String token, int offset, char[] chars, int from, int to) {
    if (token.length() - offset != to - from) {
      return false;
    }
    for (int i = from; i < to; i++) {
      if (token.charAt(offset + i - from) != chars[i]) {
        return false;
      }
    }
    return true;
  }

  private int find(String token) {
    return find(token.toCharArray(), 0, token.length(), false, token.hashCode());
  }

  private void insert(int id) {
    String token = tokens[id];
    int mask = slots.length - 1;
    int slot = spread(token.hashCode()) & mask;
    while (slots[slot] != 0 && !tokens[slots[slot] - 1].equals(token)) {
      slot = (slot + 1) & mask;
    }
    slots[slot] = id + 1;
    slotHashes[slot] = token.hashCode();
  }

  /** Mixes the high bits in, as HashMap does, so similar tokens do not crowd one region of the table. */
  private static int spread(int hash) {
    return hash ^ (hash >>> 16);
  }

  private int special(String token) {
    int id = find(token);
    if (id < 0) {
      throw new IllegalStateException("vocabulary " + source + " has no " + token + " token");
    }
    return id;
  }

  private static String pythonStrip(String text, int start, int end) {
    while (start < end && CharClasses.isPythonWhitespace(text.codePointAt(start))) {
      start++;
    }
    while (end > start && CharClasses.isPythonWhitespace(text.codePointBefore(end))) {
      end--;
    }
    return text.substring(start, end);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
