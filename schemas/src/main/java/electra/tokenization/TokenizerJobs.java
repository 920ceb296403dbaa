package electra.tokenization;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** How the tokenizer jobs read text (their flags are {@link TokenizerSettings}). */
final class TokenizerJobs {

  private TokenizerJobs() {}

  /** Lines of UTF-8 text with invalid bytes dropped, as Python's {@code decode("utf-8", "ignore")} does. */
  static BufferedReader utf8Lines(InputStream in) {
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.IGNORE)
        .onUnmappableCharacter(CodingErrorAction.IGNORE)), 1 << 16);
  }
}
