package electra.tagging;

import electra.cli.UsageException;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CoNLL-2000/2003 files: one word per line, whitespace-separated columns, the word first and its tag last (CoNLL-2003
 * {@code word POS chunk NER}, CoNLL-2000 {@code word POS chunk}), a blank line after each sentence; {@code -DOCSTART-}
 * lines are skipped, as Google's ELECTRA and Hugging Face's readers do. A file of one column is untagged (a test
 * set to predict). Predictions are written in conlleval's input format: {@code word gold predicted} (or {@code word
 * predicted} without gold), a blank line after each sentence.
 */
public final class ConllFiles {

  private static final String DOCSTART = "-DOCSTART-";

  private ConllFiles() {}

  /** The sentences of a file; every line of it must have the same number of columns. */
  public static List<TaggedSentence> read(Path file) throws IOException {
    List<TaggedSentence> sentences = new ArrayList<>();
    List<String> words = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    int columns = -1;
    int lineNumber = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        String[] fields = line.strip().split("\\s+");
        if (line.isBlank() || fields[0].equals(DOCSTART)) {
          if (!words.isEmpty()) {
            sentences.add(new TaggedSentence(words, columns > 1 ? tags : null));
            words.clear();
            tags.clear();
          }
          continue;
        }
        if (columns < 0) {
          columns = fields.length;
        } else if (fields.length != columns) {
          throw new UsageException(file + " line " + lineNumber + " has " + fields.length + " columns, the lines "
              + "before it " + columns + ": a CoNLL file has the same columns on every line (word first, tag last)");
        }
        words.add(fields[0]);
        tags.add(fields[fields.length - 1]);
      }
    }
    if (!words.isEmpty()) {
      sentences.add(new TaggedSentence(words, columns > 1 ? tags : null));
    }
    return sentences;
  }

  /** Whether every sentence has tags. */
  public static boolean tagged(List<TaggedSentence> sentences) {
    return sentences.stream().allMatch(s -> s.tags() != null);
  }

  /**
   * Writes {@code word gold predicted} lines (or {@code word predicted} for untagged sentences), a blank line after
   * each sentence: conlleval's input, and what {@code EvalTagging --predictions_file} reads.
   */
  public static void writePredictions(Path file, List<TaggedSentence> sentences, List<List<String>> predicted)
      throws IOException {
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int s = 0; s < sentences.size(); s++) {
        TaggedSentence sentence = sentences.get(s);
        for (int w = 0; w < sentence.words().size(); w++) {
          out.write(sentence.words().get(w));
          if (sentence.tags() != null) {
            out.write(" " + sentence.tags().get(w));
          }
          out.write(" " + predicted.get(s).get(w) + "\n");
        }
        out.write("\n");
      }
    }
  }
}
