package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of LocalFlink's own JVM, which runs no shutdown hook: the JobManager and TaskManager JVMs it started
 * halt by themselves (their standard input, a pipe from LocalFlink, ends: electra.infra.flink.ExitWithParent) instead
 * of running on as orphans. LocalFlink is killed as soon as Flink's entry point runs in each of them, not once the
 * cluster is ready: that is all this needs, and it keeps the test to seconds (ServeQaOnLocalFlinkTest runs a ready
 * cluster, and its SIGTERM).
 */
class LocalFlinkKilledTest {

  /** How long each JVM may take to halt once LocalFlink is gone. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir
  Path tmp;

  @Test
  void itsJobManagerAndTaskManagersEndWithIt() throws Exception {
    Map<Long, Path> logs = new LinkedHashMap<>();
    // Its work folder (logs, checkpoints), which no shutdown hook deletes after kill -9, goes to this test's folder.
    try (JobProcess flink = JobProcess.start(List.of("-Djava.io.tmpdir=" + tmp), "LocalFlink", "--taskmanagers=1",
        "--rest_port=0")) {
      for (String node : List.of("JobManager", "TaskManager 1")) {
        Matcher started = flink.await(Pattern.compile(node + " started: pid (\\d+), log (\\S+)"));
        logs.put(Long.parseLong(started.group(1)), Path.of(started.group(2)));
      }
      try {
        for (Path log : logs.values()) {
          awaitFlinkRunning(log, flink);
        }
        flink.process.toHandle().destroyForcibly();
        assertTrue(flink.process.waitFor(30, TimeUnit.SECONDS), "SIGKILL ends LocalFlink");
        assertEquals(128 + 9, flink.process.exitValue());
        long killedAt = System.nanoTime();

        StringBuilder times = new StringBuilder();
        for (Map.Entry<Long, Path> child : logs.entrySet()) {
          long pid = child.getKey();
          while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            assertTrue(System.nanoTime() - killedAt < BOUND.toNanos(), "pid " + pid + " still runs "
                + BOUND.toSeconds() + " s after LocalFlink was killed; its log " + child.getValue() + ":\n"
                + Files.readString(child.getValue()));
            Thread.sleep(50);
          }
          times.append(String.format(Locale.ROOT, " pid %d %.2f s;", pid, (System.nanoTime() - killedAt) / 1e9));
          String log = Files.readString(child.getValue());
          assertTrue(log.contains("ExitWithParent: standard input closed"), "pid " + pid + " halted because "
              + "LocalFlink was gone, its log says:\n" + log);
        }
        System.out.println("LocalFlinkKilledTest: gone after LocalFlink's kill -9:" + times + " load average "
            + java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
      } finally {
        // A failed run leaves no orphans behind either.
        logs.keySet().forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
      }
    }
  }

  /** Waits until Flink's entry point has logged in {@code log}: LocalFlink is then killed with Flink running there. */
  private static void awaitFlinkRunning(Path log, JobProcess flink) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (!(Files.isRegularFile(log) && Files.readString(log).contains("org.apache.flink."))) {
      assertTrue(flink.process.isAlive(), "LocalFlink exited:\n" + flink.output());
      assertTrue(System.nanoTime() < deadline, "Flink logged nothing in " + log);
      Thread.sleep(100);
    }
  }
}
