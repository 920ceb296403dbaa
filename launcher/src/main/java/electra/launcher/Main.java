package electra.launcher;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Starts a job by name: {@code ./electra NAME --flag=value ...}. Jobs register themselves in their module's
 * {@code META-INF/services/electra.cli.Job}; this class only finds, starts and reports.
 *
 * <p>Exit status: 0 done (and for the job list that {@code ./electra} alone prints), 1 the job failed, 2 the command
 * line was wrong (one line on stderr, no stack trace; an unknown job name also gets the nearest names and the list).
 * A failure the user can act on ({@link Failures}) is one line too, its stack trace only with {@value #VERBOSE}
 * anywhere on the command line; an unexpected one always shows its stack trace.
 */
public final class Main {

  /** The launcher's own flag, taken out before the job sees its arguments. */
  static final String VERBOSE = "--verbose";

  /** Prints the version and the commit the build was made from, instead of a job name. */
  static final String VERSION = "--version";

  /** Written by the build (antrun in launcher/pom.xml). */
  private static final String VERSION_RESOURCE = "/electra/version.properties";

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] given, PrintStream out, PrintStream err) {
    boolean verbose = List.of(given).contains(VERBOSE);
    String[] args = Stream.of(given).filter(a -> !a.equals(VERBOSE)).toArray(String[]::new);
    Map<String, Job> jobs = jobs();
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      out.print(usage(jobs));
      return 0;
    }
    if (args[0].equals(VERSION)) {
      out.println(version());
      return 0;
    }
    Job job = jobs.get(args[0]);
    if (job == null) {
      List<String> closest = closest(args[0], jobs.keySet());
      err.println("electra: unknown job '" + args[0] + "'"
          + (closest.isEmpty() ? "" : "; did you mean " + String.join(" or ", closest) + "?"));
      err.print(usage(jobs));
      return 2;
    }
    String[] jobArgs = List.of(args).subList(1, args.length).toArray(String[]::new);
    try {
      job.run(jobArgs);
      return 0;
    } catch (HelpRequested help) {
      out.print(help.getMessage());
      return 0;
    } catch (UsageException e) {
      err.println(job.name() + ": " + e.getMessage());
      return 2;
    } catch (Exception e) {
      Optional<String> explained = Failures.explain(e);
      err.println(job.name() + " failed: " + explained.orElse(e.toString()));
      if (verbose || explained.isEmpty()) {
        e.printStackTrace(err);
      }
      return 1;
    }
  }

  /**
   * {@code electra 0.1.0 (commit 3384d82...)}, with "and uncommitted changes" when the build's working tree had
   * them; "unknown" for what a build without git, or classes compiled outside Maven, could not record.
   */
  static String version() {
    Properties build = new Properties();
    try (InputStream in = Main.class.getResourceAsStream(VERSION_RESOURCE)) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException unreadable) {
      // reported as unknown below, like a missing file
    }
    boolean dirty = Boolean.parseBoolean(build.getProperty("uncommitted_changes"));
    return "electra " + build.getProperty("version", "unknown") + " (commit " + build.getProperty("commit", "unknown")
        + (dirty ? " and uncommitted changes" : "") + ")";
  }

  static Map<String, Job> jobs() {
    Map<String, Job> byName = new TreeMap<>(Comparator.comparing((String s) -> s.toLowerCase()).thenComparing(s -> s));
    for (Job job : ServiceLoader.load(Job.class)) {
      Job previous = byName.put(job.name(), job);
      if (previous != null) {
        throw new IllegalStateException("two jobs are named " + job.name() + ": " + previous.getClass().getName()
            + " and " + job.getClass().getName());
      }
    }
    return byName;
  }

  /** The job names nearest to a mistyped one: same letters in another case, a part of it, or a few edits away. */
  static List<String> closest(String typed, Collection<String> names) {
    String t = typed.toLowerCase(Locale.ROOT);
    Map<Integer, List<String>> byDistance = new TreeMap<>();
    for (String name : names) {
      String n = name.toLowerCase(Locale.ROOT);
      int distance = n.equals(t) ? 0 : t.length() >= 3 && n.contains(t) ? 1 : editDistance(t, n);
      if (distance <= Math.max(2, t.length() / 3)) {
        byDistance.computeIfAbsent(distance, d -> new ArrayList<>()).add(name);
      }
    }
    return byDistance.values().stream().findFirst().orElse(List.of()).stream().limit(3).toList();
  }

  /** Levenshtein distance: insertions, deletions and substitutions. */
  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  static String usage(Map<String, Job> jobs) {
    StringBuilder s = new StringBuilder("Usage: ./electra NAME [--flag=value ...]   (NAME --help lists its flags)\n")
        .append("   or: mvn exec:java -Dpipeline=NAME -Dexec.args=\"--flag=value ...\"\n")
        .append("A failure is one line; ").append(VERBOSE).append(" (anywhere) adds its stack trace. ")
        .append(VERSION).append(" prints the version and commit.\n\nJobs:\n");
    int width = jobs.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
    jobs.values().forEach(j -> s.append("  ").append(j.name()).append(" ".repeat(width - j.name().length()))
        .append(j.description()).append('\n'));
    return s.toString();
  }
}
