package electra.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelChoiceTest {

  @Test
  void aPresetOrAConfigWithoutVocabSizeTakesTheVocabularysSize(@TempDir Path tmp) throws Exception {
    assertEquals(8000, new ModelChoice("small", null).resolve(8000).vocabSize());
    assertEquals(ElectraConfig.preset("small").withVocabSize(8000), new ModelChoice("small", null).resolve(8000));
    assertEquals(ElectraConfig.BERT_VOCAB_SIZE, new ModelChoice("small", null).resolve().vocabSize());
    String tower = "\"embedding_size\": 16, \"hidden_size\": 32, \"num_hidden_layers\": 1, "
        + "\"num_attention_heads\": 2, \"intermediate_size\": 64";
    Path without = Files.writeString(tmp.resolve("without.json"), "{" + tower + "}");
    Path with = Files.writeString(tmp.resolve("with.json"), "{\"vocab_size\": 30522, " + tower + "}");
    assertEquals(1500, new ModelChoice("small", without).resolve(1500).vocabSize());
    assertEquals(30522, new ModelChoice("small", with).resolve(1500).vocabSize(), "the file's own vocab_size stays");
    assertEquals(30522, new ModelChoice("small", without).resolve().vocabSize());
  }
}
