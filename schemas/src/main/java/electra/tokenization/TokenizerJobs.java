package electra.tokenization;

import electra.cli.Flags;
import electra.cli.UsageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

/** What the tokenizer jobs share: the tokenizer flags, building the tokenizer from them, reading text. */
final class TokenizerJobs {

  private TokenizerJobs() {}

  /** Declares --vocab_file, --do_lower_case and --max_input_chars_per_word. */
  static Flags tokenizerFlags(Flags flags) {
    return flags
        .text("vocab_file", VocabularyResolver.BERT_BASE_UNCASED,
            "path of a vocab.txt, or bert-base-uncased (from $ELECTRA_HOME or ~/.cache/electra, else downloaded)")
        .bool("do_lower_case", true, "lower-case and strip accents, as for the uncased vocabulary")
        .integer("max_input_chars_per_word", WordpieceTokenizer.NVIDIA_MAX_INPUT_CHARS_PER_WORD,
            "longer words become [UNK]; 100 like NVIDIA/Hugging Face, 200 like Google");
  }

  /** The tokenizer the flags describe; a wrong value is reported as a usage error. */
  static BertTokenizer tokenizer(Flags.Values flags) throws IOException {
    int maxChars = flags.intValue("max_input_chars_per_word");
    Vocabulary vocabulary;
    try {
      vocabulary = Vocabulary.resolve(flags.text("vocab_file"));
    } catch (NoSuchFileException e) {
      throw new UsageException("--vocab_file: " + e.getMessage());
    }
    try {
      return new BertTokenizer(vocabulary, flags.bool("do_lower_case"), maxChars);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--max_input_chars_per_word: " + e.getMessage());
    }
  }

  /** Lines of UTF-8 text with invalid bytes dropped, as Python's {@code decode("utf-8", "ignore")} does. */
  static BufferedReader utf8Lines(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.IGNORE)
        .onUnmappableCharacter(CodingErrorAction.IGNORE)), 1 << 16);
  }
}
