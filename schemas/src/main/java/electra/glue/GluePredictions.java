package electra.glue;

import java.util.List;

/**
 * Labels or predictions of a list of examples in the form the metrics read: class ids for a classification task,
 * scores for regression (the other array empty).
 */
public record GluePredictions(int[] classes, double[] scores) {

  public static GluePredictions ofClasses(int[] classes) {
    return new GluePredictions(classes, new double[0]);
  }

  public static GluePredictions ofScores(double[] scores) {
    return new GluePredictions(new int[0], scores);
  }

  /** Labels as files spell them ("entailment", "1", "3.8"), read for {@code task}. */
  public static GluePredictions parse(GlueTask task, List<String> labels) {
    if (task.isRegression()) {
      return ofScores(labels.stream().mapToDouble(l -> Double.parseDouble(l.trim())).toArray());
    }
    return ofClasses(labels.stream().mapToInt(task::labelId).toArray());
  }

  public int size() {
    return Math.max(classes.length, scores.length);
  }

  /** The {@code i}-th label as GLUE's submission files spell it: the label's name, or the score. */
  public String text(GlueTask task, int i) {
    return task.isRegression() ? Double.toString(scores[i]) : task.labels().get(classes[i]);
  }
}
