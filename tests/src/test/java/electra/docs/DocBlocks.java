package electra.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The fenced blocks of the README and the pages in {@code docs/}, read by the convention of {@code docs/README.md}:
 * a {@code ```sh} block is a command to run as written, and the HTML comment on the line before it says how it is
 * checked ({@code quick: expect=TEXT}, {@code background: ready=TEXT}, {@code skip: REASON}, or none).
 * {@code docs/check-commands.sh} reads the same convention.
 */
final class DocBlocks {

  /** The pages, in the order a reader (and {@code docs/check-commands.sh}) goes through them. */
  static final List<String> PAGE_ORDER = List.of("README.md", "docs/pretraining.md",
      "docs/squad.md", "docs/serving.md", "docs/cluster.md", "docs/benchmarks.md");

  private static final Pattern FENCE = Pattern.compile("^(\\s*)```(.*)$");
  private static final Pattern MARKER = Pattern.compile("^<!--\\s*(quick|background|skip):\\s*(.*?)\\s*-->\\s*$");

  /**
   * One fenced block.
   *
   * @param page the page, relative to the repository root
   * @param line the 1-based line of the opening fence
   * @param indent the whitespace before the opening fence
   * @param language the word after the opening fence ("" when there is none)
   * @param marker the comment's kind ("quick", "background", "skip") or null when the line before is no marker
   * @param argument what follows the kind ("expect=TEXT", "ready=TEXT", a reason), or null
   * @param text the lines between the fences, each ending in a newline
   */
  record Block(String page, int line, String indent, String language, String marker, String argument,
      String text) {

    boolean runnable() {
      return language.equals("sh");
    }

    boolean quick() {
      return "quick".equals(marker);
    }

    /** TEXT of {@code quick: expect=TEXT}, or null when the marker does not have that form. */
    String expected() {
      return quick() && argument.startsWith("expect=") && argument.length() > "expect=".length()
          ? argument.substring("expect=".length()) : null;
    }

    String where() {
      return page + ":" + line;
    }
  }

  private DocBlocks() {}

  /** The repository root: the nearest folder at or above the working directory holding {@code electra} and docs/. */
  static Path repositoryRoot() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("electra")) && Files.isDirectory(dir.resolve("docs"))
          && Files.isRegularFile(dir.resolve("README.md"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root (a folder with electra, docs/ and README.md) above "
        + Path.of("").toAbsolutePath());
  }

  /** README.md and every page in docs/: those of {@link #PAGE_ORDER} first, in that order, then the rest by name. */
  static List<String> pages(Path root) {
    List<String> pages = new ArrayList<>();
    for (String page : PAGE_ORDER) {
      if (Files.isRegularFile(root.resolve(page))) {
        pages.add(page);
      }
    }
    try (Stream<Path> files = Files.list(root.resolve("docs"))) {
      files.map(f -> "docs/" + f.getFileName()).filter(p -> p.endsWith(".md") && !pages.contains(p)).sorted()
          .forEach(pages::add);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pages;
  }

  /** Every fenced block of one page, in order. An unclosed fence is an error. */
  static List<Block> read(Path root, String page) {
    List<String> lines;
    try {
      lines = Files.readAllLines(root.resolve(page));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      String indent = open.group(1);
      String language = open.group(2).trim();
      String marker = null;
      String argument = null;
      Matcher m = i > 0 ? MARKER.matcher(lines.get(i - 1)) : null;
      if (m != null && m.matches()) {
        marker = m.group(1);
        argument = m.group(2);
      }
      StringBuilder text = new StringBuilder();
      int close = i + 1;
      while (close < lines.size() && !lines.get(close).strip().equals("```")) {
        text.append(lines.get(close)).append('\n');
        close++;
      }
      if (close == lines.size()) {
        throw new IllegalStateException(page + ":" + (i + 1) + ": the fence opened here is never closed");
      }
      blocks.add(new Block(page, i + 1, indent, language, marker, argument, text.toString()));
      i = close;
    }
    return blocks;
  }

  /** Every block of every page, in page order. */
  static List<Block> all(Path root) {
    List<Block> blocks = new ArrayList<>();
    for (String page : pages(root)) {
      blocks.addAll(read(root, page));
    }
    return blocks;
  }
}
