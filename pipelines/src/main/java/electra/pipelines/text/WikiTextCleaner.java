package electra.pipelines.text;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Wikitext to plain paragraphs, the way WikiExtractor (attardi/wikiextractor, which NVIDIA's ELECTRA and BERT data
 * preparation runs with its defaults) makes text passages: no title, no headings, no lists, no tables, no templates,
 * no references; link labels and formatted text kept as plain words; each paragraph on one line.
 *
 * <p>Decisions, where WikiExtractor offers a choice or has a quirk:
 * <ul>
 *   <li>Templates are dropped, not expanded, as with WikiExtractor's {@code --no-templates} (NVIDIA's run expands
 *       them): expansion needs every template and Lua module of the wiki, and what expanded infoboxes, citations and
 *       navigation boxes add is mostly not running text. Inline ones ({@code {{convert|5|km}}}, {@code {{lang|..}}})
 *       leave a gap that is closed up afterwards.
 *   <li>List items ({@code *}, {@code #}, {@code :}, {@code ;} at the start of a line) are dropped, as WikiExtractor
 *       does without {@code --lists}: they are mostly link lists, "See also" and references. {@link #keepingLists()}
 *       keeps their text instead.
 *   <li>Text inside {@code <sub>}, {@code <sup>}, {@code <small>} and {@code <div>} is kept (WikiExtractor drops it,
 *       turning "H<sub>2</sub>O" into "HO"); {@code <math>} and other non-prose elements are dropped whole instead of
 *       becoming WikiExtractor's "formula_1" placeholders.
 *   <li>Consecutive lines make one paragraph, as MediaWiki renders them; WikiExtractor emits each line by itself.
 * </ul>
 *
 * <p>The passes follow MediaWiki's own order (comments, then extension tags, then templates, then tables, links and
 * formatting), each in one left-to-right scan, so time is linear in the page and malformed markup (unclosed, stray or
 * absurdly nested brackets) neither throws nor loops: unmatched openers and closers are dropped as debris.
 */
public final class WikiTextCleaner {

  /** Elements whose content is not prose (citations, formulas, galleries, scores ...): dropped with their content. */
  private static final Set<String> DROPPED_WITH_CONTENT = Set.of(
      "ref", "references", "math", "chem", "ce", "score", "timeline", "gallery", "graph", "imagemap", "hiero",
      "pre", "source", "syntaxhighlight", "templatedata", "templatestyles", "mapframe", "maplink", "inputbox",
      "categorytree", "includeonly", "indicator", "table");

  /** Tags removed while their content stays; a stray closing tag of a dropped element goes the same way. */
  private static final Set<String> STRIPPED_TAGS = union(DROPPED_WITH_CONTENT, Set.of(
      "a", "abbr", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite", "code", "data", "dd",
      "del", "dfn", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd",
      "li", "mark", "noinclude", "nowiki", "ol", "onlyinclude", "p", "poem", "q", "rb", "rp", "rt", "rtc", "ruby",
      "s", "samp", "section", "small", "span", "strike", "strong", "sub", "sup", "td", "th", "time", "tr", "tt", "u",
      "ul", "var", "wbr"));

  /** Tags that separate words ("a<br>b" reads "a b"); inline ones join ("wo<b>rd</b>" reads "word"). */
  private static final Set<String> WORD_SEPARATING_TAGS = Set.of(
      "blockquote", "br", "caption", "center", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
      "li", "ol", "p", "td", "th", "tr", "ul");

  /** Link prefixes that file the page somewhere instead of showing text (unless written {@code [[:Category:X]]}). */
  private static final Set<String> INVISIBLE_LINK_NAMESPACES = Set.of("file", "image", "category");

  /** Interlanguage link prefixes: ISO 639 codes ("de", "zh-min-nan") and Wikipedia's "simple". */
  private static final Pattern LANGUAGE_CODE = Pattern.compile("[a-z]{2,3}(?:-[a-z0-9]+)*|simple");

  /** URL schemes MediaWiki turns into external links ({@code [http://x label]}); "//" is protocol-relative. */
  private static final List<String> URL_SCHEMES = List.of(
      "http://", "https://", "ftp://", "ftps://", "sftp://", "irc://", "ircs://", "news:", "nntp://", "mailto:",
      "gopher://", "telnet://", "svn://", "git://", "mms://", "worldwind://", "//");

  /** Deeper {@code [[...]]} nesting than this is markup debris; it bounds the work per character. */
  private static final int MAX_LINK_NESTING = 16;

  private static final Pattern MAGIC_WORD = Pattern.compile("__[A-Z]+__");
  private static final Pattern WHITESPACE = Pattern.compile("\\p{IsWhite_Space}+");
  /** "( )", "(; )", "(, –)": what is left of parentheses whose templates or references were removed. */
  private static final Pattern EMPTY_PARENTHESES = Pattern.compile("\\s*\\((?:[\\s,;:]|\\p{Pd})*\\)");
  private static final Pattern SPACE_BEFORE_PUNCTUATION = Pattern.compile(" +([,;:!?)\\]]|\\.(?!\\.))");
  private static final Pattern SPACE_AFTER_OPENING_PARENTHESIS = Pattern.compile("\\( +");

  private static final String LIST_MARKERS = "*#:;";

  private final boolean keepListItems;

  private WikiTextCleaner(boolean keepListItems) {
    this.keepListItems = keepListItems;
  }

  /** WikiExtractor's defaults, as NVIDIA's ELECTRA data preparation runs it: list items dropped. */
  public static WikiTextCleaner likeWikiExtractor() {
    return new WikiTextCleaner(false);
  }

  /** Like {@link #likeWikiExtractor()} but keeping the text of list items (WikiExtractor's {@code --lists}). */
  public static WikiTextCleaner keepingLists() {
    return new WikiTextCleaner(true);
  }

  /** The plain-text paragraphs of an article's wikitext, in order; each is one line, none is blank. */
  public List<String> paragraphs(String wikitext) {
    String text = removeComments(wikitext);
    text = removeElementsWithContent(text);
    text = removeTemplates(text);
    text = removeTables(text);
    text = resolveInternalLinks(text);
    text = resolveExternalLinks(text);
    text = stripTags(text);
    text = removeBoldAndItalic(text);
    text = MAGIC_WORD.matcher(text).replaceAll("");
    return paragraphsOfLines(text);
  }

  /** Drops {@code <!-- ... -->}; an unclosed comment hides the rest of the page, as in MediaWiki. */
  static String removeComments(String s) {
    int open = s.indexOf("<!--");
    if (open < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int from = 0;
    while (open >= 0) {
      out.append(s, from, open);
      int close = s.indexOf("-->", open + 4);
      if (close < 0) {
        return out.toString();
      }
      from = close + 3;
      open = s.indexOf("<!--", from);
    }
    return out.append(s, from, s.length()).toString();
  }

  /** Drops {@code <ref>...</ref>}, {@code <ref name=x/>}, {@code <math>...</math>} and the like. */
  static String removeElementsWithContent(String s) {
    int lt = s.indexOf('<');
    if (lt < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    Map<String, Integer> unclosedFrom = new HashMap<>(); // tag name -> position after which it is never closed
    int from = 0;
    while (lt >= 0) {
      Tag tag = Tag.at(s, lt);
      if (tag == null || tag.closing() || !DROPPED_WITH_CONTENT.contains(tag.name())) {
        lt = s.indexOf('<', lt + 1);
        continue;
      }
      int end = tag.selfClosing() ? tag.end() : endOfClosingTag(s, tag.name(), tag.end(), unclosedFrom);
      out.append(s, from, lt);
      from = end < 0 ? tag.end() : end; // an element never closed loses its opening tag only
      lt = s.indexOf('<', from);
    }
    return out.append(s, from, s.length()).toString();
  }

  /** The index after {@code </name>} following {@code from}, or -1; elements of one name do not nest. */
  private static int endOfClosingTag(String s, String name, int from, Map<String, Integer> unclosedFrom) {
    if (from >= unclosedFrom.getOrDefault(name, Integer.MAX_VALUE)) {
      return -1; // an earlier search from before here found none: do not scan the rest of the page again
    }
    for (int lt = s.indexOf("</", from); lt >= 0; lt = s.indexOf("</", lt + 2)) {
      Tag tag = Tag.at(s, lt);
      if (tag != null && tag.name().equals(name)) {
        return tag.end();
      }
    }
    unclosedFrom.put(name, from);
    return -1;
  }

  /**
   * Drops templates {@code {{...}}} and parameters {@code {{{...}}}}, nested to any depth, with MediaWiki's brace
   * matching: runs of two or more braces open and close, a closing run takes three braces from an opening run that
   * has three (a parameter) and two otherwise, and a single brace is just a character ({@code {|} opens a table, not a
   * template). Braces that open or close nothing are dropped too.
   */
  static String removeTemplates(String s) {
    if (!s.contains("{{") && !s.contains("}}")) {
      return s;
    }
    int n = s.length();
    int[] dropped = new int[n + 1]; // +1 where a dropped range starts, -1 where it ends
    Deque<int[]> openRuns = new ArrayDeque<>(); // {start, braces not yet closed}
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c != '{' && c != '}') {
        i++;
        continue;
      }
      int runEnd = i;
      while (runEnd < n && s.charAt(runEnd) == c) {
        runEnd++;
      }
      int run = runEnd - i;
      if (c == '{') {
        if (run >= 2) {
          openRuns.push(new int[] {i, run});
        }
      } else {
        int left = run;
        while (left >= 2 && !openRuns.isEmpty()) {
          int[] opener = openRuns.peek();
          int used = Math.min(3, Math.min(opener[1], left));
          opener[1] -= used;
          left -= used;
          markDropped(dropped, opener[0] + opener[1], runEnd - left);
          if (opener[1] < 2) {
            openRuns.pop();
          }
        }
        if (left >= 2) {
          markDropped(dropped, runEnd - left, runEnd);
        }
      }
      i = runEnd;
    }
    for (int[] opener : openRuns) {
      markDropped(dropped, opener[0], opener[0] + opener[1]);
    }
    StringBuilder out = new StringBuilder(n);
    int depth = 0;
    for (int k = 0; k < n; k++) {
      depth += dropped[k];
      if (depth == 0) {
        out.append(s.charAt(k));
      }
    }
    return out.toString();
  }

  private static void markDropped(int[] dropped, int start, int end) {
    dropped[start]++;
    dropped[end]--;
  }

  /**
   * Drops tables: lines from one that starts with {@code {|} (after indentation) to the {@code |}} closing it, nested
   * tables included. A table never closed (its {@code |}} came from a template such as {@code {{end}}}, now gone)
   * loses only its row lines, so the prose after it survives.
   */
  static String removeTables(String s) {
    if (!s.contains("{|")) {
      return s;
    }
    String[] lines = s.split("\n", -1);
    boolean[] dropped = new boolean[lines.length];
    int depth = 0;
    int outermostStart = -1;
    for (int k = 0; k < lines.length; k++) {
      String line = withoutIndentation(lines[k]);
      if (line.startsWith("{|")) {
        if (depth++ == 0) {
          outermostStart = k;
        }
        dropped[k] = true;
      } else if (depth > 0) {
        dropped[k] = true;
        if (line.startsWith("|}")) {
          depth--;
        }
      }
    }
    if (depth > 0) {
      for (int k = outermostStart; k < lines.length; k++) {
        String line = withoutIndentation(lines[k]);
        dropped[k] = line.startsWith("{|") || line.startsWith("|") || line.startsWith("!");
      }
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int k = 0; k < lines.length; k++) {
      if (!dropped[k]) {
        out.append(lines[k]);
      }
      out.append('\n'); // a dropped line stays as a blank one: a table ends the paragraph before it
    }
    return out.toString();
  }

  private static String withoutIndentation(String line) {
    int i = 0;
    while (i < line.length() && (line.charAt(i) == ':' || Character.isWhitespace(line.charAt(i)))) {
      i++;
    }
    return line.substring(i);
  }

  /** One open {@code [[}: the text since it, and the single brackets open inside it. */
  private static final class LinkFrame {
    final StringBuilder text = new StringBuilder();
    int openSingleBrackets;
    boolean sawPipe;
  }

  /**
   * Replaces {@code [[target|label]]} by label and {@code [[target]]} by target, and drops file, image, category and
   * interlanguage links whole, captions and the links nested in them included. A {@code [[} whose target runs into
   * a line break is no link; it and unmatched {@code ]]} are dropped as debris.
   */
  static String resolveInternalLinks(String s) {
    if (!s.contains("[[") && !s.contains("]]")) {
      return s;
    }
    int n = s.length();
    StringBuilder page = new StringBuilder(n);
    Deque<LinkFrame> frames = new ArrayDeque<>();
    int ignoredOpeners = 0; // [[ beyond MAX_LINK_NESTING, whose ]] must not close a frame
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      boolean doubled = i + 1 < n && s.charAt(i + 1) == c;
      LinkFrame frame = frames.peek();
      StringBuilder out = frame == null ? page : frame.text;
      if (c == '[' && doubled) {
        if (frames.size() < MAX_LINK_NESTING) {
          frames.push(new LinkFrame());
        } else {
          ignoredOpeners++;
        }
        i += 2;
      } else if (c == ']' && doubled && (frame == null || frame.openSingleBrackets == 0)) {
        if (ignoredOpeners > 0) {
          ignoredOpeners--;
        } else if (frame != null) {
          frames.pop();
          outputOf(frames, page).append(linkText(frame.text.toString()));
        }
        i += 2;
      } else {
        if (c == '\n') {
          while (frame != null && !frame.sawPipe) {
            frames.pop();
            outputOf(frames, page).append(frame.text);
            frame = frames.peek();
          }
          out = outputOf(frames, page);
        } else if (frame != null && c == '[') {
          frame.openSingleBrackets++;
        } else if (frame != null && c == ']' && frame.openSingleBrackets > 0) {
          frame.openSingleBrackets--;
        } else if (frame != null && c == '|') {
          frame.sawPipe = true;
        }
        out.append(c);
        i++;
      }
    }
    while (!frames.isEmpty()) {
      LinkFrame unclosed = frames.pop();
      outputOf(frames, page).append(unclosed.text);
    }
    return page.toString();
  }

  private static StringBuilder outputOf(Deque<LinkFrame> frames, StringBuilder page) {
    return frames.isEmpty() ? page : frames.peek().text;
  }

  /** What a reader sees of {@code [[inner]]}. */
  static String linkText(String inner) {
    int pipe = inner.indexOf('|');
    String target = (pipe < 0 ? inner : inner.substring(0, pipe)).strip();
    if (target.startsWith(":")) {
      target = target.substring(1).strip(); // [[:Category:X]] links to the category instead of filing the page
    } else if (filesPageOrShowsNothing(target)) {
      return "";
    }
    if (pipe < 0) {
      return target;
    }
    String label = inner.substring(pipe + 1);
    return label.isBlank() ? target : label;
  }

  private static boolean filesPageOrShowsNothing(String target) {
    int colon = target.indexOf(':');
    if (colon <= 0) {
      return false;
    }
    String prefix = target.substring(0, colon).strip();
    return INVISIBLE_LINK_NAMESPACES.contains(prefix.toLowerCase(Locale.ROOT))
        || LANGUAGE_CODE.matcher(prefix).matches();
  }

  /** Replaces {@code [http://x label]} by label and drops {@code [http://x]}; a bare URL stays as written. */
  static String resolveExternalLinks(String s) {
    int open = s.indexOf('[');
    if (open < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int from = 0;
    while (open >= 0) {
      int close = startsWithUrlScheme(s, open + 1) ? endOfExternalLink(s, open + 1) : -1;
      if (close < 0) {
        open = s.indexOf('[', open + 1);
        continue;
      }
      out.append(s, from, open);
      for (int k = open + 1; k < close; k++) {
        if (Character.isWhitespace(s.charAt(k))) {
          out.append(s, k + 1, close);
          break;
        }
      }
      from = close + 1;
      open = s.indexOf('[', from);
    }
    return out.append(s, from, s.length()).toString();
  }

  private static boolean startsWithUrlScheme(String s, int at) {
    for (String scheme : URL_SCHEMES) {
      if (s.regionMatches(true, at, scheme, 0, scheme.length())) {
        return true;
      }
    }
    return false;
  }

  /** The ']' ending the external link whose URL starts at {@code from}, or -1: it ends on its line, before any '['. */
  private static int endOfExternalLink(String s, int from) {
    for (int k = from; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c == ']') {
        return k;
      }
      if (c == '\n' || c == '[') {
        return -1;
      }
    }
    return -1;
  }

  /** Removes the HTML tags left after {@link #removeElementsWithContent}, keeping what they enclose. */
  static String stripTags(String s) {
    int lt = s.indexOf('<');
    if (lt < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int from = 0;
    while (lt >= 0) {
      Tag tag = Tag.at(s, lt);
      if (tag == null || !STRIPPED_TAGS.contains(tag.name())) {
        lt = s.indexOf('<', lt + 1);
        continue;
      }
      out.append(s, from, lt).append(WORD_SEPARATING_TAGS.contains(tag.name()) ? " " : "");
      from = tag.end();
      lt = s.indexOf('<', from);
    }
    return out.append(s, from, s.length()).toString();
  }

  /**
   * Removes {@code ''italic''}, {@code '''bold'''} and {@code '''''both'''''} quotes; a single apostrophe is text.
   * Like MediaWiki, a run of four reads as an apostrophe and bold, and runs over five as apostrophes and both.
   */
  static String removeBoldAndItalic(String s) {
    if (!s.contains("''")) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int n = s.length();
    int i = 0;
    while (i < n) {
      char c = s.charAt(i);
      if (c != '\'') {
        out.append(c);
        i++;
        continue;
      }
      int runEnd = i;
      while (runEnd < n && s.charAt(runEnd) == '\'') {
        runEnd++;
      }
      int run = runEnd - i;
      int apostrophes = run == 1 || run == 4 ? 1 : Math.max(0, run - 5);
      out.append("'".repeat(apostrophes));
      i = runEnd;
    }
    return out.toString();
  }

  /**
   * Groups the remaining prose lines into paragraphs as MediaWiki does: consecutive lines are one paragraph, and a
   * blank line, a heading, a list item or table debris ends it. (WikiExtractor emits each line on its own, but NVIDIA
   * then joins an article's lines before sentence splitting, so a sentence wrapped over two lines stays whole there.)
   */
  private List<String> paragraphsOfLines(String text) {
    List<String> paragraphs = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    for (String line : text.split("\n")) {
      String stripped = line.strip();
      boolean listItem = !stripped.isEmpty() && LIST_MARKERS.indexOf(stripped.charAt(0)) >= 0;
      boolean prose = !stripped.isEmpty() && !isHeading(stripped) && !stripped.startsWith("|")
          && !stripped.startsWith("{") && (!listItem || keepListItems);
      if (!prose || listItem) {
        endParagraph(paragraph, paragraphs);
      }
      if (prose) {
        paragraph.append(' ').append(listItem ? withoutListMarkers(stripped) : stripped);
      }
      if (listItem) {
        endParagraph(paragraph, paragraphs); // each kept list item is a paragraph of its own
      }
    }
    endParagraph(paragraph, paragraphs);
    return paragraphs;
  }

  private static void endParagraph(StringBuilder lines, List<String> paragraphs) {
    String paragraph = tidy(HtmlEntities.decode(lines.toString()));
    if (paragraph.codePoints().anyMatch(Character::isLetterOrDigit)) {
      paragraphs.add(paragraph);
    }
    lines.setLength(0);
  }

  private static boolean isHeading(String line) {
    return line.length() >= 2 && line.startsWith("=") && line.endsWith("=");
  }

  private static String withoutListMarkers(String line) {
    int i = 0;
    while (i < line.length() && LIST_MARKERS.indexOf(line.charAt(i)) >= 0) {
      i++;
    }
    return line.substring(i);
  }

  /** One space between words, and no gaps where removed markup stood: "born ( ) in 1900 ." reads "born in 1900.". */
  private static String tidy(String paragraph) {
    String text = EMPTY_PARENTHESES.matcher(paragraph).replaceAll("");
    text = WHITESPACE.matcher(text).replaceAll(" ");
    text = SPACE_BEFORE_PUNCTUATION.matcher(text).replaceAll("$1");
    text = SPACE_AFTER_OPENING_PARENTHESIS.matcher(text).replaceAll("(");
    return text.strip();
  }

  /**
   * An HTML-like tag at a '<': {@code <name attr=value>}, {@code </name>} or {@code <name/>}. "a < b" and "x<y and
   * z>w" are not tags: the name must follow '<' at once, and anything after it must be whitespace then attributes.
   */
  private record Tag(String name, boolean closing, boolean selfClosing, int end) {

    static Tag at(String s, int lt) {
      int n = s.length();
      int i = lt + 1;
      boolean closing = i < n && s.charAt(i) == '/';
      if (closing) {
        i++;
      }
      int nameStart = i;
      if (i >= n || !isAsciiLetter(s.charAt(i))) {
        return null;
      }
      while (i < n && (isAsciiLetter(s.charAt(i)) || (s.charAt(i) >= '0' && s.charAt(i) <= '9'))) {
        i++;
      }
      int gt = i;
      while (gt < n && s.charAt(gt) != '>' && s.charAt(gt) != '<') {
        gt++;
      }
      if (gt == n || s.charAt(gt) == '<') {
        return null;
      }
      String rest = s.substring(i, gt);
      boolean selfClosing = rest.endsWith("/");
      String attributes = selfClosing ? rest.substring(0, rest.length() - 1) : rest;
      boolean wellFormed = attributes.isEmpty()
          || (Character.isWhitespace(attributes.charAt(0)) && (attributes.isBlank() || attributes.contains("=")));
      return wellFormed
          ? new Tag(s.substring(nameStart, i).toLowerCase(Locale.ROOT), closing, selfClosing, gt + 1)
          : null;
    }

    private static boolean isAsciiLetter(char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new HashSet<>(a);
    all.addAll(b);
    return Set.copyOf(all);
  }
}
