package electra.glue;

import electra.cli.UsageException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The GLUE tasks as their distribution lays them out ({@code <data_dir>/<folder>/train.tsv, dev.tsv, test.tsv}),
 * with the columns Google's ELECTRA reads ({@code finetune/classification/classification_tasks.py}), the labels in
 * Google's order (a label's index is its class id), the metrics the benchmark scores and Google's epochs
 * ({@code configure_finetuning.py}: 3, but 10 for RTE and STS-B). Column indices count from 0; a negative one
 * counts from the end of the row, as Python's.
 */
public enum GlueTask {
  COLA("cola", "CoLA", List.of("0", "1"), new Columns(3, Columns.NONE, 1, false),
      new Columns(1, Columns.NONE, Columns.NONE, true), List.of("dev"), Map.of("test", "CoLA.tsv"), 3),
  SST2("sst-2", "SST-2", List.of("0", "1"), new Columns(0, Columns.NONE, 1, true),
      new Columns(1, Columns.NONE, Columns.NONE, true), List.of("dev"), Map.of("test", "SST-2.tsv"), 3),
  MRPC("mrpc", "MRPC", List.of("0", "1"), new Columns(3, 4, 0, true), new Columns(3, 4, Columns.NONE, true),
      List.of("dev"), Map.of("test", "MRPC.tsv"), 3),
  STSB("sts-b", "STS-B", List.of(), new Columns(7, 8, 9, true), new Columns(7, 8, Columns.NONE, true),
      List.of("dev"), Map.of("test", "STS-B.tsv"), 10),
  QQP("qqp", "QQP", List.of("0", "1"), new Columns(3, 4, 5, true), new Columns(1, 2, Columns.NONE, true),
      List.of("dev"), Map.of("test", "QQP.tsv"), 3),
  MNLI("mnli", "MNLI", List.of("contradiction", "entailment", "neutral"), new Columns(8, 9, -1, true),
      new Columns(8, 9, Columns.NONE, true), List.of("dev_matched", "dev_mismatched"),
      orderedMap("test_matched", "MNLI-m.tsv", "test_mismatched", "MNLI-mm.tsv", GlueData.DIAGNOSTIC, "AX.tsv"), 3),
  QNLI("qnli", "QNLI", List.of("entailment", "not_entailment"), new Columns(1, 2, 3, true),
      new Columns(1, 2, Columns.NONE, true), List.of("dev"), Map.of("test", "QNLI.tsv"), 3),
  RTE("rte", "RTE", List.of("entailment", "not_entailment"), new Columns(1, 2, 3, true),
      new Columns(1, 2, Columns.NONE, true), List.of("dev"), Map.of("test", "RTE.tsv"), 10),
  WNLI("wnli", "WNLI", List.of("0", "1"), new Columns(1, 2, 3, true), new Columns(1, 2, Columns.NONE, true),
      List.of("dev"), Map.of("test", "WNLI.tsv"), 3);

  /** Where a split's fields are: text A, text B and the label (each {@link #NONE} when absent). */
  public record Columns(int textA, int textB, int label, boolean header) {

    /** A column a split does not have (not a valid index, negative ones being from the end). */
    public static final int NONE = Integer.MIN_VALUE;
  }

  private final String id;
  private final String folder;
  private final List<String> labels;
  private final Columns labeled;
  private final Columns test;
  private final List<String> devSplits;
  private final Map<String, String> testSubmissions;
  private final int epochs;

  GlueTask(String id, String folder, List<String> labels, Columns labeled, Columns test, List<String> devSplits,
      Map<String, String> testSubmissions, int epochs) {
    this.id = id;
    this.folder = folder;
    this.labels = labels;
    this.labeled = labeled;
    this.test = test;
    this.devSplits = devSplits;
    this.testSubmissions = testSubmissions;
    this.epochs = epochs;
  }

  private static Map<String, String> orderedMap(String... keysAndValues) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /** The task by its {@code --task_name}: the folder name or the short id, any case (cola, SST-2, sts-b, sst2). */
  public static GlueTask parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT).replace("-", "");
    for (GlueTask t : values()) {
      if (t.id.replace("-", "").equals(wanted)) {
        return t;
      }
    }
    throw new UsageException("unknown GLUE task '" + name + "'; one of " + Arrays.stream(values())
        .map(GlueTask::folder).collect(Collectors.joining(", ")));
  }

  /** The name {@code --task_name} takes, e.g. {@code sst-2}. */
  public String id() {
    return id;
  }

  /** The task's folder in the GLUE distribution, e.g. {@code SST-2}. */
  public String folder() {
    return folder;
  }

  /**
   * Whether a pair means the same in either order (paraphrase, similarity), so that Google trains on both orders
   * ({@code double_unordered} in {@code classification_tasks.py}): MRPC and STS-B.
   */
  public boolean isUnordered() {
    return this == MRPC || this == STSB;
  }

  /** STS-B: a similarity score from 0 to 5, not a class. */
  public boolean isRegression() {
    return labels.isEmpty();
  }

  /** The class labels as the files spell them, class id = index; empty for regression. */
  public List<String> labels() {
    return labels;
  }

  /** The class id of a label as a file spells it. */
  public int labelId(String label) {
    int id = labels.indexOf(label.trim());
    if (id < 0) {
      throw new IllegalArgumentException("label '" + label + "' is not one of " + folder + "'s " + labels);
    }
    return id;
  }

  /** The columns of a labeled split (train, dev) and of an unlabeled one (test). */
  public Columns columns(boolean labeledSplit) {
    return labeledSplit ? labeled : test;
  }

  /**
   * The columns of a split by name: GLUE's diagnostic set (AX, predicted with the MNLI model) has its pair in columns
   * 1 and 2 whatever the task's test split has.
   */
  public Columns columns(String split) {
    return split.equals(GlueData.DIAGNOSTIC) ? new Columns(1, 2, Columns.NONE, true) : columns(!GlueData.isTest(split));
  }

  /** The labeled evaluation splits: {@code dev}, or MNLI's {@code dev_matched} and {@code dev_mismatched}. */
  public List<String> devSplits() {
    return devSplits;
  }

  /**
   * Each test split and the name GLUE's submission server wants its predictions under; MNLI's include the
   * diagnostic set ({@code diagnostic.tsv} in its folder, as Google's code reads it), whose predictions are AX.tsv.
   */
  public Map<String, String> testSubmissions() {
    return testSubmissions;
  }

  /** Google's number of fine-tuning epochs for this task. */
  public int epochs() {
    return epochs;
  }

  /** The scores of the benchmark for this task, metric name to value (see {@link GlueMetrics}). */
  public Map<String, Double> score(GluePredictions gold, GluePredictions predicted) {
    Map<String, Double> scores = new LinkedHashMap<>();
    if (isRegression()) {
      scores.put("pearson", GlueMetrics.pearson(gold.scores(), predicted.scores()));
      scores.put("spearman", GlueMetrics.spearman(gold.scores(), predicted.scores()));
      return scores;
    }
    int[] g = gold.classes();
    int[] p = predicted.classes();
    if (this == COLA) {
      scores.put("matthews_correlation", GlueMetrics.matthews(g, p));
    }
    scores.put("accuracy", GlueMetrics.accuracy(g, p));
    if (this == MRPC || this == QQP) {
      scores.put("f1", GlueMetrics.f1(g, p, labelId("1")));
    }
    return scores;
  }

  /** The metric GLUE ranks this task by (the first of {@link #score}). */
  public String mainMetric() {
    return switch (this) {
      case COLA -> "matthews_correlation";
      case STSB -> "pearson";
      default -> "accuracy";
    };
  }
}
