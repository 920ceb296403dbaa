package electra.tokenization;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Objects;

/**
 * Finds a vocabulary by path or by the name {@value #BERT_BASE_UNCASED}. The name is looked up, in order:
 * <ol>
 *   <li>in the cache, {@code <cacheDir>/vocab/bert-base-uncased-vocab.txt}, where cacheDir is {@code $ELECTRA_HOME}
 *       or else {@code ~/.cache/electra};</li>
 *   <li>in a developer checkout: {@code shared/data/vocab/} beside the git repository that holds the working
 *       directory;</li>
 *   <li>downloaded from {@code downloadUrl} ({@value #DEFAULT_URL} unless the system property
 *       {@value #URL_PROPERTY} or the environment variable {@value #URL_ENV} says otherwise), checked against its
 *       known SHA-256 and only then stored in the cache (written to a temporary file, then renamed, so a crash
 *       never leaves half a vocabulary behind).</li>
 * </ol>
 * Every copy found by name must have the known SHA-256; a different file is refused, never used silently.
 *
 * @param cacheDir where downloaded vocabularies are kept
 * @param downloadUrl the complete URL of the bert-base-uncased {@code vocab.txt}
 * @param workingDir where the search for a developer checkout starts
 */
public record VocabularyResolver(Path cacheDir, URI downloadUrl, Path workingDir) {

  /** The uncased English BERT vocabulary that every released ELECTRA model uses. */
  public static final String BERT_BASE_UNCASED = "bert-base-uncased";
  public static final String BERT_BASE_UNCASED_SHA256 =
      "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3";
  public static final String DEFAULT_URL = "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt";
  public static final String URL_PROPERTY = "electra.vocab.url";
  public static final String URL_ENV = "ELECTRA_VOCAB_URL";
  public static final String HOME_ENV = "ELECTRA_HOME";

  private static final String FILE_NAME = "bert-base-uncased-vocab.txt";

  public VocabularyResolver {
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(downloadUrl, "downloadUrl");
    Objects.requireNonNull(workingDir, "workingDir");
    String scheme = downloadUrl.getScheme();
    if (!"https".equalsIgnoreCase(scheme) && !"http".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("vocabulary download URL must be http(s), got '" + downloadUrl + "'");
    }
  }

  /** The resolver a user's environment describes: $ELECTRA_HOME, the URL overrides, the current directory. */
  public static VocabularyResolver fromEnvironment() {
    String home = System.getenv(HOME_ENV);
    Path cache = home != null && !home.isBlank()
        ? Path.of(home)
        : Path.of(System.getProperty("user.home"), ".cache", "electra");
    String url = System.getProperty(URL_PROPERTY);
    if (url == null || url.isBlank()) {
      url = System.getenv(URL_ENV);
    }
    if (url == null || url.isBlank()) {
      url = DEFAULT_URL;
    }
    return new VocabularyResolver(cache, URI.create(url.trim()), Path.of("").toAbsolutePath());
  }

  /**
   * Loads the named vocabulary or the file at the path.
   *
   * @throws NoSuchFileException when a path (not the known name) does not exist
   * @throws IOException when the download fails or a copy has the wrong checksum
   */
  public Vocabulary resolve(String nameOrPath) throws IOException {
    if (BERT_BASE_UNCASED.equals(nameOrPath)) {
      return bertBaseUncased();
    }
    Path file = Path.of(nameOrPath);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(nameOrPath, null,
          "no vocabulary file there; give the path of a vocab.txt or the name " + BERT_BASE_UNCASED);
    }
    return Vocabulary.load(file);
  }

  /** Where the downloaded copy is kept. */
  public Path cachedFile() {
    return cacheDir.resolve("vocab").resolve(FILE_NAME);
  }

  private Vocabulary bertBaseUncased() throws IOException {
    Path cached = cachedFile();
    if (Files.isRegularFile(cached)) {
      return verified(Files.readAllBytes(cached), cached.toString(), "delete it to download it again");
    }
    Path checkout = checkoutCopy();
    if (checkout != null) {
      return verified(Files.readAllBytes(checkout), checkout.toString(), "the checkout's shared/ folder is damaged");
    }
    byte[] bytes = download();
    Vocabulary vocabulary = verified(bytes, downloadUrl.toString(),
        "refusing to use it; set " + URL_ENV + " to a URL that serves the bert-base-uncased vocab.txt");
    store(bytes, cached);
    return vocabulary;
  }

  /** {@code <repository>/../shared/data/vocab/...} for the nearest enclosing git repository, if that file exists. */
  private Path checkoutCopy() {
    for (Path dir = workingDir.toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(".git"))) {
        Path parent = dir.getParent();
        Path candidate = parent == null ? null : parent.resolve("shared/data/vocab").resolve(FILE_NAME);
        return candidate != null && Files.isRegularFile(candidate) ? candidate : null;
      }
    }
    return null;
  }

  private static Vocabulary verified(byte[] bytes, String source, String advice) throws IOException {
    String actual = Vocabulary.sha256(bytes);
    if (!actual.equals(BERT_BASE_UNCASED_SHA256)) {
      throw new IOException(source + " has SHA-256 " + actual + " but " + BERT_BASE_UNCASED + " must have "
          + BERT_BASE_UNCASED_SHA256 + "; " + advice);
    }
    return Vocabulary.fromBytes(bytes, source);
  }

  private byte[] download() throws IOException {
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(30))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    HttpRequest request = HttpRequest.newBuilder(downloadUrl).timeout(Duration.ofMinutes(2)).GET().build();
    HttpResponse<byte[]> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while downloading " + downloadUrl);
    } catch (IOException e) {
      throw new IOException("could not download the " + BERT_BASE_UNCASED + " vocabulary from " + downloadUrl
          + " (" + e + "); set " + URL_ENV + " to a reachable copy or pass the path of a vocab.txt", e);
    }
    if (response.statusCode() != 200) {
      throw new IOException("downloading the " + BERT_BASE_UNCASED + " vocabulary from " + downloadUrl
          + " failed with HTTP " + response.statusCode() + "; set " + URL_ENV
          + " to a reachable copy or pass the path of a vocab.txt");
    }
    return response.body();
  }

  private static void store(byte[] bytes, Path target) throws IOException {
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    try {
      Files.write(temp, bytes);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
