package electra.tagging;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each word labelled at its first WordPiece, the rest ignored; words that do not fit are cut. */
class TaggingFeaturizerTest {

  // ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 the=5 par=6 ##is=7 is=8 big=9 .=10
  private static final List<String> TOKENS = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "par",
      "##is", "is", "big", ".");

  private static TaggingFeaturizer featurizer(int maxSeqLength) {
    byte[] vocab = (String.join("\n", TOKENS) + "\n").getBytes(StandardCharsets.UTF_8);
    return new TaggingFeaturizer(BertTokenizer.uncased(Vocabulary.fromBytes(vocab, "test vocab")), maxSeqLength);
  }

  @Test
  void aWordIsLabelledAtItsFirstPieceOnly() {
    // "Paris" -> par ##is; "big." -> big . (two pieces of one word)
    TaggingFeaturizer.Features f = featurizer(10).features(List.of("Paris", "is", "big."), new int[] {1, 0, 2});
    assertArrayEquals(new int[] {2, 6, 7, 8, 9, 10, 3, 0, 0, 0}, f.inputs().inputIds());
    assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 0, 0, 0}, f.inputs().inputMask());
    assertArrayEquals(new int[10], f.inputs().segmentIds());
    assertArrayEquals(new int[] {1, 3, 4}, f.firstPieces());
    assertArrayEquals(new int[] {-1, 1, -1, 0, 2, -1, -1, -1, -1, -1}, f.labelIds());
  }

  @Test
  void wordsThatDoNotFitAreCutAndAWordOfNoPieceBecomesUnk() {
    // 5 tokens: [CLS] par ##is is [SEP]; "the" would need position 4, where [SEP] must go
    TaggingFeaturizer.Features f = featurizer(5).features(List.of("Paris", "is", "the"), new int[] {1, 0, 0});
    assertArrayEquals(new int[] {2, 6, 7, 8, 3}, f.inputs().inputIds());
    assertEquals(2, f.words());
    // a word whose first piece fits keeps as many pieces as fit
    assertArrayEquals(new int[] {2, 5, 6, 3}, featurizer(4).features(List.of("the", "Paris"), null).inputs()
        .inputIds());
    TaggingFeaturizer.Features control = featurizer(5).features(List.of("\u0007", "is"), new int[] {0, 1});
    assertArrayEquals(new int[] {2, 1, 8, 3, 0}, control.inputs().inputIds());
    assertArrayEquals(new int[] {1, 2}, control.firstPieces());
    // no labels: every position ignored
    assertArrayEquals(new int[] {-1, -1, -1, -1, -1}, featurizer(5).features(List.of("is"), null).labelIds());
  }
}
