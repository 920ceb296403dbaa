package electra.pipelines.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Decodes HTML character references in text: the named HTML 4 entities ({@code &nbsp;}, {@code &ndash;},
 * {@code &amp;} ...) and numeric ones ({@code &#8211;}, {@code &#x2013;}). Wikitext uses them freely; the XML layer of
 * a dump has already undone one level ({@code &amp;nbsp;} in the file is {@code &nbsp;} in the wikitext).
 */
final class HtmlEntities {

  /** Longest name between '&' and ';' worth looking up ({@code &thetasym;} is the longest HTML 4 name). */
  private static final int MAX_REFERENCE_LENGTH = 10;

  private static final Map<String, Integer> NAMED = load("html-entities.properties");

  private HtmlEntities() {}

  /** {@code text} with every known reference replaced by its character; unknown or malformed ones stay as written. */
  static String decode(String text) {
    int amp = text.indexOf('&');
    if (amp < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    while (amp >= 0) {
      int semicolon = semicolonClosing(text, amp);
      int codePoint = semicolon < 0 ? -1 : codePointOf(text.substring(amp + 1, semicolon));
      if (codePoint >= 0) {
        out.append(text, from, amp).appendCodePoint(codePoint);
        from = semicolon + 1;
      }
      amp = text.indexOf('&', codePoint >= 0 ? from : amp + 1);
    }
    return out.append(text, from, text.length()).toString();
  }

  /** The ';' that may end a reference starting at {@code amp}, or -1; the search is short so that time stays linear. */
  private static int semicolonClosing(String text, int amp) {
    int limit = Math.min(text.length(), amp + 2 + MAX_REFERENCE_LENGTH);
    for (int i = amp + 1; i < limit; i++) {
      if (text.charAt(i) == ';') {
        return i;
      }
    }
    return -1;
  }

  /** The character {@code reference} (what stands between '&' and ';') names, or -1. */
  private static int codePointOf(String reference) {
    if (reference.length() > 1 && reference.charAt(0) == '#') {
      boolean hex = reference.charAt(1) == 'x' || reference.charAt(1) == 'X';
      String digits = reference.substring(hex ? 2 : 1);
      if (digits.isEmpty() || !digits.chars().allMatch(c -> Character.digit(c, hex ? 16 : 10) >= 0)) {
        return -1;
      }
      long value = Long.parseLong(digits, hex ? 16 : 10); // at most 9 digits: fits a long
      boolean character = value > 0 && value <= Character.MAX_CODE_POINT
          && !(value >= Character.MIN_SURROGATE && value <= Character.MAX_SURROGATE);
      return character ? (int) value : -1;
    }
    return NAMED.getOrDefault(reference, -1);
  }

  private static Map<String, Integer> load(String resource) {
    Properties table = new Properties();
    try (InputStream in = HtmlEntities.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource + " next to " + HtmlEntities.class);
      }
      table.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
    Map<String, Integer> codePoints = new HashMap<>();
    table.forEach((name, codePoint) -> codePoints.put((String) name, Integer.parseInt((String) codePoint)));
    return Map.copyOf(codePoints);
  }
}
