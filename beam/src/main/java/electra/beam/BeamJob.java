package electra.beam;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;
import software.amazon.awssdk.regions.Region;

/**
 * A job that is a Beam pipeline: flags are the options interface {@code O} ({@code @Description}, {@code @Default}),
 * {@code --help} prints them, a bad flag is one line, and the runner is the embedded Flink runner unless
 * {@code --runner} says otherwise ({@code --flink_master=host:port} sends the job to a Flink cluster).
 *
 * <p>Flags are written in snake case like every other job of this project and like the reference scripts
 * ({@code --max_seq_length_p1}); Beam's own camel-case spelling ({@code --maxSeqLengthP1}) is accepted too.
 */
public abstract class BeamJob<O extends PipelineOptions> implements Job {

  private final Class<O> optionsType;

  protected BeamJob(Class<O> optionsType) {
    this.optionsType = optionsType;
  }

  @Override
  public final void run(String[] args) throws Exception {
    run(parse(args));
  }

  /** Builds and runs the pipeline with parsed, validated options. */
  protected abstract void run(O options) throws Exception;

  /** Parses {@code --flag=value} arguments into the options interface, with this project's defaults. */
  public O parse(String... args) {
    PipelineOptionsFactory.register(optionsType);
    // Object-store flags (--endpoint, --awsRegion, --s3ClientFactoryClass, --project, ...) for s3:// and gs:// paths.
    PipelineOptionsFactory.register(S3Options.class);
    PipelineOptionsFactory.register(GcsOptions.class);
    List<String> all = new ArrayList<>();
    boolean runnerGiven = false;
    for (String arg : args) {
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new HelpRequested(help());
      }
      String camel = camelCaseFlag(arg);
      runnerGiven |= camel.startsWith("--runner=") || camel.equals("--runner");
      all.add(camel);
    }
    if (!runnerGiven) {
      all.add("--runner=FlinkRunner");
    }
    O options;
    try {
      options = PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).withValidation().as(optionsType);
    } catch (IllegalArgumentException e) {
      throw new UsageException(firstLine(e.getMessage()));
    }
    boolean regionGiven = all.stream().anyMatch(a -> a.startsWith("--awsRegion"));
    boolean usesS3 = all.stream().anyMatch(a -> a.contains("s3://"));
    if (!regionGiven && !usesS3) {
      // Registering the s3 scheme builds an S3 client, whose region lookup probes EC2 instance metadata (seconds of
      // timeouts off EC2) on every run; with no s3:// path in sight, the region is never used.
      options.as(S3Options.class).setAwsRegion(Region.US_EAST_1);
    }
    if (options.getRunner().getSimpleName().equals("FlinkRunner")) {
      FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
      // Our DoFns never mutate their inputs, so Flink may skip defensive copies between operators.
      flink.setObjectReuse(true);
      flink.setFasterCopy(true);
    }
    return options;
  }

  /** {@code --max_seq_length=5} becomes Beam's {@code --maxSeqLength=5}; other arguments pass unchanged. */
  static String camelCaseFlag(String arg) {
    if (!arg.startsWith("--")) {
      return arg;
    }
    int end = arg.indexOf('=');
    String name = arg.substring(2, end < 0 ? arg.length() : end);
    StringBuilder camel = new StringBuilder("--");
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '_' && i + 1 < name.length()) {
        camel.append(Character.toUpperCase(name.charAt(++i)));
      } else {
        camel.append(c);
      }
    }
    return camel + (end < 0 ? "" : arg.substring(end));
  }

  /**
   * This job's own flags, then the runner and object-store flags it also takes (Beam's, spelled like ours), each with
   * its description and default.
   */
  private String help() {
    Map<String, String> ours = new TreeMap<>();
    for (Method getter : optionsType.getMethods()) {
      boolean declaredHere = getter.getDeclaringClass().getName().startsWith("electra.");
      if (declaredHere && getter.isAnnotationPresent(Description.class) && getter.getParameterCount() == 0) {
        ours.put(flagName(getter), describe(getter));
      }
    }
    Map<String, String> beams = new LinkedHashMap<>();
    beams.put("runner", "FlinkRunner, or DirectRunner (Beam's test runner, one JVM) (default: FlinkRunner)");
    beams.put("flink_master", "host:port of a Flink cluster's JobManager to send the job to; [auto] or [local]: an "
        + "embedded cluster in this JVM (default: [auto])");
    for (String property : List.of("parallelism", "checkpointingInterval")) {
      Method getter = getter(FlinkPipelineOptions.class, property);
      String flag = flagName(getter);
      String ownDefault = runnerFlagDefault(flag);
      beams.put(flag, describe(getter, ownDefault != null ? ownDefault : defaultValue(getter)));
    }
    for (RecordComponent c : ShardFiles.ObjectStores.class.getRecordComponents()) {
      Flag flag = c.getAnnotation(Flag.class);
      beams.put(flag.name().isEmpty() ? Flags.snakeCase(c.getName()) : flag.name(), flag.value());
    }
    beams.put("project", "gs:// only: the Google Cloud project (default: from the application default credentials)");
    int width = Stream.concat(ours.keySet().stream(), beams.keySet().stream()).mapToInt(String::length).max()
        .orElse(0) + 6;
    StringBuilder out = new StringBuilder(name()).append(": ").append(description()).append("\n\nFlags:\n");
    ours.forEach((flag, text) -> out.append(line(flag, text, width)));
    out.append("\nRunner and object-store flags:\n");
    beams.forEach((flag, text) -> out.append(line(flag, text, width)));
    return out.append("\nExamples:\n").append(examples()).toString();
  }

  /**
   * The default this job gives one of Beam's runner flags in {@code --help} ({@code parallelism},
   * {@code checkpointing_interval}), where it sets its own instead of Beam's; null: Beam's.
   */
  protected String runnerFlagDefault(String flag) {
    return null;
  }

  private static String line(String flag, String text, int width) {
    return "  --" + flag + " ".repeat(width - flag.length()) + text + "\n";
  }

  private static String flagName(Method getter) {
    String property = getter.getName().replaceFirst("^(get|is)", "");
    return Flags.snakeCase(Character.toLowerCase(property.charAt(0)) + property.substring(1));
  }

  /** The getter's description (its first sentence, for Beam's long ones), default and whether it is required. */
  private static String describe(Method getter) {
    return describe(getter, defaultValue(getter));
  }

  private static String describe(Method getter, String defaultValue) {
    String text = getter.getAnnotation(Description.class).value().strip();
    int sentence = text.indexOf(". ");
    text = sentence < 0 ? text.replaceFirst("\\.$", "") : text.substring(0, sentence);
    return text + (defaultValue == null ? "" : " (default: " + defaultValue + ")")
        + (getter.isAnnotationPresent(Validation.Required.class) ? " [required]" : "");
  }

  private static Method getter(Class<?> options, String property) {
    String name = "get" + Character.toUpperCase(property.charAt(0)) + property.substring(1);
    try {
      return options.getMethod(name);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(options.getSimpleName() + " has no " + name + " in this Beam version", e);
    }
  }

  /** The value of whichever {@code @Default.*} annotation the getter carries, as text. */
  private static String defaultValue(Method getter) {
    for (Annotation a : getter.getAnnotations()) {
      if (a.annotationType().getEnclosingClass() == Default.class) {
        try {
          Object value = a.annotationType().getMethod("value").invoke(a);
          return value instanceof Class<?> c ? c.getSimpleName() : String.valueOf(value);
        } catch (ReflectiveOperationException e) {
          return null;
        }
      }
    }
    return null;
  }

  /** Real command lines shown at the end of {@code --help}, one per line, indented by two spaces. */
  protected abstract String examples();

  private static String firstLine(String message) {
    if (message == null) {
      return "invalid options";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
