package electra.records;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The list of finished shards of one shard set (for example {@code phase1/train}), written next to them as
 * {@code manifest.json}. A shard is listed only once it is completely written, so a reader that trusts the
 * manifest never sees a partial file; the vocabulary fingerprint ties the records' token ids to one vocab.
 *
 * @param maxSeqLength length of every record's three features
 * @param vocabFingerprint SHA-256 of the vocab file the token ids come from
 * @param parameters the producing job's parameters, for provenance
 * @param shards finished shards, sorted by file name
 */
public record ShardManifest(int maxSeqLength, String vocabFingerprint, Map<String, String> parameters,
    List<Shard> shards) implements Serializable {

  /** The file name every manifest has inside its shard folder. */
  public static final String FILE_NAME = "manifest.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  /** One finished shard: its file name (relative to the manifest) and how many records it holds. */
  public record Shard(String file, long records) implements Serializable {
    public Shard {
      if (file == null || file.isBlank() || file.contains("/")) {
        throw new IllegalArgumentException("shard file must be a plain file name, got '" + file + "'");
      }
      if (records < 0) {
        throw new IllegalArgumentException("shard " + file + " has a negative record count " + records);
      }
    }
  }

  public ShardManifest {
    if (maxSeqLength <= 0) {
      throw new IllegalArgumentException("max_seq_length must be positive, got " + maxSeqLength);
    }
    if (vocabFingerprint == null || !vocabFingerprint.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("vocab fingerprint must be a SHA-256 hex string, got '" + vocabFingerprint + "'");
    }
    parameters = new TreeMap<>(parameters == null ? Map.of() : parameters);
    List<Shard> sorted = new ArrayList<>(shards == null ? List.of() : shards);
    sorted.sort(Comparator.comparing(Shard::file));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).file().equals(sorted.get(i - 1).file())) {
        throw new IllegalArgumentException("shard " + sorted.get(i).file() + " is listed twice");
      }
    }
    shards = List.copyOf(sorted);
  }

  /** Total records over all listed shards. */
  public long records() {
    return shards.stream().mapToLong(Shard::records).sum();
  }

  /**
   * The same manifest with more finished shards (continuous ingestion appends). A shard with the name of a listed
   * one replaces it: re-running an interrupted batch rewrites its shards under the same names, never twice.
   */
  public ShardManifest withShards(List<Shard> more) {
    Map<String, Shard> byName = new TreeMap<>();
    shards.forEach(s -> byName.put(s.file(), s));
    more.forEach(s -> byName.put(s.file(), s));
    return new ShardManifest(maxSeqLength, vocabFingerprint, parameters, new ArrayList<>(byName.values()));
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialize manifest", e);
    }
  }

  public static ShardManifest fromJson(String json) {
    try {
      return JSON.readValue(json, ShardManifest.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("not a shard manifest: " + e.getMessage(), e);
    }
  }

  /** Refuses records made with another vocabulary, naming both fingerprints. */
  public void requireVocab(String expectedFingerprint, String where) {
    if (!vocabFingerprint.equals(expectedFingerprint)) {
      throw new IllegalArgumentException(where + " was made with vocab " + vocabFingerprint.substring(0, 12)
          + "..., but this run uses vocab " + expectedFingerprint.substring(0, 12)
          + "...: token ids would not match; use the same vocab_file");
    }
  }
}
