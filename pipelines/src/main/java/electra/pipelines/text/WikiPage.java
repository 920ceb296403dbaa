package electra.pipelines.text;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

/**
 * One {@code <page>} of a MediaWiki XML export, reduced to what text extraction needs.
 *
 * @param id the page id ({@code <page><id>}), not a revision id
 * @param title the title as in the dump, namespace prefix included
 * @param namespace the namespace key ({@code <ns>}); {@value #ARTICLE_NAMESPACE} holds the articles
 * @param redirectTarget the title in {@code <redirect title="..."/>}, or null when the page has no such element
 * @param wikitext the text of the page's last revision; empty when the dump omits it ({@code deleted="deleted"})
 */
public record WikiPage(long id, String title, int namespace, String redirectTarget, String wikitext)
    implements Serializable {

  /** The main namespace: encyclopedia articles (and redirects between them). */
  public static final int ARTICLE_NAMESPACE = 0;

  /** MediaWiki's redirect magic word; the dump states it in any case ({@code #redirect}, {@code #REDIRECT}). */
  private static final String REDIRECT_MAGIC_WORD = "#redirect";

  public WikiPage {
    if (id <= 0) {
      throw new IllegalArgumentException("page id must be positive, got " + id);
    }
    if (title == null || title.isBlank()) {
      throw new IllegalArgumentException("page " + id + " has no title");
    }
    Objects.requireNonNull(wikitext, "wikitext");
  }

  /** True in the main namespace, where the articles are. */
  public boolean inArticleNamespace() {
    return namespace == ARTICLE_NAMESPACE;
  }

  /**
   * True for a redirect: the dump marks it with {@code <redirect>}, but older exports (and hand-made ones) only
   * have the magic word at the start of the text, so both count.
   */
  public boolean isRedirect() {
    return redirectTarget != null || startsWithRedirectMagicWord(wikitext);
  }

  private static boolean startsWithRedirectMagicWord(String text) {
    String start = text.stripLeading();
    return start.length() >= REDIRECT_MAGIC_WORD.length()
        && start.substring(0, REDIRECT_MAGIC_WORD.length()).toLowerCase(Locale.ROOT).equals(REDIRECT_MAGIC_WORD);
  }
}
