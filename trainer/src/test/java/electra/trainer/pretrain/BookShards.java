package electra.trainer.pretrain;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import electra.records.PretrainingExample;
import electra.records.ShardManifest;
import electra.records.TfRecordWriter;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Small pre-training shards made in the test from real book text of the shared reference folder: the token
 * stream of a book cut into [CLS] A [SEP] B [SEP] sequences (simple packing; the real packing lives in pipelines).
 */
public final class BookShards {

  private BookShards() {}

  public static Path shared() {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (book text and vocab live there)");
    Path dir = Path.of(shared);
    assumeTrue(Files.isRegularFile(vocabFile(dir)) && Files.isRegularFile(dir.resolve("data/books/austen-emma.txt")),
        "skipped: " + dir + "/data/books or data/vocab not found (electra.shared.dir=" + shared + ")");
    return dir;
  }

  public static Path vocabFile(Path shared) {
    return shared.resolve("data/vocab/bert-base-uncased-vocab.txt");
  }

  /** Writes {@code shards} shards of {@code perShard} sequences of {@code length} tokens plus manifest.json. */
  public static Path write(Path dir, int length, int shards, int perShard, String fingerprintOverride) throws IOException {
    Path shared = shared();
    Vocabulary vocab = Vocabulary.load(vocabFile(shared));
    BertTokenizer tokenizer = BertTokenizer.uncased(vocab);
    List<Integer> stream = new ArrayList<>();
    int needed = shards * perShard * (length - 3);
    for (String line : Files.readAllLines(shared.resolve("data/books/austen-emma.txt"))) {
      if (stream.size() >= needed) {
        break;
      }
      for (int id : tokenizer.ids(line)) {
        stream.add(id);
      }
    }
    Files.createDirectories(dir);
    List<ShardManifest.Shard> listed = new ArrayList<>();
    int at = 0;
    for (int s = 0; s < shards; s++) {
      String name = String.format("pretrain_data.tfrecord-%05d-of-%05d", s, shards);
      try (TfRecordWriter w = TfRecordWriter.create(dir.resolve(name))) {
        for (int r = 0; r < perShard; r++) {
          // Vary the real length so padding and masking rates are exercised.
          int real = length - 3 - (r % 4) * (length / 8);
          int a = real / 2;
          int[] ids = new int[length];
          int[] mask = new int[length];
          int[] seg = new int[length];
          int t = 0;
          ids[t] = vocab.clsId();
          mask[t++] = 1;
          for (int i = 0; i < a; i++, t++) {
            ids[t] = stream.get(at++ % stream.size());
            mask[t] = 1;
          }
          ids[t] = vocab.sepId();
          mask[t++] = 1;
          for (int i = a; i < real; i++, t++) {
            ids[t] = stream.get(at++ % stream.size());
            mask[t] = 1;
            seg[t] = 1;
          }
          ids[t] = vocab.sepId();
          mask[t] = 1;
          seg[t] = 1;
          w.write(new PretrainingExample(ids, mask, seg).toBytes());
        }
      }
      listed.add(new ShardManifest.Shard(name, perShard));
    }
    String fingerprint = fingerprintOverride != null ? fingerprintOverride : vocab.fingerprint();
    Files.writeString(dir.resolve(ShardManifest.FILE_NAME),
        new ShardManifest(length, fingerprint, Map.of("source", "austen-emma"), listed).toJson());
    return dir;
  }

  /** The name continuous ingestion gives the one shard of its batch {@code i} (they sort in batch order). */
  public static String batchName(int i) {
    return String.format("pretrain_data.tfrecord-b%05d-00000-of-00001", i);
  }

  /**
   * A folder to follow, as continuous ingestion starts it: a manifest with the header of the shards staged in
   * {@code staging} ({@link #write}) and no shard yet; {@link #publish} lists staged shards in it.
   */
  public static Path followedFolder(Path staging, Path dir) throws IOException {
    Files.createDirectories(dir);
    ShardManifest staged = ShardManifest.fromJson(Files.readString(staging.resolve(ShardManifest.FILE_NAME)));
    Files.writeString(dir.resolve(ShardManifest.FILE_NAME), new ShardManifest(staged.maxSeqLength(),
        staged.vocabFingerprint(), staged.parameters(), List.of()).toJson());
    return dir;
  }

  /**
   * Copies staged shards {@code batches} into {@code dir} as those batches' shards ({@link #batchName}) and lists
   * them in one manifest update (replaced atomically), as a batch of continuous ingestion does.
   */
  public static void publish(Path staging, Path dir, int... batches) throws IOException {
    ShardManifest staged = ShardManifest.fromJson(Files.readString(staging.resolve(ShardManifest.FILE_NAME)));
    List<ShardManifest.Shard> listed = new ArrayList<>();
    for (int i : batches) {
      ShardManifest.Shard s = staged.shards().get(i);
      Files.copy(staging.resolve(s.file()), dir.resolve(batchName(i)));
      listed.add(new ShardManifest.Shard(batchName(i), s.records()));
    }
    ShardManifest m = ShardManifest.fromJson(Files.readString(dir.resolve(ShardManifest.FILE_NAME)))
        .withShards(listed);
    Path tmp = dir.resolve(".manifest.json.tmp");
    Files.writeString(tmp, m.toJson());
    Files.move(tmp, dir.resolve(ShardManifest.FILE_NAME), StandardCopyOption.ATOMIC_MOVE);
  }

  /** A tiny discriminator: E 16, H 32, 2 layers, 2 heads, BERT vocabulary, 128 positions. */
  public static Path tinyConfig(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve("tiny_config.json");
    Files.writeString(file, """
        {"vocab_size": 30522, "embedding_size": 16, "hidden_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 128}
        """);
    return file;
  }
}
