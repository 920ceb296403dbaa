package electra.launcher;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Starts a job by name: {@code ./electra NAME --flag=value ...}. Jobs register themselves in their module's
 * {@code META-INF/services/electra.cli.Job}; this class only finds, starts and reports.
 *
 * <p>Exit status: 0 done, 1 the job failed, 2 the command line was wrong (one line on stderr, no stack trace).
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Map<String, Job> jobs = jobs();
    if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
      out.print(usage(jobs));
      return args.length == 0 ? 2 : 0;
    }
    Job job = jobs.get(args[0]);
    if (job == null) {
      err.println("electra: unknown job '" + args[0] + "'");
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
      err.println(job.name() + " failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
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

  static String usage(Map<String, Job> jobs) {
    StringBuilder s = new StringBuilder("Usage: ./electra NAME [--flag=value ...]   (NAME --help lists its flags)\n")
        .append("   or: mvn exec:java -Dpipeline=NAME -Dexec.args=\"--flag=value ...\"\n\nJobs:\n");
    int width = jobs.keySet().stream().mapToInt(String::length).max().orElse(0) + 2;
    jobs.values().forEach(j -> s.append("  ").append(j.name()).append(" ".repeat(width - j.name().length()))
        .append(j.description()).append('\n'));
    return s.toString();
  }
}
