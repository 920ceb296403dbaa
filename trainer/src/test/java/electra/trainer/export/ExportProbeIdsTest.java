package electra.trainer.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.tokenization.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ExportProbeIdsTest {

  @Test
  void theProbeUsesTheVocabularysOwnSpecialIdsAndStaysInsideIt() {
    StringBuilder tokens = new StringBuilder("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
    for (int i = 0; i < 995; i++) {
      tokens.append("w").append(i).append('\n');
    }
    Vocabulary built = Vocabulary.fromBytes(tokens.toString().getBytes(StandardCharsets.UTF_8), "built");
    int[] ids = ExportModel.probeIds(built);
    assertEquals(1000, built.size());
    assertTrue(Arrays.stream(ids).allMatch(id -> id >= 0 && id < 1000), Arrays.toString(ids));
    assertEquals(2, ids[0], "[CLS]");
    assertEquals(3, ids[6], "[SEP]");
    assertEquals(0, ids[10], "[PAD]");
    assertEquals(2054 % 1000, ids[1]);
  }
}
