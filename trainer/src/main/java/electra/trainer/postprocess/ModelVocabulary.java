package electra.trainer.postprocess;

import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.tokenization.Vocabulary;
import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** The vocabulary a model goes with, as {@code --vocab_file} names it, checked against the one it was trained with. */
final class ModelVocabulary {

  private ModelVocabulary() {}

  static Vocabulary resolve(String vocabFile) throws IOException {
    try {
      return Vocabulary.resolve(vocabFile);
    } catch (NoSuchFileException e) {
      throw new UsageException("--vocab_file " + vocabFile + ": no such file");
    }
  }

  /**
   * Refuses a vocabulary other than the recorded one ({@code where} says where it is recorded; null: nothing to
   * compare), or one larger than the embedding table.
   */
  static void check(Vocabulary vocab, String recorded, String where, ElectraConfig disc) {
    if (recorded != null && !recorded.equals(vocab.fingerprint())) {
      throw new UsageException("--vocab_file " + vocab.source() + " has SHA-256 " + vocab.fingerprint() + " but the "
          + "model was trained with vocab " + recorded + " (" + where + "); give the model's vocab.txt");
    }
    if (vocab.size() > disc.vocabSize()) {
      throw new UsageException("--vocab_file " + vocab.source() + " has " + vocab.size() + " tokens but the model's "
          + "vocab_size is " + disc.vocabSize());
    }
  }
}
