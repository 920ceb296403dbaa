package electra.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The flags of one job: declared once with their defaults and a one-line description, parsed from
 * {@code --name=value} / {@code --name value} / {@code --name} (booleans), and printed by {@code --help}.
 * Values are checked against their type while parsing, so a job never sees a malformed number.
 *
 * <p>A job's settings are best a record whose components carry {@link Flag}: {@link #record} declares them and
 * {@link Values#record} builds the record, so each setting is written once.
 */
public final class Flags {

  /** What a flag's value must look like. */
  public enum Type {
    TEXT, INTEGER, DECIMAL, BOOLEAN
  }

  /** One declared flag; {@code defaultValue} null means "not set unless given". */
  public record Declared(String name, Type type, String defaultValue, String description) {}

  private final String job;
  private final String summary;
  private final List<String> examples = new ArrayList<>();
  private final Map<String, Declared> declared = new LinkedHashMap<>();

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
    return declare(new Declared(name, Type.TEXT, defaultValue, description));
  }

  public Flags integer(String name, long defaultValue, String description) {
    return declare(new Declared(name, Type.INTEGER, Long.toString(defaultValue), description));
  }

  public Flags decimal(String name, double defaultValue, String description) {
    return declare(new Declared(name, Type.DECIMAL, Double.toString(defaultValue), description));
  }

  public Flags bool(String name, boolean defaultValue, String description) {
    return declare(new Declared(name, Type.BOOLEAN, Boolean.toString(defaultValue), description));
  }

  /**
   * Declares the flags of {@code type}'s {@link Flag} components, in their order, and those of its nested records.
   * {@link Values#record} builds it from the parsed values.
   */
  public Flags record(Class<? extends Record> type) {
    for (RecordComponent c : type.getRecordComponents()) {
      Flag flag = c.getAnnotation(Flag.class);
      if (flag == null) {
        if (declaresFlags(c.getType())) {
          record(c.getType().asSubclass(Record.class));
        } else if (c.getType().isPrimitive()) {
          throw new IllegalStateException(type.getSimpleName() + "." + c.getName() + " is neither a flag nor "
              + "derivable (a derived component receives null, so it must not be primitive)");
        }
        continue;
      }
      String name = flagName(c, flag);
      String defaultValue = flag.defaultValue().equals(Flag.NONE) ? null : flag.defaultValue();
      if (defaultValue == null && c.getType().isPrimitive() && !flag.required()) {
        throw new IllegalStateException("--" + name + " (" + type.getSimpleName() + "." + c.getName() + ") needs a "
            + "default: a " + c.getType() + " cannot be left unset");
      }
      if (defaultValue != null && flag.choices().length > 0 && !isChoice(flag.choices(), defaultValue)) {
        throw new IllegalStateException("--" + name + " (" + type.getSimpleName() + "." + c.getName() + "): the "
            + "default " + defaultValue + " is not one of its choices " + Arrays.toString(flag.choices()));
      }
      String description = flag.value() + choices(c.getType(), flag.choices()) + (flag.required() ? " [required]" : "");
      declare(new Declared(name, typeOf(c), defaultValue, description));
    }
    return this;
  }

  /**
   * The record {@code type} as the defaults of its flags fill it, checked by its own constructor: the settings a job
   * runs with when given no flags, for code that needs them without a command line. A required flag makes it throw.
   */
  public static <R extends Record> R defaults(Class<R> type) {
    return forJob(type.getSimpleName(), "defaults").record(type).parse().record(type);
  }

  /** Whether {@code type} is a record with flags of its own (a nested one), not a value derived from them. */
  private static boolean declaresFlags(Class<?> type) {
    return type.isRecord() && Arrays.stream(type.getRecordComponents())
        .anyMatch(c -> c.isAnnotationPresent(Flag.class) || declaresFlags(c.getType()));
  }

  /**
   * {@code maxSeqLength} as users type it: {@code max_seq_length}. A number between words is a word of its own
   * ({@code version2WithNegative}: {@code version_2_with_negative}); one that ends a word stays in it ({@code beta1},
   * {@code maxSeqLengthP1}: {@code max_seq_length_p1}).
   */
  public static String snakeCase(String property) {
    StringBuilder snake = new StringBuilder();
    for (int i = 0; i < property.length(); i++) {
      char c = property.charAt(i);
      boolean numberBetweenWords = Character.isDigit(c) && i > 0 && Character.isLowerCase(property.charAt(i - 1))
          && i + 1 < property.length() && Character.isUpperCase(property.charAt(i + 1));
      if (Character.isUpperCase(c)) {
        snake.append('_').append(Character.toLowerCase(c));
      } else if (numberBetweenWords) {
        snake.append('_').append(c);
      } else {
        snake.append(c);
      }
    }
    return snake.toString();
  }

  private static String flagName(RecordComponent c, Flag flag) {
    return flag.name().isEmpty() ? snakeCase(c.getName()) : flag.name();
  }

  private static Type typeOf(RecordComponent c) {
    Class<?> t = c.getType();
    if (t == int.class || t == long.class || t == Integer.class || t == Long.class) {
      return Type.INTEGER;
    }
    if (t == double.class || t == Double.class) {
      return Type.DECIMAL;
    }
    if (t == boolean.class || t == Boolean.class) {
      return Type.BOOLEAN;
    }
    if (t == String.class || t == Path.class || t.isEnum() || parser(t) != null || isTextList(c)) {
      return Type.TEXT;
    }
    throw new IllegalStateException(c.getDeclaringRecord().getSimpleName() + "." + c.getName() + ": a flag cannot "
        + "fill a " + t.getSimpleName());
  }

  /** A {@code List<String>}: the flag's comma-separated words. */
  private static boolean isTextList(RecordComponent c) {
    return c.getType() == List.class && c.getGenericType() instanceof ParameterizedType list
        && list.getActualTypeArguments()[0] == String.class;
  }

  /** The type's own {@code static T parse(String)}, which reads a flag's text into it; null when it has none. */
  private static Method parser(Class<?> type) {
    try {
      Method parse = type.getMethod("parse", String.class);
      return Modifier.isStatic(parse.getModifiers()) && parse.getReturnType() == type ? parse : null;
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * {@code " (lamb or adam)"}: the flag's own {@link Flag#choices}, else an enum's values as flags spell them; nothing
   * for other types.
   */
  private static String choices(Class<?> type, String[] given) {
    List<String> names = given.length > 0 ? List.of(given) : type.isEnum()
        ? Arrays.stream(type.getEnumConstants()).map(e -> spelling((Enum<?>) e)).toList() : List.of();
    if (names.isEmpty()) {
      return "";
    }
    return " (" + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1) + ")";
  }

  private static boolean isChoice(String[] choices, String value) {
    return Arrays.stream(choices).anyMatch(value.strip()::equalsIgnoreCase);
  }

  private static String spelling(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private Flags declare(Declared flag) {
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
      Declared flag = declared.get(name);
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

  private static String check(Declared flag, String value) {
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
    for (Declared f : declared.values()) {
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

    /**
     * The record {@code type} filled from the flags {@link Flags#record} declared for it (nested records first;
     * derived components receive null). The record's own checks throw {@link UsageException}s naming the flag.
     */
    public <R extends Record> R record(Class<R> type) {
      RecordComponent[] components = type.getRecordComponents();
      Object[] args = new Object[components.length];
      for (int i = 0; i < components.length; i++) {
        RecordComponent c = components[i];
        Flag flag = c.getAnnotation(Flag.class);
        if (flag != null) {
          String name = flagName(c, flag);
          String value = flag.required() ? required(name) : text(name);
          if (value != null && flag.choices().length > 0 && !isChoice(flag.choices(), value)) {
            throw new UsageException("--" + name + " must be one of " + String.join(", ", flag.choices()) + ", got '"
                + value + "'");
          }
          args[i] = convert(c.getType(), name, value);
        } else if (declaresFlags(c.getType())) {
          args[i] = record(c.getType().asSubclass(Record.class));
        }
      }
      try {
        Constructor<R> canonical = type.getDeclaredConstructor(
            Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
        canonical.setAccessible(true);
        return canonical.newInstance(args);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IllegalStateException(type.getSimpleName() + ": " + e.getCause(), e.getCause());
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot build " + type.getSimpleName() + " from flags: " + e, e);
      }
    }

    private Object convert(Class<?> type, String name, String value) {
      if (value == null) {
        return null;
      }
      String v = value.trim();
      if (type == int.class || type == Integer.class) {
        return intValue(name);
      }
      if (type == long.class || type == Long.class) {
        return Long.parseLong(v);
      }
      if (type == double.class || type == Double.class) {
        return Double.parseDouble(v);
      }
      if (type == boolean.class || type == Boolean.class) {
        return Boolean.parseBoolean(v);
      }
      if (type == Path.class) {
        return v.isEmpty() ? null : Path.of(v);
      }
      if (type == List.class) {
        return Arrays.stream(v.split(",")).map(String::strip).filter(word -> !word.isEmpty()).toList();
      }
      Method parse = parser(type);
      if (parse != null) {
        return parsed(parse, name, v);
      }
      if (type.isEnum()) {
        return enumValue(type, name, v);
      }
      return value;
    }

    /** The value as the type's own {@code parse(String)} reads it; what it refuses is a usage error. */
    private static Object parsed(Method parse, String name, String value) {
      try {
        parse.setAccessible(true); // a job's own value type may be package-private
        return parse.invoke(null, value);
      } catch (InvocationTargetException e) {
        throw new UsageException("--" + name + ": " + e.getCause().getMessage());
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(parse + " is not accessible", e);
      }
    }

    /** An enum constant by its lower-case name. */
    private static Object enumValue(Class<?> type, String name, String value) {
      for (Object constant : type.getEnumConstants()) {
        if (spelling((Enum<?>) constant).equalsIgnoreCase(value)) {
          return constant;
        }
      }
      throw new UsageException("--" + name + " must be one of " + Arrays.stream(type.getEnumConstants())
          .map(e -> spelling((Enum<?>) e)).collect(Collectors.joining(", ")) + ", got '" + value + "'");
    }

    private void known(String name) {
      if (!values.containsKey(name)) {
        throw new IllegalStateException(job + " reads undeclared flag --" + name);
      }
    }
  }
}
