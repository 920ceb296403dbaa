package electra.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import electra.docs.DocBlocks.Block;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README and docs/ as a newcomer reads them: the quick commands ({@code <!-- quick: expect=TEXT -->} before a
 * {@code ```sh} block, see docs/README.md) run exactly as written and print what the comment expects, and the pages
 * keep the conventions that docs/check-commands.sh relies on for the long ones.
 *
 * <p>A quick block runs in bash from a fresh checkout-like folder in a temporary directory, with the reference data
 * beside it as {@code ../shared} (a link to {@code electra.shared.dir}) and {@code ./electra} replaced by a script
 * that starts {@code electra.launcher.Main} in a child JVM on this test's class path (the real script would rebuild
 * with Maven). The quick blocks of one page run in order in the same folder, so a later one may use what an earlier
 * one wrote.
 */
class DocsCommandsTest {

  private static final Path ROOT = DocBlocks.repositoryRoot();
  private static final Path SHARED = Path.of(System.getProperty("electra.shared.dir", ROOT.resolve("../shared").toString()));
  private static final long BLOCK_TIMEOUT_S = 120;
  private static final int README_MAX_LINES = 150;

  @TempDir
  static Path work;

  private static final Map<String, Path> CHECKOUTS = new HashMap<>();

  @Test
  void theReadmeHasAtMost150Lines() throws IOException {
    int lines = Files.readAllLines(ROOT.resolve("README.md")).size();
    assertTrue(lines <= README_MAX_LINES, "README.md has " + lines + " lines; the front door keeps to "
        + README_MAX_LINES + " (walk-throughs belong in docs/)");
  }

  @Test
  void everyFenceSaysWhatItHoldsAndEveryRunnableBlockRunsAsWritten() throws IOException {
    List<String> problems = new ArrayList<>();
    List<Block> blocks = DocBlocks.all(ROOT);
    for (Block b : blocks) {
      if (b.language().isEmpty()) {
        problems.add(b.where() + ": a fence without a language (```sh to run, ```text for output)");
      }
      if (!b.indent().isEmpty()) {
        problems.add(b.where() + ": an indented fence (docs/check-commands.sh reads fences at the line start)");
      }
      if (b.marker() != null && !b.runnable()) {
        problems.add(b.where() + ": a <!-- " + b.marker() + " --> comment before a ```" + b.language() + " block");
      }
      if (b.marker() != null && b.argument().isBlank()) {
        problems.add(b.where() + ": <!-- " + b.marker() + ": --> says nothing");
      }
      if (b.quick() && b.expected() == null) {
        problems.add(b.where() + ": a quick block needs <!-- quick: expect=TEXT -->");
      }
      if ("background".equals(b.marker()) && !b.argument().startsWith("ready=")) {
        problems.add(b.where() + ": a background block needs <!-- background: ready=TEXT -->");
      }
      if (b.quick() && b.text().contains("mvn ")) {
        problems.add(b.where() + ": a quick block runs Maven, which this test must not start from inside Maven");
      }
      if (b.runnable() && !"skip".equals(b.marker())
          && (b.text().contains("...") || b.text().contains("<") && b.text().matches("(?s).*<[A-Za-z_]+>.*"))) {
        problems.add(b.where() + ": a placeholder (... or <NAME>) in a block that is run as written");
      }
    }
    for (String page : DocBlocks.pages(ROOT)) {
      List<String> lines = Files.readAllLines(ROOT.resolve(page));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).startsWith("<!-- ") && lines.get(i).matches("<!--\\s*(quick|background|skip):.*")
            && (i + 1 == lines.size() || !lines.get(i + 1).equals("```sh"))) {
          problems.add(page + ":" + (i + 1) + ": a check comment not right before a ```sh fence");
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
    assertTrue(blocks.stream().filter(Block::quick).count() >= 5,
        "expected several quick blocks in README.md and docs/; found " + blocks.stream().filter(Block::quick).count());
  }

  @Test
  void relativeLinksPointAtFilesThatExist() throws IOException {
    Pattern link = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    List<String> broken = new ArrayList<>();
    List<String> pages = new ArrayList<>(DocBlocks.pages(ROOT));
    pages.add("ARCHITECTURE.md");
    for (String page : pages) {
      Path file = ROOT.resolve(page);
      if (!Files.isRegularFile(file)) {
        broken.add(page + " does not exist");
        continue;
      }
      Matcher m = link.matcher(Files.readString(file));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("[a-z]+:.*") || target.startsWith("#")) {
          continue;
        }
        String path = target.replaceFirst("#.*$", "");
        if (!Files.exists(file.getParent().resolve(path).normalize())) {
          broken.add(page + ": (" + target + ")");
        }
      }
    }
    assertTrue(broken.isEmpty(), "links to nothing:\n" + String.join("\n", broken));
  }

  @TestFactory
  Stream<DynamicTest> quickCommandsRunAsWrittenAndPrintWhatTheDocsSay() {
    List<Block> quick = DocBlocks.all(ROOT).stream().filter(Block::quick).toList();
    return quick.stream().map(b -> DynamicTest.dynamicTest(b.where(), () -> run(b)));
  }

  private static void run(Block block) throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(SHARED.resolve("data")),
        "skipped: the reference data folder " + SHARED.toAbsolutePath().normalize()
            + " (../shared beside the checkout, or -Delectra.shared.dir) is absent; the quick commands read it");
    Path checkout = checkoutFor(block.page());
    ProcessBuilder pb = new ProcessBuilder("bash", "-euo", "pipefail", "-c", block.text())
        .directory(checkout.toFile()).redirectErrorStream(true);
    pb.environment().put("ELECTRA_DOCS_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().put("ELECTRA_DOCS_CLASSPATH", System.getProperty("java.class.path"));
    pb.environment().put("ELECTRA_HOME", checkout.resolveSibling("electra-home").toString());
    pb.environment().putIfAbsent("TF_CPP_MIN_LOG_LEVEL", "2");
    Process process = pb.start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> copy(process.getInputStream(), output), "docs-block-output");
    reader.start();
    if (!process.waitFor(BLOCK_TIMEOUT_S, TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      reader.join(5000);
      fail(block.where() + ": still running after " + BLOCK_TIMEOUT_S + " s; a quick block must finish in seconds."
          + "\n--- block\n" + block.text() + "--- output so far\n" + output.toString(StandardCharsets.UTF_8));
    }
    reader.join(10000);
    String out = output.toString(StandardCharsets.UTF_8);
    String context = "\n--- block (" + block.where() + ")\n" + block.text() + "--- output\n" + out;
    assertEquals(0, process.exitValue(), block.where() + ": exit status" + context);
    String expected = block.expected();
    assertNotNull(expected, block.where() + ": no expect=TEXT");
    assertTrue(out.contains(expected), block.where() + ": the output lacks \"" + expected + "\"" + context);
  }

  /**
   * A folder that looks like a fresh clone for the commands: the reference data at {@code ../shared}, an empty
   * {@code .git} (so the vocabulary is found in ../shared as in a real checkout) and an {@code electra} script that
   * starts the launcher on this test's class path. One per page, kept for that page's later blocks.
   */
  private static synchronized Path checkoutFor(String page) throws IOException {
    Path existing = CHECKOUTS.get(page);
    if (existing != null) {
      return existing;
    }
    Path base = Files.createDirectories(work.resolve(page.replace('/', '_').replace(".md", "")));
    Path checkout = Files.createDirectories(base.resolve("checkout"));
    Files.createDirectories(checkout.resolve(".git"));
    Files.createSymbolicLink(base.resolve("shared"), SHARED.toAbsolutePath().normalize());
    Path script = checkout.resolve("electra");
    Files.writeString(script, "#!/bin/sh\n# ./electra for DocsCommandsTest: the launcher on the test class path\n"
        + "exec \"$ELECTRA_DOCS_JAVA\" -cp \"$ELECTRA_DOCS_CLASSPATH\" electra.launcher.Main \"$@\"\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    CHECKOUTS.put(page, checkout);
    return checkout;
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    try (in) {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
