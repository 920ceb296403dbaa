package electra.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardManifestTest {

  private static final String VOCAB = "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";

  @Test
  void jsonRoundTripKeepsEverythingAndSortsShards() {
    ShardManifest m = new ShardManifest(128, VOCAB, Map.of("seed", "1", "job", "IngestWiki"),
        List.of(new ShardManifest.Shard("b", 2), new ShardManifest.Shard("a", 5)));
    assertEquals(List.of("a", "b"), m.shards().stream().map(ShardManifest.Shard::file).toList());
    assertEquals(7, m.records());
    ShardManifest back = ShardManifest.fromJson(m.toJson());
    assertEquals(m, back);
    assertTrue(m.toJson().indexOf("\"job\"") < m.toJson().indexOf("\"seed\""), "keys sorted: stable diffs");
  }

  @Test
  void appendingReplacesShardsOfTheSameName() {
    ShardManifest m = new ShardManifest(128, VOCAB, Map.of(), List.of(new ShardManifest.Shard("x-1", 3)));
    ShardManifest more = m.withShards(List.of(new ShardManifest.Shard("x-1", 4), new ShardManifest.Shard("x-2", 1)));
    assertEquals(List.of(new ShardManifest.Shard("x-1", 4), new ShardManifest.Shard("x-2", 1)), more.shards());
    assertEquals(5, more.records());
  }

  @Test
  void refusesWhatCannotBeRight() {
    assertThrows(IllegalArgumentException.class, () -> new ShardManifest(0, VOCAB, Map.of(), List.of()));
    assertThrows(IllegalArgumentException.class, () -> new ShardManifest(128, "abc", Map.of(), List.of()));
    assertThrows(IllegalArgumentException.class, () -> new ShardManifest.Shard("dir/file", 1));
    assertThrows(IllegalArgumentException.class, () -> new ShardManifest.Shard("f", -1));
    assertThrows(IllegalArgumentException.class, () -> new ShardManifest(128, VOCAB, Map.of(),
        List.of(new ShardManifest.Shard("f", 1), new ShardManifest.Shard("f", 2))));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ShardManifest.fromJson("{"));
    assertTrue(bad.getMessage().startsWith("not a shard manifest"), bad.getMessage());
  }

  @Test
  void vocabMismatchNamesBothFingerprints() {
    ShardManifest m = new ShardManifest(128, VOCAB, Map.of(), List.of());
    m.requireVocab(VOCAB, "shards");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> m.requireVocab("ff".repeat(32), "runs/wiki/phase1/train"));
    assertTrue(e.getMessage().contains("07eced375cec") && e.getMessage().contains("ffffffffffff")
        && e.getMessage().startsWith("runs/wiki/phase1/train"), e.getMessage());
  }
}
