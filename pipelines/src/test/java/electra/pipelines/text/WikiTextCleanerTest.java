package electra.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

class WikiTextCleanerTest {

  private static final WikiTextCleaner CLEANER = WikiTextCleaner.likeWikiExtractor();

  /** Markup that must not survive in any cleaned article of the samples. */
  private static final List<String> MARKUP = List.of("{{", "}}", "[[", "]]", "<ref", "{|", "|}", "&amp;");

  @Test
  void nestedTemplatesAndParametersGoWhole() {
    assertEquals(List.of("Before after."), clean("Before {{outer|a={{inner|b={{deep}}}}|c}} after."));
    assertEquals(List.of("Value here."), clean("Value {{{1|{{{default|none}}}}}} here."));
  }

  @Test
  void aTableInsideATemplateGoesWithTheTemplate() {
    String wikitext = """
        Text {{box|
        {| class="wikitable"
        |-
        | cell || cell
        |}
        }} more text.""";

    assertEquals(List.of("Text more text."), clean(wikitext));
  }

  @Test
  void nestedTablesGoWholeAndEndTheParagraph() {
    String wikitext = """
        Intro.
        {| class="wikitable"
        |-
        ! Header
        |-
        | a
        {|
        | inner
        |}
        | b
        |}
        Outro.""";

    assertEquals(List.of("Intro.", "Outro."), clean(wikitext));
  }

  @Test
  void aTableClosedByAVanishedTemplateLosesItsRowsButNotTheProseAfterIt() {
    String wikitext = """
        {| class="wikitable"
        |-
        | row
        {{end}}
        Prose after the table.""";

    assertEquals(List.of("Prose after the table."), clean(wikitext));
  }

  @Test
  void fileLinksGoWholeEvenWithLinksNestedInTheCaption() {
    String wikitext = "[[File:Foo.jpg|thumb|200px|A [[caption]] with [[Bar|links]] and [http://x.org a site].]]"
        + "Text after. [[Image:x.png|left|An [[image]]]] More.";

    assertEquals(List.of("Text after. More."), clean(wikitext));
  }

  @Test
  void categoryAndInterlanguageLinksGoButColonLinksShow() {
    String wikitext = """
        Body with [[:Category:Things|things]] and [[:Category:Stuff]].
        [[Category:Things]]
        [[de:Ding]] [[zh-min-nan:Mi̍h-kiāⁿ]]""";

    assertEquals(List.of("Body with things and Category:Stuff."), clean(wikitext));
  }

  @Test
  void internalLinksBecomeTheirLabelOrTarget() {
    assertEquals(List.of("Paris is in the French Republic; apples grow in Normandy."),
        clean("[[Paris]] is in [[France|the French Republic]]; [[apple]]s grow in [[Normandy (region)|Normandy]]."));
  }

  @Test
  void externalLinksBecomeTheirLabelAndBareUrlsStay() {
    assertEquals(List.of("See the site and or http://bare.org."),
        clean("See [http://example.com the site] and [https://x.org] or http://bare.org."));
  }

  @Test
  void referencesGoWithTheirContentInEveryForm() {
    String wikitext = "Claim.<ref name=\"a\">{{cite web|url=http://x|title=X}}</ref> Again.<ref name=\"a\" />"
        + " Third.<REF group=note>plain note</REF> Done.<references/>";

    assertEquals(List.of("Claim. Again. Third. Done."), clean(wikitext));
  }

  @Test
  void commentsGoEvenAcrossLines() {
    assertEquals(List.of("Start end."), clean("Start <!-- hidden\nover [[two]] lines --> end."));
    assertEquals(List.of("Kept."), clean("Kept.<!-- unclosed comment hides the rest"));
  }

  @Test
  void entitiesAreDecodedOnceAndAfterMarkup() {
    assertEquals(List.of("Fish & chips cost £5–6 — — <b> &bogus; &#0; α"),
        clean("Fish &amp; chips&nbsp;cost &pound;5&ndash;6 &#8212; &#x2014; &lt;b&gt; &bogus; &#0; &alpha;"));
  }

