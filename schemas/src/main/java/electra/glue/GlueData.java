package electra.glue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a GLUE split's TSV file as Google's ELECTRA does: fields split on tabs with no quoting (GLUE's sentences
 * carry quote characters of their own), the header skipped where the task's split has one, and a row too short for
 * the task's columns skipped and counted (the old QQP release has a few).
 */
public final class GlueData {

  /** The examples of one file and the number of rows that could not be read. */
  public record Split(List<GlueExample> examples, int skippedRows) {}

  private GlueData() {}

  /** {@code <dataDir>/<split>.tsv}, e.g. {@code glue/CoLA/dev.tsv}. */
  public static Path file(Path taskDir, String split) {
    return taskDir.resolve(split + ".tsv");
  }

  /** GLUE's diagnostic set (AX), a test split of MNLI's model. */
  public static final String DIAGNOSTIC = "diagnostic";

  /** Whether a split name is a test split (no labels): {@code test}, {@code test_matched}, ..., the diagnostic set. */
  public static boolean isTest(String split) {
    return split.startsWith("test") || split.equals(DIAGNOSTIC);
  }

  /**
   * The examples of {@code file}, a split of {@code task}; {@code labeled} says whether it is a train/dev split
   * (with labels) or a test split.
   */
  public static Split read(Path file, GlueTask task, boolean labeled) throws IOException {
    return read(file, task, task.columns(labeled));
  }

  /** The examples of {@code file}, the split named {@code split} of {@code task}. */
  public static Split read(Path file, GlueTask task, String split) throws IOException {
    return read(file, task, task.columns(split));
  }

  private static Split read(Path file, GlueTask task, GlueTask.Columns columns) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such " + task.folder() + " file");
    }
    List<GlueExample> examples = new ArrayList<>();
    int skipped = 0;
    try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int row = columns.header() ? -1 : 0;
      while ((line = reader.readLine()) != null) {
        if (row < 0) {
          row++;
          continue;
        }
        String[] fields = line.split("\t", -1);
        String a = field(fields, columns.textA());
        String b = columns.textB() == GlueTask.Columns.NONE ? null : field(fields, columns.textB());
        String label = columns.label() == GlueTask.Columns.NONE ? null : field(fields, columns.label());
        boolean usable = a != null && (b != null || columns.textB() == GlueTask.Columns.NONE)
            && (label != null || columns.label() == GlueTask.Columns.NONE) && (label == null || valid(task, label));
        if (usable) {
          examples.add(new GlueExample(row, a, b, label));
        } else {
          skipped++;
        }
        row++;
      }
    }
    return new Split(examples, skipped);
  }

  private static boolean valid(GlueTask task, String label) {
    if (task.isRegression()) {
      try {
        Double.parseDouble(label.trim());
        return true;
      } catch (NumberFormatException e) {
        return false;
      }
    }
    return task.labels().contains(label.trim());
  }

  /** A field by index, negative from the end; null when the row has no such field. */
  private static String field(String[] fields, int column) {
    int i = column < 0 ? fields.length + column : column;
    return i >= 0 && i < fields.length ? fields[i] : null;
  }
}
