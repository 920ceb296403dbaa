package electra.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.Flags;
import electra.cli.Job;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainTest {

  /** A job registered only on the test class path: adds two integers, or fails on request. */
  public static final class Sum implements Job {
    static long lastResult;

    @Override
    public String name() {
      return "Sum";
    }

    @Override
    public String description() {
      return "adds two integers (test job)";
    }

    @Override
    public void run(String[] args) {
      Flags.Values v = Flags.forJob("Sum", "adds --a and --b")
          .integer("a", 1, "first addend")
          .integer("b", 2, "second addend")
          .bool("explode", false, "fail with an unexpected error")
          .example("./electra Sum --a=3 --b=4")
          .parse(args);
      if (v.bool("explode")) {
        throw new IllegalStateException("boom");
      }
      lastResult = v.integer("a") + v.integer("b");
    }
  }

  private record Outcome(int status, String out, String err) {}

  private static Outcome run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void runsAJobByNameWithItsFlags() {
    Outcome o = run("Sum", "--a=40", "--b", "2");
    assertEquals(0, o.status());
    assertEquals(42, Sum.lastResult);
    assertEquals(0, run("Sum").status());
    assertEquals(3, Sum.lastResult, "defaults 1 + 2");
  }

  @Test
  void unknownJobListsEveryJobWithItsDescription() {
    Outcome o = run("NoSuchJob");
    assertEquals(2, o.status());
    assertTrue(o.err().contains("unknown job 'NoSuchJob'"), o.err());
    assertTrue(o.err().contains("Sum") && o.err().contains("adds two integers (test job)"), o.err());
    for (String name : Main.jobs().keySet()) {
      assertTrue(o.err().contains("  " + name + " "), "job list lacks " + name);
    }
  }

  @Test
  void noJobNameListsTheJobsAndSucceeds() {
    Outcome o = run();
    assertEquals(0, o.status());
    assertTrue(o.out().contains("  Sum ") && o.out().startsWith("Usage: ./electra NAME"), o.out());
  }

  @Test
  void aMistypedJobNameGetsTheNearestNames() {
    List<String> names = List.of("Pretrain", "Postprocess", "FinetuneSquad", "EvalSquad", "IngestWiki",
        "IngestBooks", "IngestText");
    assertEquals(List.of("Pretrain"), Main.closest("Pretrian", names));
    assertEquals(List.of("Pretrain"), Main.closest("pretrain", names));
    assertEquals(List.of("FinetuneSquad"), Main.closest("finetune", names));
    assertEquals(List.of("IngestWiki", "IngestBooks", "IngestText"), Main.closest("Ingest", names));
    assertEquals(List.of(), Main.closest("Serve", names));
    Outcome o = run("Summ");
    assertEquals(2, o.status());
    assertTrue(o.err().startsWith("electra: unknown job 'Summ'; did you mean Sum?"), o.err());
  }

  @Test
  void helpPrintsFlagsWithDefaultsAndExamples() {
    Outcome o = run("Sum", "--help");
    assertEquals(0, o.status());
    assertTrue(o.out().contains("--a") && o.out().contains("(default: 1)"), o.out());
    assertTrue(o.out().contains("./electra Sum --a=3 --b=4"), o.out());
  }

  @Test
  void badFlagsGiveOneLineAndStatusTwo() {
    for (String[] args : new String[][] {{"Sum", "--c=1"}, {"Sum", "--a=x"}, {"Sum", "positional"}, {"Sum", "--a"}}) {
      Outcome o = run(args);
      assertEquals(2, o.status(), String.join(" ", args));
      assertEquals(1, o.err().strip().lines().count(), "expected one line, got: " + o.err());
      assertFalse(o.err().contains("\tat "), "no stack trace: " + o.err());
    }
    assertTrue(run("Sum", "--a=x").err().contains("--a must be an integer, got 'x'"));
  }

  @Test
  void unexpectedFailureExitsWithOne() {
    Outcome o = run("Sum", "--explode");
    assertEquals(1, o.status());
    assertTrue(o.err().startsWith("Sum failed: java.lang.IllegalStateException: boom"), o.err());
  }
}