  @Test
  void boldAndItalicQuotesGoButApostrophesStay() {
    assertEquals(List.of("Anarchism is a word in rock 'n' roll, l'amour."),
        clean("'''Anarchism''' is ''a'' '''''word''''' in rock 'n' roll, l''''amour'''."));
  }

  @Test
  void headingsAndListsGoUnlessListsAreKept() {
    String wikitext = """
        Intro text.
        == History ==
        History text.
        * item [[one]]
        # item two
        : indented
        ; term
        After list.""";

    assertEquals(List.of("Intro text.", "History text.", "After list."), clean(wikitext));
    assertEquals(List.of("Intro text.", "History text.", "item one", "item two", "indented", "term", "After list."),
        WikiTextCleaner.keepingLists().paragraphs(wikitext));
  }

  @Test
  void consecutiveLinesAreOneParagraphAndBlankLinesCollapse() {
    assertEquals(List.of("First line second line.", "New paragraph."),
        clean("First line\nsecond line.\n\n\n\nNew paragraph.\n"));
  }

  @Test
  void magicWordsGo() {
    assertEquals(List.of("Text."), clean("__TOC__\nText.__NOTOC__"));
  }

  @Test
  void htmlTagsGoAndTheirTextStaysExceptForNonProseElements() {
    String wikitext = "H<sub>2</sub>O and E=mc<sup>2</sup>, <math>x^2</math> a<br/>b "
        + "<span style=\"color:red\">red</span> <gallery>\nFile:a.jpg|caption\n</gallery> x < y > z";

    assertEquals(List.of("H2O and E=mc2, a b red x < y > z"), clean(wikitext));
  }

  @Test
  void whatRemovedMarkupLeavesBehindIsTidied() {
    assertEquals(List.of("Albedo is a measure, born 1900."),
        clean("Albedo ({{IPA-en|ælˈbiːdoʊ}}) is a measure , born 1900 {{citation needed}}."));
  }

  @Test
  void unbalancedMarkupIsDroppedAsDebris() {
    assertEquals(List.of("a c d x y z"), clean("a {{unclosed b }} c }} d [[x ]] y ]] z"));
    assertEquals(List.of("a b"), clean("a {{ b"));
    assertEquals(List.of("never closed and more"), clean("[[never closed\nand more"));
    assertEquals(List.of("<ref>-less"), clean("&lt;ref&gt;-less"));
  }

  @Test
  void pathologicalPagesFinishInLinearTime() {
    int megabyte = 1 << 20;
    Map<String, Supplier<String>> pages = Map.ofEntries(
        Map.entry("nested braces", () -> "{{".repeat(megabyte / 4) + "}}".repeat(megabyte / 4)),
        Map.entry("unclosed braces", () -> "{{x|".repeat(megabyte / 4)),
        Map.entry("nested links", () -> "[[a|b ".repeat(megabyte / 6) + "]]".repeat(megabyte / 6)),
        Map.entry("unclosed links", () -> "[[".repeat(megabyte / 2)),
        Map.entry("unclosed refs", () -> "<ref>a ".repeat(megabyte / 7)),
        Map.entry("unclosed comments", () -> "x <!-- ".repeat(megabyte / 7)),
        Map.entry("unclosed external links", () -> "[http://x ".repeat(megabyte / 10)),
        Map.entry("tag lookalikes", () -> "<a".repeat(megabyte / 2)),
        Map.entry("unclosed tables", () -> "{|\n|x\n".repeat(megabyte / 7)),
        Map.entry("quotes", () -> "''a'''".repeat(megabyte / 6)),
        Map.entry("unterminated entities", () -> "&amp".repeat(megabyte / 4)),
        Map.entry("one long paragraph", () -> "word (\n".repeat(megabyte / 7)));

    pages.forEach((name, page) -> {
      String wikitext = page.get();
      assertTimeoutPreemptively(Duration.ofSeconds(3), () -> CLEANER.paragraphs(wikitext), name);
    });
  }

