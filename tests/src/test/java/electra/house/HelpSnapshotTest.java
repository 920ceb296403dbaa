package electra.house;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.Job;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every job's {@code --help}, as users read it, against the copy kept in {@code src/test/resources/help/}: a flag
 * renamed, dropped or given another default shows up here as a reviewed change. After an intended change, the new
 * texts are in {@code target/help-actual/}; copy them over the kept ones.
 */
class HelpSnapshotTest {

  private static final Path KEPT = Path.of("src/test/resources/help");
  private static final Path ACTUAL = Path.of("target/help-actual");

  @Test
  void everyJobsHelpIsTheReviewedOne() throws IOException {
    Files.createDirectories(ACTUAL);
    List<String> changed = new ArrayList<>();
    Set<String> jobs = new TreeSet<>();
    for (Job job : ServiceLoader.load(Job.class)) {
      jobs.add(job.name());
      String help = assertThrows(HelpRequested.class, () -> job.run(new String[] {"--help"}),
          job.name() + " --help").getMessage();
      assertTrue(help.startsWith(job.name() + ": "), job.name() + "'s help starts with its name: " + help);
      String examples = help.substring(Math.max(0, help.indexOf("\nExamples:\n")));
      assertTrue(examples.contains("./electra " + job.name()), job.name() + "'s help shows runnable examples");
      Files.writeString(ACTUAL.resolve(job.name() + ".txt"), help, StandardCharsets.UTF_8);
      Path kept = KEPT.resolve(job.name() + ".txt");
      if (!Files.isRegularFile(kept) || !Files.readString(kept, StandardCharsets.UTF_8).equals(help)) {
        changed.add(job.name());
      }
    }
    Set<String> keptJobs = new TreeSet<>();
    try (Stream<Path> files = Files.list(KEPT)) {
      files.forEach(f -> keptJobs.add(f.getFileName().toString().replaceFirst("\\.txt$", "")));
    }
    assertEquals(jobs, keptJobs, "a kept help text for each job and no other");
    Set<String> listed = new TreeSet<>();
    Files.readAllLines(Path.of("../docs/jobs.md")).stream().filter(l -> l.startsWith("| `"))
        .forEach(l -> listed.add(l.substring(3, l.indexOf('`', 3))));
    assertEquals(jobs, listed, "docs/jobs.md says what each job does, and only of jobs there are");
    assertEquals(List.of(), changed, "--help changed; compare " + ACTUAL.toAbsolutePath() + " with " + KEPT
        + " and copy the new texts over if the change is intended");
  }
}
