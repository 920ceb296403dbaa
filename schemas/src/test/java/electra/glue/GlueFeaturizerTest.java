package electra.glue;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** [CLS] A [SEP] B [SEP] with Google's segment ids, padding and truncation of the longer text. */
class GlueFeaturizerTest {

  private static final List<String> TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c",
      "d", "e");

  private static BertTokenizer tokenizer() {
    byte[] vocab = (String.join("\n", TOKENS) + "\n").getBytes(StandardCharsets.UTF_8);
    return BertTokenizer.uncased(Vocabulary.fromBytes(vocab, "test vocab"));
  }

  @Test
  void singleSentenceIsPaddedWithSegmentZero() {
    GlueFeaturizer.Inputs in = new GlueFeaturizer(tokenizer(), 6).inputs(new GlueExample(0, "A b", null, "1"));
    assertArrayEquals(new int[] {2, 5, 6, 3, 0, 0}, in.inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 0, 0}, in.inputMask());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 0}, in.segmentIds());
  }

  @Test
  void pairGetsSegmentOneAndTheLongerTextIsCut() {
    GlueFeaturizer.Inputs in = new GlueFeaturizer(tokenizer(), 7).inputs(new GlueExample(0, "a b c d", "e", "1"));
    // 7 - 3 = 4 text tokens: "a b c d" + "e" loses "d"
    assertArrayEquals(new int[] {2, 5, 6, 7, 3, 9, 3}, in.inputIds());
    assertArrayEquals(new int[] {0, 0, 0, 0, 0, 1, 1}, in.segmentIds());
    assertEquals(7, in.inputMask().length);
    GlueFeaturizer.Inputs cut = new GlueFeaturizer(tokenizer(), 4).inputs(new GlueExample(0, "a b c", null, "0"));
    assertArrayEquals(new int[] {2, 5, 6, 3}, cut.inputIds());
  }
}
