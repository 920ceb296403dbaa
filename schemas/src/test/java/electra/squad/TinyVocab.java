package electra.squad;

import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** A vocabulary small enough to work examples out by hand: a token's id is its line number below. */
final class TinyVocab {

  static final List<String> TOKENS = List.of(
      "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", // 0-4
      "the", "cat", "sat", "on", "mat", // 5-9
      ".", "where", "did", "?", "dog", // 10-14
      "ran", "to", "park", "cafe", "au", // 15-19
      "lait", "北", "京", "\uD840\uDC00", "naive", // 20-24 (23 is U+20000, outside the BMP)
      "!", "smith", "'", "s", "##s"); // 25-29

  static final int CLS = 2;
  static final int SEP = 3;

  private TinyVocab() {}

  static BertTokenizer tokenizer() {
    byte[] file = (String.join("\n", TOKENS) + "\n").getBytes(StandardCharsets.UTF_8);
    return BertTokenizer.uncased(Vocabulary.fromBytes(file, "tiny"));
  }

  static int id(String token) {
    return TOKENS.indexOf(token);
  }
}
