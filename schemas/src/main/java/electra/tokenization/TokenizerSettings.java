package electra.tokenization;

import electra.cli.Flag;
import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;

/** The WordPiece flags of a job that tokenizes text: the vocabulary, lower-casing, the longest word. */
public record TokenizerSettings(
    @Flag(value = "path of a vocab.txt, or bert-base-uncased (from $ELECTRA_HOME or ~/.cache/electra, else "
        + "downloaded)", defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
    String vocabFile,
    @Flag(value = "lower-case and strip accents, as for the uncased vocabulary", defaultValue = "true")
    boolean doLowerCase,
    @Flag(value = "longer words become [UNK]; 100 like NVIDIA/Hugging Face, 200 like Google",
        defaultValue = "" + WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD)
    int maxInputCharsPerWord) {

  public TokenizerSettings {
    if (maxInputCharsPerWord < 1) {
      throw new UsageException("--max_input_chars_per_word must be at least 1, got " + maxInputCharsPerWord);
    }
  }

  /** The tokenizer these settings describe; a vocabulary that is not there is a usage error naming the flag. */
  public BertTokenizer tokenizer() throws IOException {
    try {
      return new BertTokenizer(Vocabulary.resolve(vocabFile), doLowerCase, maxInputCharsPerWord);
    } catch (NoSuchFileException e) {
      throw new UsageException("--vocab_file: " + e.getMessage());
    }
  }
}
