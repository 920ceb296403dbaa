package electra.glue;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GLUE's submission format: a TSV file with the header {@code index<TAB>prediction} and one row per example, the
 * example's index and its predicted label as the task's files spell it ({@code entailment}, {@code 1}) or its
 * score. FinetuneGlue writes test predictions (named as the server wants them, e.g. {@code MNLI-m.tsv}) and dev
 * predictions this way; EvalGlue reads them back.
 */
public final class GlueSubmission {

  static final String HEADER = "index\tprediction";

  private GlueSubmission() {}

  public static void write(Path file, GlueTask task, List<GlueExample> examples, GluePredictions predictions)
      throws IOException {
    if (examples.size() != predictions.size()) {
      throw new IllegalArgumentException(examples.size() + " examples but " + predictions.size() + " predictions");
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(HEADER + "\n");
      for (int i = 0; i < examples.size(); i++) {
        w.write(examples.get(i).index() + "\t" + predictions.text(task, i) + "\n");
      }
    }
  }

  /** The predictions of a submission file by example index; a malformed row is an error naming its line. */
  public static Map<Integer, String> read(Path file) throws IOException {
    Map<Integer, String> byIndex = new LinkedHashMap<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = r.readLine()) != null) {
        number++;
        if (number == 1 && line.startsWith("index")) {
          continue;
        }
        if (line.isBlank()) {
          continue;
        }
        String[] fields = line.split("\t", -1);
        try {
          if (fields.length != 2) {
            throw new NumberFormatException();
          }
          byIndex.put(Integer.parseInt(fields[0].trim()), fields[1].trim());
        } catch (NumberFormatException e) {
          throw new IOException(file + " line " + number + ": expected 'index<TAB>prediction', got '" + line + "'");
        }
      }
    }
    return byIndex;
  }
}
