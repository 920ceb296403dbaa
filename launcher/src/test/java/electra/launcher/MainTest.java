package electra.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.Flags;
import electra.cli.Job;
import electra.data.Checksum;
import electra.data.ChecksumMismatchException;
import electra.squad.SquadInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MainTest {

  /** A job registered only on the test class path: adds two integers, or fails on request. */
  public static final class Sum implements Job {
    /** What {@code --read=FILE} fails with when FILE is missing, wrapped as a Beam runner wraps a step's failure. */
    static final String MISSING = "/no/such/corpus.txt";
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
          .text("read", "", "fail as a job does that cannot read this file")
          .example("./electra Sum --a=3 --b=4")
          .parse(args);
      if (v.bool("explode")) {
        throw new IllegalStateException("boom");
      }
      if (!v.text("read").isEmpty()) {
        throw new RuntimeException("step ReadCorpus failed",
            new UncheckedIOException(new NoSuchFileException(v.text("read"))));
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
  void unexpectedFailureExitsWithOneAndShowsItsStackTrace() {
    Outcome o = run("Sum", "--explode");
    assertEquals(1, o.status());
    assertTrue(o.err().startsWith("Sum failed: java.lang.IllegalStateException: boom\n"), o.err());
    assertTrue(o.err().contains("\tat electra.launcher.MainTest$Sum.run("), o.err());
  }

  @Test
  void anExpectedFailureIsOneLineSayingWhatToDo() {
    Outcome o = run("Sum", "--read=" + Sum.MISSING);
    assertEquals(1, o.status());
    assertEquals("Sum failed: " + Sum.MISSING + ": no such file or folder; check the path\n", o.err());
    assertEquals("", o.out());
  }

  @Test
  void verboseAnywhereAddsTheStackTraceAndIsNotTheJobsFlag() {
    for (String[] args : new String[][] {{"--verbose", "Sum", "--read=" + Sum.MISSING},
        {"Sum", "--read=" + Sum.MISSING, "--verbose"}}) {
      Outcome o = run(args);
      assertEquals(1, o.status(), String.join(" ", args));
      List<String> lines = o.err().lines().toList();
      assertEquals("Sum failed: " + Sum.MISSING + ": no such file or folder; check the path", lines.get(0));
      assertEquals("java.lang.RuntimeException: step ReadCorpus failed", lines.get(1));
      assertTrue(o.err().contains("Caused by: java.nio.file.NoSuchFileException: " + Sum.MISSING), o.err());
    }
    assertEquals(0, run("--verbose", "Sum", "--a=2").status());
    assertEquals(4, Sum.lastResult);
    assertTrue(run("--verbose").out().startsWith("Usage: ./electra NAME"), "--verbose alone lists the jobs");
  }

  @Test
  void versionPrintsTheVersionAndTheCommitTheBuildRecorded() {
    Outcome o = run("--version");
    assertEquals(0, o.status());
    // written by the build into target/classes (antrun in launcher/pom.xml); a build without git records "unknown"
    assertTrue(o.out().matches("electra \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(commit ([0-9a-f]{40}|unknown)"
        + "( and uncommitted changes)?\\)\n"), o.out());
  }

  @Test
  void failuresOfTheWorldOutsideAreExpectedAndBugsAreNot() {
    assertEquals(Optional.of("the file from https://example.org/f has sha256 " + "0".repeat(64) + " but should have "
        + "1".repeat(64) + "; the download was deleted. Run again to retry; if it keeps happening, the server serves"
        + " a different file than the published checksum describes"),
        Failures.explain(new IllegalStateException("wrapped", new ChecksumMismatchException(
            URI.create("https://example.org/f"), Checksum.sha256("1".repeat(64)), Checksum.sha256("0".repeat(64))))));
    assertEquals(Optional.of("no Kafka broker answered at kafka:9092 within 20 s; check --bootstrap_servers"),
        Failures.explain(new ConnectException("no Kafka broker answered at kafka:9092 within 20 s; check "
            + "--bootstrap_servers")));
    assertEquals(Optional.of("runs/x -> runs/y: already exists; remove it, or choose another path"),
        Failures.explain(new FileAlreadyExistsException("runs/x", "runs/y", null)));
    assertEquals(Optional.of("vocab.txt: no such file or folder; check the path (give the path of a vocab.txt)"),
        Failures.explain(new NoSuchFileException("vocab.txt", null, "give the path of a vocab.txt")));
    assertEquals(Optional.of("unknown host huggingface.co; check the address and this machine's network"),
        Failures.explain(new UnknownHostException("huggingface.co")));
    assertEquals(Optional.of("dev.json: 'data' must be an array"),
        Failures.explain(new SquadInputException("dev.json: 'data' must be an array")));
    assertEquals(Optional.empty(), Failures.explain(new IllegalStateException("boom")));
    assertEquals(Optional.empty(), Failures.explain(new NullPointerException()));
  }
}
