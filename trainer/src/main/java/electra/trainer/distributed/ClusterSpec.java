package electra.trainer.distributed;

import electra.cli.UsageException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The workers of a data-parallel run ({@code host:port} of each task's TensorFlow gRPC server, in task order) and
 * which of them this process is. Task 0 is the chief: it writes checkpoints and logs.
 *
 * <p>Resolved from, in this order: {@code --workers}/{@code --task_index}; {@code ELECTRA_WORKERS} /
 * {@code ELECTRA_TASK_INDEX}; Slurm ({@code SLURM_JOB_NODELIST}, {@code SLURM_TASKS_PER_NODE}, {@code SLURM_PROCID},
 * one worker per task, port {@code ELECTRA_PORT} (default 2222) + {@code SLURM_LOCALID} on each node). The task
 * index may also come from a Kubernetes indexed Job ({@code JOB_COMPLETION_INDEX}) or {@code SLURM_PROCID}.
 */
public record ClusterSpec(List<String> workers, int taskIndex) {

  public static final int DEFAULT_PORT = 2222;
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._\\-]+:\\d{1,5}|\\[[0-9A-Fa-f:.]+\\]:\\d{1,5}");

  public ClusterSpec {
    workers = List.copyOf(workers);
    if (workers.isEmpty()) {
      throw new UsageException("--workers needs at least one host:port");
    }
    Set<String> seen = new HashSet<>();
    for (String w : workers) {
      if (!ADDRESS.matcher(w).matches()) {
        throw new UsageException("--workers: '" + w + "' is not host:port");
      }
      int port = Integer.parseInt(w.substring(w.lastIndexOf(':') + 1));
      if (port < 1 || port > 65535) {
        throw new UsageException("--workers: port of '" + w + "' must be in 1..65535");
      }
      if (!seen.add(w)) {
        throw new UsageException("--workers lists " + w + " twice");
      }
    }
    if (taskIndex < 0 || taskIndex >= workers.size()) {
      throw new UsageException("--task_index must be in 0.." + (workers.size() - 1) + " for " + workers.size()
          + " workers, got " + taskIndex);
    }
  }

  /** One process, no cluster. */
  public static ClusterSpec single() {
    return new ClusterSpec(List.of("localhost:" + DEFAULT_PORT), 0);
  }

  public int size() {
    return workers.size();
  }

  public boolean isChief() {
    return taskIndex == 0;
  }

  public boolean distributed() {
    return workers.size() > 1;
  }

  /** {@code host:port} of this task's server. */
  public String self() {
    return workers.get(taskIndex);
  }

  /**
   * @param workersFlag {@code --workers} (null or blank: not given)
   * @param taskFlag {@code --task_index} (negative: not given)
   * @param env the process environment
   */
  public static ClusterSpec resolve(String workersFlag, long taskFlag, Map<String, String> env) {
    List<String> workers = null;
    String source;
    if (workersFlag != null && !workersFlag.isBlank()) {
      workers = split(workersFlag);
      source = "--workers";
    } else if (nonBlank(env.get("ELECTRA_WORKERS"))) {
      workers = split(env.get("ELECTRA_WORKERS"));
      source = "ELECTRA_WORKERS";
    } else if (nonBlank(env.get("SLURM_PROCID")) && nonBlank(nodeList(env))) {
      workers = slurmWorkers(env);
      source = "Slurm";
    } else {
      source = null;
    }
    if (workers == null) {
      if (taskFlag > 0) {
        throw new UsageException("--task_index " + taskFlag + " needs --workers (or ELECTRA_WORKERS)");
      }
      return single();
    }
    Integer task = taskFlag >= 0 ? Integer.valueOf(Math.toIntExact(taskFlag)) : null;
    for (String var : List.of("ELECTRA_TASK_INDEX", "JOB_COMPLETION_INDEX", "SLURM_PROCID")) {
      if (task == null && nonBlank(env.get(var))) {
        try {
          task = Integer.parseInt(env.get(var).trim());
        } catch (NumberFormatException e) {
          throw new UsageException(var + " must be an integer, got '" + env.get(var) + "'");
        }
      }
    }
    if (task == null) {
      if (workers.size() == 1) {
        task = 0;
      } else {
        throw new UsageException(source + " lists " + workers.size() + " workers but no --task_index (nor "
            + "ELECTRA_TASK_INDEX, JOB_COMPLETION_INDEX or SLURM_PROCID) says which one this process is");
      }
    }
    return new ClusterSpec(workers, task);
  }

  private static List<String> split(String list) {
    List<String> out = new ArrayList<>();
    for (String s : list.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  private static boolean nonBlank(String s) {
    return s != null && !s.isBlank();
  }

  private static String nodeList(Map<String, String> env) {
    String s = env.get("SLURM_JOB_NODELIST");
    return nonBlank(s) ? s : env.get("SLURM_NODELIST");
  }

  /** One worker per Slurm task: node i of the allocation runs tasks with ports base, base+1, ... */
  static List<String> slurmWorkers(Map<String, String> env) {
    List<String> nodes = expandHostlist(nodeList(env));
    int base = DEFAULT_PORT;
    if (nonBlank(env.get("ELECTRA_PORT"))) {
      base = Integer.parseInt(env.get("ELECTRA_PORT").trim());
    }
    List<Integer> perNode = expandTasksPerNode(env.getOrDefault("SLURM_TASKS_PER_NODE", ""), nodes.size());
    if (perNode.isEmpty()) {
      int tasks = Integer.parseInt(env.getOrDefault("SLURM_NTASKS", String.valueOf(nodes.size())).trim());
      if (tasks % nodes.size() != 0) {
        throw new UsageException("SLURM_NTASKS=" + tasks + " is not a multiple of the " + nodes.size() + " nodes; "
            + "set SLURM_TASKS_PER_NODE or ELECTRA_WORKERS");
      }
      for (int i = 0; i < nodes.size(); i++) {
        perNode.add(tasks / nodes.size());
      }
    }
    List<String> workers = new ArrayList<>();
    for (int n = 0; n < nodes.size(); n++) {
      for (int local = 0; local < perNode.get(n); local++) {
        workers.add(nodes.get(n) + ":" + (base + local));
      }
    }
    String ntasks = env.get("SLURM_NTASKS");
    if (nonBlank(ntasks) && Integer.parseInt(ntasks.trim()) != workers.size()) {
      throw new UsageException("SLURM_NTASKS=" + ntasks + " but the node list and SLURM_TASKS_PER_NODE give "
          + workers.size() + " tasks");
    }
    return workers;
  }

  /** Slurm's {@code 8(x2),4}: counts per node, expanded to {@code nodes} entries (empty when not given). */
  static List<Integer> expandTasksPerNode(String spec, int nodes) {
    List<Integer> out = new ArrayList<>();
    if (spec == null || spec.isBlank()) {
      return out;
    }
    Matcher m = Pattern.compile("(\\d+)(?:\\(x(\\d+)\\))?").matcher("");
    for (String part : spec.split(",")) {
      if (!m.reset(part.trim()).matches()) {
        throw new UsageException("SLURM_TASKS_PER_NODE: cannot read '" + spec + "'");
      }
      int repeat = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
      for (int i = 0; i < repeat; i++) {
        out.add(Integer.parseInt(m.group(1)));
      }
    }
    if (out.size() != nodes) {
      throw new UsageException("SLURM_TASKS_PER_NODE '" + spec + "' covers " + out.size() + " nodes, the node list "
          + nodes);
    }
    return out;
  }

  /** Slurm hostlist syntax: {@code gpu[01-03,07],login1} gives gpu01, gpu02, gpu03, gpu07, login1. */
  public static List<String> expandHostlist(String hostlist) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    int start = 0;
    for (int i = 0; i <= hostlist.length(); i++) {
      char ch = i < hostlist.length() ? hostlist.charAt(i) : ',';
      if (ch == '[') {
        depth++;
      } else if (ch == ']') {
        depth--;
      } else if (ch == ',' && depth == 0) {
        String item = hostlist.substring(start, i).trim();
        if (!item.isEmpty()) {
          expandOne(item, out);
        }
        start = i + 1;
      }
    }
    if (depth != 0 || out.isEmpty()) {
      throw new UsageException("cannot read the Slurm node list '" + hostlist + "'");
    }
    return out;
  }

  private static void expandOne(String item, List<String> out) {
    int open = item.indexOf('[');
    if (open < 0) {
      out.add(item);
      return;
    }
    int close = item.indexOf(']', open);
    String prefix = item.substring(0, open);
    List<String> rest = new ArrayList<>();
    expandOne(item.substring(close + 1), rest);
    for (String range : item.substring(open + 1, close).split(",")) {
      String[] ends = range.split("-");
      long lo = Long.parseLong(ends[0]);
      long hi = ends.length > 1 ? Long.parseLong(ends[1]) : lo;
      int width = ends[0].length();
      for (long v = lo; v <= hi; v++) {
        String num = String.format("%0" + width + "d", v);
        for (String suffix : rest) {
          out.add(prefix + num + suffix);
        }
      }
    }
  }
}
