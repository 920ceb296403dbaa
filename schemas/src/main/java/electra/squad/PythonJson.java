package electra.squad;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} of a flat dict of numbers, the shape of every metrics dict the official SQuAD
 * scripts print: {@code {"a": 1, "b": 2.5}} by default, one key per line with {@code indent=2}. Floats are written
 * with {@link PythonFloat#repr}, except that JSON's spellings {@code NaN}, {@code Infinity} and {@code -Infinity}
 * replace {@code nan} and {@code inf}; integers as integers.
 */
public final class PythonJson {

  private PythonJson() {}

  /** {@code json.dumps(d)}. */
  public static String dumps(Map<String, ? extends Number> dict) {
    return "{" + String.join(", ", items(dict)) + "}";
  }

  /** {@code json.dumps(d, indent=2)}. */
  public static String dumpsIndented(Map<String, ? extends Number> dict) {
    if (dict.isEmpty()) {
      return "{}";
    }
    return "{\n  " + String.join(",\n  ", items(dict)) + "\n}";
  }

  private static List<String> items(Map<String, ? extends Number> dict) {
    List<String> items = new ArrayList<>(dict.size());
    dict.forEach((key, value) -> items.add(key(key) + ": " + number(value)));
    return items;
  }

  /** The metric names: plain ASCII identifiers, which JSON writes between quotes as they are. */
  private static String key(String key) {
    if (!key.matches("[A-Za-z0-9_]+")) {
      throw new IllegalArgumentException("not a metric name: " + key);
    }
    return '"' + key + '"';
  }

  static String number(Number value) {
    if (value instanceof Double d) {
      if (d.isNaN()) {
        return "NaN";
      }
      if (d.isInfinite()) {
        return d > 0 ? "Infinity" : "-Infinity";
      }
      return PythonFloat.repr(d);
    }
    if (value instanceof Long || value instanceof Integer || value instanceof BigInteger) {
      return value.toString();
    }
    throw new IllegalArgumentException("neither a Python int nor a float: " + value.getClass().getName());
  }
}
