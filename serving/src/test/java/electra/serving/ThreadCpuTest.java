package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

  @Test
  void threadsThatDifferOnlyInANumberAreOneKind() {
    assertEquals("C# CompilerThread#", ThreadCpu.sameKind("C2 CompilerThread1"));
    assertEquals("Source: ReadReq", ThreadCpu.sameKind("Source: ReadReq"));
  }

  /** A thread that spins for 300 ms tops the list with about 300 ms on a CPU; one that sleeps is barely there. */
  @Test
  void measuresEachThreadsTimeOnACpu() throws Exception {
    Optional<ThreadCpu.Snapshot> from = ThreadCpu.take();
    assumeTrue(from.isPresent(), "no /proc/self/task: not Linux");
    Thread busy = new Thread(() -> {
      long end = System.nanoTime() + 300_000_000L;
      long x = 0;
      while (System.nanoTime() < end) {
        x += System.nanoTime() % 7;
      }
      if (x == 42) {
        System.out.print("");
      }
    }, "cpu-test-spin");
    Thread idle = new Thread(() -> {
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "cpu-test-sleep");
    busy.start();
    idle.start();
    Thread.sleep(150);
    // Both are still alive when the second snapshot is taken (a thread that ended has no counters).
    Optional<ThreadCpu.Snapshot> to = ThreadCpu.take();
    busy.join();
    idle.join();
    List<ThreadCpu.Usage> usage = from.get().until(to.get());
    ThreadCpu.Usage spin = usage.stream().filter(u -> u.name().equals("cpu-test-spin")).findFirst().orElseThrow();
    ThreadCpu.Usage sleep = usage.stream().filter(u -> u.name().equals("cpu-test-sleep")).findFirst().orElseThrow();
    assertTrue(spin.runNs() > 50_000_000L && spin.runNs() < 1_000_000_000L, spin.toString());
    assertTrue(sleep.runNs() < 20_000_000L, sleep.toString());
    assertEquals(1, spin.threads());

    List<String> top = ThreadCpu.describe(from, to, 2, 1).lines().toList();
    assertEquals(2, top.size(), "one thread name and the total: " + top);
    assertTrue(top.get(1).trim().startsWith("all " + usage.size() + " kinds of thread"), top.toString());
    // Per 2: the spinning thread's ms on a CPU, halved.
    String text = ThreadCpu.describe(from, to, 2, usage.size());
    String spinLine = text.lines().filter(l -> l.contains("cpu-test-spin (1)")).findFirst().orElseThrow();
    double perTwo = Double.parseDouble(spinLine.trim().split("\\s+")[2]);
    assertEquals(spin.runNs() / 1e6 / 2, perTwo, 0.01, text);
  }

  @Test
  void describesNothingWithoutBothSnapshots() {
    assertNull(ThreadCpu.describe(Optional.empty(), ThreadCpu.take(), 1, 3));
  }
}
