package electra.squad;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps} with its default {@code ensure_ascii=True}, for the JSON files and lines the SQuAD
 * scripts write: the metrics dicts the official evaluators print, and the prediction files of fine-tuning
 * ({@code predictions.json}, {@code nbest_predictions.json}, {@code null_odds.json}). Floats are written with
 * {@link PythonFloat#repr}, except that JSON's spellings {@code NaN}, {@code Infinity} and {@code -Infinity}
 * replace {@code nan} and {@code inf}; integers as integers; strings with every non-ASCII character escaped as
 * {@code \\uXXXX} (UTF-16 units, so characters beyond the BMP become surrogate pairs).
 */
public final class PythonJson {

  private PythonJson() {}

  /** {@code json.dumps(d)} of a flat dict of metrics. */
  public static String dumps(Map<String, ? extends Number> dict) {
    return dumps(checkedMetrics(dict), -1);
  }

  /** {@code json.dumps(d, indent=2)} of a flat dict of metrics. */
  public static String dumpsIndented(Map<String, ? extends Number> dict) {
    return dumps(checkedMetrics(dict), 2);
  }

  /**
   * {@code json.dumps(value)} when {@code indent} is negative, else {@code json.dumps(value, indent=indent)}, of
   * nested maps (string keys, in iteration order), lists, strings, numbers and booleans.
   */
  public static String dumps(Object value, int indent) {
    StringBuilder out = new StringBuilder();
    write(value, indent, 0, out);
    return out.toString();
  }

  /** The metric names: plain ASCII identifiers, which JSON writes between quotes as they are. */
  private static Map<String, ? extends Number> checkedMetrics(Map<String, ? extends Number> dict) {
    for (String key : dict.keySet()) {
      if (!key.matches("[A-Za-z0-9_]+")) {
        throw new IllegalArgumentException("not a metric name: " + key);
      }
    }
    return dict;
  }

  private static void write(Object value, int indent, int depth, StringBuilder out) {
    if (value instanceof Map<?, ?> map) {
      writeContainer('{', '}', map.entrySet().iterator(), indent, depth, out, (entry, o) -> {
        Map.Entry<?, ?> e = (Map.Entry<?, ?>) entry;
        if (!(e.getKey() instanceof String key)) {
          throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
        }
        string(key, o);
        o.append(": ");
        write(e.getValue(), indent, depth + 1, o);
      });
    } else if (value instanceof List<?> list) {
      writeContainer('[', ']', list.iterator(), indent, depth, out, (item, o) -> write(item, indent, depth + 1, o));
    } else if (value instanceof String s) {
      string(s, out);
    } else if (value instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (value instanceof Number n) {
      out.append(number(n));
    } else {
      throw new IllegalArgumentException("cannot write " + (value == null ? "null" : value.getClass().getName())
          + " as JSON here");
    }
  }

  private interface ItemWriter {
    void write(Object item, StringBuilder out);
  }

  /** Python's layout: {@code ", "} between items on one line, or one item per line indented by depth. */
  private static void writeContainer(char open, char close, Iterator<?> items, int indent, int depth,
      StringBuilder out, ItemWriter writer) {
    out.append(open);
    if (!items.hasNext()) {
      out.append(close);
      return;
    }
    String itemIndent = indent < 0 ? "" : "\n" + " ".repeat(indent * (depth + 1));
    boolean first = true;
    while (items.hasNext()) {
      out.append(first ? "" : indent < 0 ? ", " : ",").append(itemIndent);
      writer.write(items.next(), out);
      first = false;
    }
    out.append(indent < 0 ? "" : "\n" + " ".repeat(indent * depth)).append(close);
  }

  /** A JSON string as Python's encoder writes it with {@code ensure_ascii=True}. */
  private static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  static String number(Number value) {
    if (value instanceof Double || value instanceof Float) {
      double d = value.doubleValue();
      if (Double.isNaN(d)) {
        return "NaN";
      }
      if (Double.isInfinite(d)) {
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
