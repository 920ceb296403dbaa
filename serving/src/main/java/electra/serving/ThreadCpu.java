package electra.serving;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where this process's CPU went between two moments, by thread name: from Linux's per-thread scheduler statistics
 * ({@code /proc/self/task/<tid>/schedstat}: time on a CPU, time runnable but waiting for one, times switched in).
 *
 * <p>Why: on a small machine the model shares its cores with everything else in the process (Flink's timers, the
 * Kafka clients, a broker started in it, the JIT compiler). A model run that takes longer inside the job than bare
 * shows here as other threads on the CPUs and as the model's threads waiting for one.
 */
final class ThreadCpu {

  private static final Path TASKS = Path.of("/proc/self/task");

  /** A thread's counters: ns on a CPU, ns runnable but waiting, times switched in. */
  record Counters(String name, long runNs, long waitNs, long switches) {}

  /** Every thread's counters at one moment, by thread id. */
  record Snapshot(Map<String, Counters> threads) {

    /** What ran between {@code this} and {@code later}, by thread name, for {@link #describe}. */
    List<Usage> until(Snapshot later) {
      Map<String, Usage> byName = new HashMap<>();
      later.threads.forEach((tid, now) -> {
        Counters before = threads.getOrDefault(tid, new Counters(now.name(), 0, 0, 0));
        Usage u = new Usage(sameKind(now.name()), now.runNs() - before.runNs(), now.waitNs() - before.waitNs(),
            now.switches() - before.switches(), 1);
        byName.merge(u.name(), u, Usage::plus);
      });
      List<Usage> out = new ArrayList<>(byName.values());
      out.sort((a, b) -> Long.compare(b.runNs(), a.runNs()));
      return out;
    }
  }

  /** The threads of one name over an interval. */
  record Usage(String name, long runNs, long waitNs, long switches, int threads) {
    Usage plus(Usage o) {
      return new Usage(name, runNs + o.runNs, waitNs + o.waitNs, switches + o.switches, threads + o.threads);
    }
  }

  private ThreadCpu() {}

  /**
   * Threads that differ only in a number are one kind ("C2 CompilerThread0" and "...1", a pool's workers); Linux
   * keeps the first 15 characters of a name.
   */
  static String sameKind(String name) {
    return name.replaceAll("[0-9]+", "#");
  }

  /** This process's threads now; empty where there is no {@code /proc/self/task} (not Linux). */
  static Optional<Snapshot> take() {
    if (!Files.isDirectory(TASKS)) {
      return Optional.empty();
    }
    Map<String, Counters> threads = new HashMap<>();
    try (Stream<Path> tasks = Files.list(TASKS)) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        read(task).ifPresent(c -> threads.put(task.getFileName().toString(), c));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + TASKS, e);
    }
    return Optional.of(new Snapshot(threads));
  }

  /** A thread that ended while it was being read has no counters. */
  private static Optional<Counters> read(Path task) {
    try {
      String[] fields = Files.readString(task.resolve("schedstat")).trim().split(" ");
      return Optional.of(new Counters(Files.readString(task.resolve("comm")).trim(), Long.parseLong(fields[0]),
          Long.parseLong(fields[1]), Long.parseLong(fields[2])));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * The {@code top} thread names by time on a CPU, per {@code per} (e.g. per request), and the total: lines of "ms on a
   * CPU, ms runnable but waiting for one, switches in (threads)"; null when either snapshot is missing.
   */
  static String describe(Optional<Snapshot> from, Optional<Snapshot> to, int per, int top) {
    if (from.isEmpty() || to.isEmpty()) {
      return null;
    }
    List<Usage> usage = from.get().until(to.get());
    StringBuilder out = new StringBuilder();
    for (Usage u : usage.subList(0, Math.min(top, usage.size()))) {
      out.append(line(u.name() + " (" + u.threads() + ")", u, per));
    }
    Usage all = usage.stream().reduce(new Usage("all", 0, 0, 0, 0), Usage::plus);
    return out.append(line("all " + usage.size() + " kinds of thread", all, per)).toString();
  }

  private static String line(String label, Usage u, int per) {
    return String.format(Locale.ROOT, "  %-34s %9.2f %9.2f %9.1f%n", label, u.runNs() / 1e6 / per,
        u.waitNs() / 1e6 / per, (double) u.switches() / per);
  }
}
