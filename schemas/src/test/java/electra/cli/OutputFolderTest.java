package electra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output-folder rule on local folders; every job's use of it is checked in the tests module. */
class OutputFolderTest {

  private static final Overwrite KEEP = new Overwrite(false);
  private static final Overwrite REPLACE = new Overwrite(true);
  private static final OutputFolder.Claim INGEST = new OutputFolder.Claim("IngestText", "--input=a", false, "");
  private static final OutputFolder.Claim WATCH = new OutputFolder.Claim("IngestText", "--watch --input=a", true, "");
  private static final OutputFolder.Claim PRETRAIN =
      new OutputFolder.Claim("Pretrain", "", false, "--restore_checkpoint=latest");

  @TempDir
  Path dir;

  @Test
  void aNewFolderIsMarkedAsTheJobsAndAFolderHoldingOnlyAMarkerCountsAsEmpty() throws IOException {
    Path out = dir.resolve("a/b");
    OutputFolder.claim(out, INGEST, KEEP);
    assertEquals(List.of(OutputFolder.MARKER), names(out));
    assertTrue(Files.readString(out.resolve(OutputFolder.MARKER)).contains("\"job\":\"IngestText\""));

    OutputFolder.claim(out, OutputFolder.Claim.newOutput("ExportModel"), KEEP);
    assertTrue(Files.readString(out.resolve(OutputFolder.MARKER)).contains("\"job\":\"ExportModel\""));
  }

  @Test
  void anotherJobsOutputIsRefusedInOneLineNamingOverwriteAndLeftAlone() throws IOException {
    Path out = written(INGEST, "shards.tfrecord");
    UsageException refused = assertThrows(UsageException.class,
        () -> OutputFolder.claim(out, OutputFolder.Claim.newOutput("PrepareSquad"), KEEP));
    assertEquals(out + " holds IngestText's output; --overwrite replaces it (deletes it first), or choose another "
        + "folder", refused.getMessage());
    assertEquals(List.of(OutputFolder.MARKER, "shards.tfrecord"), names(out));
  }

  @Test
  void anEarlierRunsOutputIsRefusedUnlessThisRunContinuesTheSameWork() throws IOException {
    Path run = written(PRETRAIN, "ckpt-000100");
    assertEquals(run + " holds an earlier Pretrain run's output (--restore_checkpoint=latest continues it); "
        + "--overwrite replaces it (deletes it first), or choose another folder",
        assertThrows(UsageException.class, () -> OutputFolder.claim(run, PRETRAIN, KEEP)).getMessage());
    OutputFolder.claim(run, new OutputFolder.Claim("Pretrain", "", true, ""), KEEP);
    assertEquals(List.of(OutputFolder.MARKER, "ckpt-000100"), names(run));

    Path shards = written(WATCH, "phase1");
    OutputFolder.claim(shards, WATCH, KEEP);
    String other = assertThrows(UsageException.class, () -> OutputFolder.claim(shards,
        new OutputFolder.Claim("IngestText", "--watch --input=b", true, ""), KEEP)).getMessage();
    assertEquals(shards + " holds the output of other IngestText work (--watch --input=a; this run: --watch "
        + "--input=b); --overwrite replaces it (deletes it first), or choose another folder", other);
  }

  @Test
  void overwriteDeletesWhatTheFolderHoldsAndNothingElse() throws IOException {
    Path out = written(INGEST, "phase1/train/shard");
    Path outside = Files.writeString(dir.resolve("outside.txt"), "keep");
    Files.createSymbolicLink(out.resolve("link"), outside);
    Files.createSymbolicLink(out.resolve("dir-link"), dir);

    OutputFolder.claim(out, OutputFolder.Claim.newOutput("PrepareSquad"), REPLACE);

    assertEquals(List.of(OutputFolder.MARKER), names(out));
    assertTrue(Files.readString(out.resolve(OutputFolder.MARKER)).contains("PrepareSquad"));
    assertEquals("keep", Files.readString(outside));
    assertTrue(Files.isDirectory(out), "the folder itself stays");
  }

  @Test
  void aFolderNoJobMarkedIsNeverDeletedAndOnlyAContinuingRunWritesIntoIt() throws IOException {
    Path mine = Files.createDirectories(dir.resolve("mine"));
    Files.writeString(mine.resolve("notes.txt"), "mine");

    String fresh = assertThrows(UsageException.class, () -> OutputFolder.claim(mine, INGEST, KEEP)).getMessage();
    assertEquals(mine + " is not empty and holds no job's output (no .electra-output.json): choose a new or empty "
        + "folder (--overwrite replaces only a job's output)", fresh);
    String replace = assertThrows(UsageException.class, () -> OutputFolder.claim(mine, INGEST, REPLACE))
        .getMessage();
    assertTrue(replace.startsWith("--overwrite replaces only a job's output"), replace);

    OutputFolder.claim(mine, WATCH, KEEP); // output from before markers: continued as it is, not marked
    assertEquals(List.of("notes.txt"), names(mine));
  }

  @Test
  void overwriteNeverEmptiesTheHomeFolderOrAFolderAboveIt() throws IOException {
    Path above = written(INGEST, "home/user/file");
    String home = System.getProperty("user.home");
    System.setProperty("user.home", above.resolve("home/user").toString());
    try {
      assertEquals("--overwrite will not empty " + above + ": it is the home folder or above it",
          assertThrows(UsageException.class, () -> OutputFolder.claim(above, INGEST, REPLACE)).getMessage());
      assertTrue(Files.isRegularFile(above.resolve("home/user/file")));
    } finally {
      System.setProperty("user.home", home);
    }
  }

  @Test
  void aFileIsNotAFolder() throws IOException {
    Path file = Files.writeString(dir.resolve("file"), "x");
    assertEquals(file + " is a file, not a folder",
        assertThrows(UsageException.class, () -> OutputFolder.claim(file, INGEST, KEEP)).getMessage());
  }

  /** A folder {@code claim} marked, holding the file {@code relative} besides. */
  private Path written(OutputFolder.Claim claim, String relative) throws IOException {
    Path out = dir.resolve(claim.job() + "-" + relative.replace('/', '-'));
    OutputFolder.claim(out, claim, KEEP);
    Path file = out.resolve(relative);
    Files.createDirectories(file.getParent());
    Files.writeString(file, "output");
    return out;
  }

  private static List<String> names(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
