package electra.pipelines.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.pipelines.text.WikiDumpReader.ReadSummary;
import electra.pipelines.text.WikiDumpReader.SkipReason;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.junit.jupiter.api.Test;

class WikiDumpReaderTest {

  private static final String HEADER = """
      <mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" version="0.10" xml:lang="en">
        <siteinfo><sitename>Wikipedia</sitename></siteinfo>
      """;
  private static final String FOOTER = "</mediawiki>\n";

  @Test
  void theSampleDumpHolds106ArticlesAfterDropping99RedirectsAndOneProjectPage() throws IOException {
    List<WikiPage> articles = new ArrayList<>();
    ReadSummary summary;
    try (InputStream in = Files.newInputStream(SharedData.file(SharedData.WIKI_SAMPLE))) {
      summary = WikiDumpReader.readArticles(in, articles::add);
    }

    assertEquals(106, summary.articles());
    assertEquals(106, articles.size());
    assertEquals(99, summary.skipped(SkipReason.REDIRECT));
    assertEquals(1, summary.skipped(SkipReason.NOT_ARTICLE_NAMESPACE));
    assertEquals(List.of(12L, 25L, 39L, 290L, 303L), articles.subList(0, 5).stream().map(WikiPage::id).toList());
    assertEquals(List.of("Anarchism", "Autism", "Albedo", "A", "Alabama"),
        articles.subList(0, 5).stream().map(WikiPage::title).toList());
    WikiPage last = articles.get(105);
    assertEquals(775, last.id());
    assertEquals("Algorithm", last.title());
    assertTrue(articles.stream().allMatch(p -> p.namespace() == 0 && p.redirectTarget() == null));
    assertTrue(articles.get(0).wikitext().contains("'''Anarchism''' is a [[political philosophy]]"));
  }

  @Test
  void keepsOnlyNamespaceZeroPagesThatAreNoRedirectsAndCountsTheRestByReason() throws IOException {
    String dump = HEADER
        + page(1, "Article", 0, "", "Plain '''text'''.")
        + page(2, "Talk:Article", 1, "", "A talk page.")
        + page(3, "Old name", 0, "<redirect title=\"Article\" />", "#REDIRECT [[Article]]")
        + page(4, "Other name", 0, "", "  #redirect [[Article]]")
        + page(5, "Wikipedia:Shortcut", 4, "<redirect title=\"Article\" />", "#REDIRECT [[Article]]")
        + page(6, "Emptied", 0, "", null)
        + FOOTER;

    List<WikiPage> articles = new ArrayList<>();
    ReadSummary summary = WikiDumpReader.readArticles(utf8(dump), articles::add);

    assertEquals(List.of(
        new WikiPage(1, "Article", 0, null, "Plain '''text'''."),
        new WikiPage(6, "Emptied", 0, null, "")), articles);
    assertEquals(2, summary.articles());
    assertEquals(2, summary.skipped(SkipReason.REDIRECT));
    assertEquals(2, summary.skipped(SkipReason.NOT_ARTICLE_NAMESPACE));
  }

  @Test
  void takesThePageIdNotTheRevisionOrContributorIdAndDecodesXmlEntities() throws IOException {
    String dump = HEADER + """
          <page>
            <title>Fish &amp; chips</title>
            <ns>0</ns>
            <id>42</id>
            <revision>
              <id>9000</id>
              <contributor><username>Someone</username><id>77</id></contributor>
              <text xml:space="preserve">Fish &amp;amp; chips&lt;ref&gt;x&lt;/ref&gt;</text>
            </revision>
          </page>
        """ + FOOTER;

    List<WikiPage> articles = new ArrayList<>();
    WikiDumpReader.readArticles(utf8(dump), articles::add);

    assertEquals(List.of(new WikiPage(42, "Fish & chips", 0, null, "Fish &amp; chips<ref>x</ref>")), articles);
  }

  @Test
  void readsEveryStreamOfAMultistreamBzip2Dump() throws IOException {
    // Wikimedia's multistream dumps: the header in one bzip2 stream, then streams of pages, the footer last.
    ByteArrayOutputStream dump = new ByteArrayOutputStream();
    dump.writeBytes(bzip2(HEADER));
    dump.writeBytes(bzip2(page(10, "First", 0, "", "one") + page(11, "Second", 0, "", "two")));
    dump.writeBytes(bzip2(page(12, "Third", 0, "", "three") + FOOTER));

    List<String> titles = new ArrayList<>();
    ReadSummary summary = WikiDumpReader.readArticles(new ByteArrayInputStream(dump.toByteArray()),
        p -> titles.add(p.title()));

    assertEquals(List.of("First", "Second", "Third"), titles);
    assertEquals(3, summary.articles());
  }

  @Test
  void aPageWithoutIdIsAnErrorThatSaysWhere() {
    String dump = HEADER + "<page><title>No id</title><ns>0</ns><revision><text>x</text></revision></page>"
        + FOOTER;

    IOException e = assertThrows(IOException.class, () -> WikiDumpReader.readArticles(utf8(dump), p -> { }));

    assertTrue(e.getMessage().contains("has no <id>") && e.getMessage().contains("line 3"), e.getMessage());
  }

  @Test
  void aTruncatedOrForeignFileIsAnIoException() {
    String truncated = HEADER + "<page><title>Cut</title><ns>0</ns><id>1</id><revision><text>half";

    assertThrows(IOException.class, () -> WikiDumpReader.readArticles(utf8(truncated), p -> { }));
    assertThrows(IOException.class, () -> WikiDumpReader.readArticles(utf8("just some text"), p -> { }));
  }

  @Test
  void pagesValidateThemselves() {
    assertThrows(IllegalArgumentException.class, () -> new WikiPage(0, "T", 0, null, ""));
    assertThrows(IllegalArgumentException.class, () -> new WikiPage(1, " ", 0, null, ""));
    assertThrows(NullPointerException.class, () -> new WikiPage(1, "T", 0, null, null));
    assertNull(new WikiPage(1, "T", 0, null, "").redirectTarget());
  }

  private static String page(long id, String title, int namespace, String redirect, String text) {
    String textElement = text == null
        ? "<text deleted=\"deleted\" />"
        : "<text xml:space=\"preserve\">" + text + "</text>";
    return "<page><title>" + title + "</title><ns>" + namespace + "</ns><id>" + id + "</id>" + redirect
        + "<revision><id>" + (id + 1000) + "</id>" + textElement + "</revision></page>\n";
  }

  private static InputStream utf8(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] bzip2(String text) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (BZip2CompressorOutputStream out = new BZip2CompressorOutputStream(bytes)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return bytes.toByteArray();
  }
}