  @Test
  void sampleArticlesComeOutWithoutMarkupOrTitle() throws IOException {
    List<WikiPage> articles = articles(SharedData.WIKI_SAMPLE);
    assertEquals(106, articles.size());

    List<List<String>> cleaned = cleanAndSplitReportingThroughput(articles, "cold");
    cleanAndSplitReportingThroughput(articles, "warm"); // what a long-running worker sees once the JIT is done

    List<String> empty = new ArrayList<>();
    for (int i = 0; i < articles.size(); i++) {
      String title = articles.get(i).title();
      String text = String.join("\n", cleaned.get(i));
      for (String markup : MARKUP) {
        assertFalse(text.contains(markup), title + " still contains " + markup);
      }
      if (cleaned.get(i).isEmpty()) {
        empty.add(title);
      } else {
        assertFalse(cleaned.get(i).get(0).equals(title), title + ": the title came out as a paragraph");
      }
    }
    assertEquals(List.of("List of anthropologists"), empty); // nothing but headings and lists
    assertTrue(cleaned.get(0).get(0).startsWith(
        "Anarchism is a political philosophy that advocates self-governed societies based on voluntary institutions."),
        cleaned.get(0).get(0));
  }

  @Test
  void tableHeavyArticlesComeOutWithoutTableDebris() throws IOException {
    List<WikiPage> articles = articles(SharedData.WIKI_TABLES);
    assertEquals(List.of("Constructive vote of no confidence", "List of Prison Break characters",
        "Academy Award for Best Production Design", "Economy of Estonia", "Brahui language"),
        articles.stream().map(WikiPage::title).toList());

    List<String> debris = new ArrayList<>(MARKUP);
    debris.addAll(List.of("||", "!!", "style=", "class=", "colspan", "rowspan", "align=", "wikitable", "bgcolor",
        "width=", "thumb|"));
    List<String> paragraphs = new ArrayList<>();
    for (WikiPage article : articles) {
      List<String> cleaned = CLEANER.paragraphs(article.wikitext());
      assertFalse(cleaned.isEmpty(), article.title());
      paragraphs.addAll(cleaned);
    }
    for (String paragraph : paragraphs) {
      for (String piece : debris) {
        assertFalse(paragraph.contains(piece), "table debris " + piece + " in: " + paragraph);
      }
      assertFalse(paragraph.startsWith("|") || paragraph.startsWith("!"), paragraph);
    }
    // The prose on both sides of the first table survives, as paragraphs of their own.
    assertTrue(paragraphs.contains(
        "Since 1949, only two constructive votes of no confidence have been attempted, and only one has been "
            + "successful."));
    assertTrue(paragraphs.stream().anyMatch(p -> p.startsWith(
        "On 27 April 1972, an attempt to vote Chancellor Willy Brandt (SPD) out of office in favor of opposition "
            + "leader Rainer Barzel (CDU) failed by a margin of only two votes.")));
  }

  private static List<List<String>> cleanAndSplitReportingThroughput(List<WikiPage> articles, String run) {
    SentenceSplitter splitter = new SentenceSplitter();
    long wikitextBytes = 0;
    long sentences = 0;
    long start = System.nanoTime();
    List<List<String>> cleaned = new ArrayList<>();
    for (WikiPage article : articles) {
      List<String> paragraphs = CLEANER.paragraphs(article.wikitext());
      for (String paragraph : paragraphs) {
        sentences += splitter.split(paragraph).size();
      }
      cleaned.add(paragraphs);
      wikitextBytes += article.wikitext().getBytes(StandardCharsets.UTF_8).length;
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("%s: cleaned and split %.1f MB of wikitext into %d sentences in %.2f s: %.1f MB/s%n",
        run, wikitextBytes / 1e6, sentences, seconds, wikitextBytes / 1e6 / seconds);
    return cleaned;
  }

  private static List<String> clean(String wikitext) {
    return CLEANER.paragraphs(wikitext);
  }

  private static List<WikiPage> articles(String sharedFile) throws IOException {
    Path dump = SharedData.file(sharedFile);
    List<WikiPage> articles = new ArrayList<>();
    try (InputStream in = Files.newInputStream(dump)) {
      WikiDumpReader.readArticles(in, articles::add);
    }
    return articles;
  }
}
