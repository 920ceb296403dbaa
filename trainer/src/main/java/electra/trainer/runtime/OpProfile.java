package electra.trainer.runtime;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * Where traced session runs spent their time: each op type's kernel time summed over the runs, read from
 * TensorFlow's step stats ({@code RunOptions.trace_level=FULL_TRACE}). Ops on parallel threads overlap, so the sum
 * can exceed the wall time; tracing slows a run down, so read shares rather than absolute times.
 */
public final class OpProfile {

  /** One op type's share: kernel time per run and how many ops of that type one run executes. */
  public record OpTime(String op, double millisPerRun, double opsPerRun, double share) {}

  private final Map<String, long[]> microsAndCounts = new HashMap<>();
  private int runs;

  /** Run options that make the session record every op's start and end. */
  public static RunOptions tracing(RunOptions options) {
    return options.toBuilder().setTraceLevel(RunOptions.TraceLevel.FULL_TRACE).build();
  }

  /** Adds one run made with {@link #tracing(RunOptions)}. */
  public void add(RunMetadata metadata) {
    runs++;
    for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        long[] entry = microsAndCounts.computeIfAbsent(opType(node), k -> new long[2]);
        entry[0] += Math.max(0, node.getOpEndRelMicros() - node.getOpStartRelMicros());
        entry[1]++;
      }
    }
  }

  /** Runs added so far. */
  public int runs() {
    return runs;
  }

  /** Every op type, the most time first. */
  public List<OpTime> byTime() {
    long total = microsAndCounts.values().stream().mapToLong(e -> e[0]).sum();
    List<OpTime> out = new ArrayList<>();
    microsAndCounts.forEach((op, e) -> out.add(new OpTime(op, e[0] / 1000.0 / runs, (double) e[1] / runs,
        total == 0 ? 0 : (double) e[0] / total)));
    out.sort(Comparator.comparingDouble(OpTime::millisPerRun).reversed().thenComparing(OpTime::op));
    return out;
  }

  /** A Markdown table of the {@code top} op types and one row for the rest. */
  public String markdown(int top) {
    List<OpTime> all = byTime();
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "| op type (%d traced runs) | ms per run | ops per run | share |%n|---|---|---|---|%n", runs));
    double restMillis = 0;
    double restOps = 0;
    double restShare = 0;
    for (int i = 0; i < all.size(); i++) {
      OpTime t = all.get(i);
      if (i < top) {
        s.append(String.format(Locale.ROOT, "| %s | %.1f | %.0f | %.1f%% |%n", t.op(), t.millisPerRun(),
            t.opsPerRun(), 100 * t.share()));
      } else {
        restMillis += t.millisPerRun();
        restOps += t.opsPerRun();
        restShare += t.share();
      }
    }
    if (all.size() > top) {
      s.append(String.format(Locale.ROOT, "| %d other types | %.1f | %.0f | %.1f%% |%n", all.size() - top,
          restMillis, restOps, 100 * restShare));
    }
    double sum = all.stream().mapToDouble(OpTime::millisPerRun).sum();
    s.append(String.format(Locale.ROOT, "| sum of op times | %.1f | | |%n", sum));
    return s.toString();
  }

  /**
   * The op type of a traced node: its timeline label reads {@code name = Type(inputs)}; a node without one (a
   * framework-internal event) is filed under its name.
   */
  static String opType(NodeExecStats node) {
    String label = node.getTimelineLabel();
    int eq = label.indexOf(" = ");
    int paren = label.indexOf('(', eq + 3);
    if (eq < 0 || paren < 0) {
      return node.getNodeName();
    }
    return label.substring(eq + 3, paren);
  }
}
