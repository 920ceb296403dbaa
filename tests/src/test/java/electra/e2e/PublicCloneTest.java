package electra.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import electra.data.FileServer;
import electra.data.SampleFile;
import electra.serving.QaMessages;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A public clone: the repository's tracked files ({@code git ls-files}) copied to a folder with no {@code ../shared}
 * beside it, and {@code QuickStart} run there end to end with every sample file downloaded through
 * {@code ELECTRA_MIRROR} from a mirror on a loopback port, built from {@code ../shared} the way an air-gapped site
 * would fill one. Then {@code IngestWiki} with no arguments, as {@code ./electra IngestWiki} runs it there.
 *
 * <p>The jobs run in a child JVM on this build's class path, with the copy as working directory, as {@code ./electra}
 * starts them: the copy's own {@code ./electra} would first build the copy with Maven, minutes that test the build
 * rather than the clone (docs/check-commands.sh does that).
 */
class PublicCloneTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir",
      ROOT.resolve("../shared").toString())).toAbsolutePath().normalize();
  private static final long TIMEOUT_S = 600;

  @TempDir
  Path temp;

  @Test
  void quickStartRunsInACloneWithoutSharedThroughAMirror() throws Exception {
    assumeTrue(Files.isDirectory(SHARED.resolve("data")), "skipped: the reference data folder " + SHARED
        + " (../shared beside the checkout, or -Delectra.shared.dir) is absent; the mirror is built from it");
    Path clone = copyOfTrackedFiles(temp.resolve("public/electra"));
    assertFalse(Files.exists(clone.resolveSibling("shared")));
    Path home = temp.resolve("electra-home");

    try (FileServer mirror = mirrorOfTheSamples()) {
      Run quickStart = electra(clone, mirror, home, "QuickStart", "--pretrain_steps=20", "--finetune_examples=24",
          "--questions=2");
      assertEquals(0, quickStart.status(), quickStart.output());
      for (SampleFile sample : SampleFile.values()) {
        assertEquals(1, mirror.requests(onMirror(sample)).size(), sample + " fetched once: " + mirror.requests());
        assertTrue(quickStart.output().contains(" " + home.resolve(sample.cachePath())
            + " (downloaded just now and verified against its published SHA-256)"), quickStart.output());
      }
      try (Stream<Path> cached = Files.walk(home)) {
        assertEquals(Stream.of(SampleFile.values()).map(s -> home.resolve(s.cachePath())).sorted().toList(),
            cached.filter(Files::isRegularFile).sorted().toList(), "the verified files and nothing half-written");
      }
      Map<String, String> answers = new TreeMap<>();
      for (String line : Files.readAllLines(clone.resolve("runs/quickstart/answers.jsonl"), StandardCharsets.UTF_8)) {
        JsonNode answer = QaMessages.read(line);
        answers.put(answer.get("id").asText(), answer.get("answer").asText());
      }
      assertEquals(3, answers.size(), "two SQuAD questions and Harry's: " + answers);
      assertTrue(answers.values().stream().noneMatch(String::isBlank), answers.toString());
      assertTrue(quickStart.output().contains("QuickStart: done in"), quickStart.output());

      Run ingest = electra(clone, mirror, home, "IngestWiki");
      assertEquals(0, ingest.status(), ingest.output());
      assertTrue(ingest.output().contains("IngestWiki: no --input and no dump from DownloadWiki under data/download/:"
          + " reading the Wikipedia sample " + home.resolve(SampleFile.WIKIPEDIA_SAMPLE.cachePath()) + " (cached by"
          + " an earlier download"), ingest.output());
      assertTrue(Files.isRegularFile(clone.resolve("runs/wiki/phase1/train/manifest.json")), ingest.output());
      assertEquals(1, mirror.requests(onMirror(SampleFile.WIKIPEDIA_SAMPLE)).size(), "the second time from cache");
    }
  }

  /** What {@code git ls-files} lists, copied under {@code clone}, with an empty {@code .git} as a clone has. */
  private static Path copyOfTrackedFiles(Path clone) throws Exception {
    Process git = new ProcessBuilder("git", "-C", ROOT.toString(), "ls-files", "-z").start();
    byte[] listing = git.getInputStream().readAllBytes();
    assumeTrue(git.waitFor() == 0, "skipped: git ls-files failed in " + ROOT + " (not a git checkout?)");
    for (String file : new String(listing, StandardCharsets.UTF_8).split("\0")) {
      Path source = ROOT.resolve(file);
      if (!file.isEmpty() && Files.isRegularFile(source)) {
        Path target = clone.resolve(file);
        Files.createDirectories(target.getParent());
        Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    // A clone's .git stops the search for a checkout's ../shared here; beside this one there is none.
    Files.createDirectories(clone.resolve(".git"));
    return clone;
  }

  /** A mirror that keeps each public host's paths under its name, holding the reference data's copies. */
  private static FileServer mirrorOfTheSamples() throws IOException {
    FileServer mirror = new FileServer();
    for (SampleFile sample : SampleFile.values()) {
      Path copy = SHARED.resolve("data").resolve(sample.sharedPath());
      byte[] published;
      try (InputStream in = copy.toString().endsWith(".gz")
          ? new GZIPInputStream(Files.newInputStream(copy)) : Files.newInputStream(copy)) {
        published = in.readAllBytes();
      }
      mirror.serve(onMirror(sample), published);
    }
    return mirror;
  }

  private static String onMirror(SampleFile sample) {
    return "/" + sample.url().getHost() + sample.url().getPath();
  }

  private record Run(int status, String output) {}

  /** {@code ./electra ARGS} in {@code clone}: the launcher in its own JVM, on this build's class path. */
  private Run electra(Path clone, FileServer mirror, Path home, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "electra.launcher.Main"));
    command.addAll(List.of(args));
    Path log = Files.createTempFile(temp, args[0], ".log");
    ProcessBuilder builder = new ProcessBuilder(command).directory(clone.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().put("ELECTRA_MIRROR", mirror.base());
    builder.environment().put("ELECTRA_HOME", home.toString());
    builder.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    Process process = builder.start();
    if (!process.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor();
      fail(args[0] + " still running after " + TIMEOUT_S + " s:\n" + Files.readString(log));
    }
    String output = Files.readString(log);
    System.out.print(output);
    return new Run(process.exitValue(), output);
  }
}
