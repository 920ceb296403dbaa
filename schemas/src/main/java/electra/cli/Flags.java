package electra.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The flags of one job: declared once with their defaults and a one-line description, parsed from
 * {@code --name=value} / {@code --name value} / {@code --name} (booleans), and printed by {@code --help}.
 * Values are checked against their type while parsing, so a job never sees a malformed number.
 */
public final class Flags {

  /** What a flag's value must look like. */
  public enum Type {
    TEXT, INTEGER, DECIMAL, BOOLEAN
  }

  /** One declared flag; {@code defaultValue} null means "not set unless given". */
  public record Flag(String name, Type type, String defaultValue, String description) {}

  private final String job;
  private final String summary;
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Flag> declared = new LinkedHashMap<>();

  private Flags(String job, String summary) {
    this.job = job;
    this.summary = summary;
  }

  public static Flags forJob(String job, String summary) {
    return new Flags(job, summary);
  }

  /** A real command line shown under "Examples" in {@code --help}. */
  public Flags example(String commandLine) {
    examples.add(commandLine);
    return this;
  }

  public Flags text(String name, String defaultValue, String description) {
    return declare(new Flag(name, Type.TEXT, defaultValue, description));
  }

  public Flags integer(String name, long defaultValue, String description) {
    return declare(new Flag(name, Type.INTEGER, Long.toString(defaultValue), description));
  }

  public Flags decimal(String name, double defaultValue, String description) {
    return declare(new Flag(name, Type.DECIMAL, Double.toString(defaultValue), description));
  }

  public Flags bool(String name, boolean defaultValue, String description) {
    return declare(new Flag(name, Type.BOOLEAN, Boolean.toString(defaultValue), description));
  }

  private Flags declare(Flag flag) {
    if (declared.put(flag.name(), flag) != null) {
      throw new IllegalStateException("flag --" + flag.name() + " declared twice for " + job);
    }
    return this;
  }

  /** Parses the command line; throws {@link HelpRequested} for --help, {@link UsageException} for mistakes. */
  public Values parse(String... args) {
    Map<String, String> values = new LinkedHashMap<>();
    declared.values().forEach(f -> values.put(f.name(), f.defaultValue()));
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new HelpRequested(help());
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException(job + " takes only --flags, got '" + arg + "' (see " + job + " --help)");
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      Flag flag = declared.get(name);
      if (flag == null) {
        throw new UsageException("unknown flag --" + name + " for " + job + " (see " + job + " --help)");
      }
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (flag.type() == Type.BOOLEAN
          && (i + 1 >= args.length || !isBooleanWord(args[i + 1]))) {
        value = "true";
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new UsageException("flag --" + name + " needs a value");
      }
      values.put(name, check(flag, value));
    }
    return new Values(job, values);
  }

  private static boolean isBooleanWord(String s) {
    return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
  }

  private static String check(Flag flag, String value) {
    try {
      switch (flag.type()) {
        case INTEGER -> Long.parseLong(value.trim());
        case DECIMAL -> Double.parseDouble(value.trim());
        case BOOLEAN -> {
          if (!isBooleanWord(value.trim())) {
            throw new NumberFormatException();
          }
        }
        case TEXT -> { }
      }
      return value;
    } catch (NumberFormatException e) {
      throw new UsageException("--" + flag.name() + " must be " + article(flag.type()) + ", got '" + value + "'");
    }
  }

  private static String article(Type type) {
    return switch (type) {
      case INTEGER -> "an integer";
      case DECIMAL -> "a number";
      case BOOLEAN -> "true or false";
      case TEXT -> "text";
    };
  }

  /** The text printed by {@code --help}. */
  public String help() {
    StringBuilder out = new StringBuilder();
    out.append(job).append(": ").append(summary).append("\n\nFlags:\n");
    int width = declared.keySet().stream().mapToInt(String::length).max().orElse(0) + 4;
    for (Flag f : declared.values()) {
      String left = "  --" + f.name();
      out.append(left).append(" ".repeat(Math.max(1, width + 4 - left.length())))
          .append(f.description());
      if (f.defaultValue() != null && !f.defaultValue().isEmpty()) {
        out.append(" (default: ").append(f.defaultValue()).append(')');
      }
      out.append(" [").append(f.type().name().toLowerCase(Locale.ROOT)).append("]\n");
    }
    if (!examples.isEmpty()) {
      out.append("\nExamples:\n");
      examples.forEach(e -> out.append("  ").append(e).append('\n'));
    }
    return out.toString();
  }

  /** Parsed values, read by name with the type they were declared with. */
  public static final class Values {
    private final String job;
    private final Map<String, String> values;

    private Values(String job, Map<String, String> values) {
      this.job = job;
      this.values = values;
    }

    /** The value, or null when the flag has no default and was not given. */
    public String text(String name) {
      known(name);
      return values.get(name);
    }

    /** The value of a flag that must be given. */
    public String required(String name) {
      String v = text(name);
      if (v == null || v.isEmpty()) {
        throw new UsageException(job + " needs --" + name + " (see " + job + " --help)");
      }
      return v;
    }

    public long integer(String name) {
      return Long.parseLong(text(name).trim());
    }

    public int intValue(String name) {
      long v = integer(name);
      if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
        throw new UsageException("--" + name + " is out of range: " + v);
      }
      return (int) v;
    }

    public double decimal(String name) {
      return Double.parseDouble(text(name).trim());
    }

    public boolean bool(String name) {
      return Boolean.parseBoolean(text(name).trim());
    }

    private void known(String name) {
      if (!values.containsKey(name)) {
        throw new IllegalStateException(job + " reads undeclared flag --" + name);
      }
    }
  }
}
