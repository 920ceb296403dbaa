package electra.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads files over http(s) the way a multi-gigabyte dump needs: bytes go to {@code <target>.part}; a
 * {@code .part} left by an interrupted run is resumed with a {@code Range} request (a server that ignores it and
 * sends the whole file again is handled too); the file gets its final name, by an atomic rename, only once it is
 * complete and matches its published checksum. Dropped connections, silent servers and 5xx answers are retried
 * with growing waits; 404 and a checksum mismatch are not, because retrying would not change them. Every request
 * goes where the {@link Mirror} says, so callers name the public URL.
 */
public final class Downloader {

  /** Wikimedia asks clients to say who they are; Java's default agent is throttled by some servers. */
  static final String USER_AGENT = "electra-jvm-downloader/0.1 (ELECTRA pre-training data preparation)";

  /** Content-Range of a 206 ({@code bytes 100-199/1000}) or of a 416 ({@code bytes *}{@code /1000}). */
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(?:(\\d+)-(\\d+)|\\*)/(\\d+|\\*)");

  private final PrintStream log;
  private final DownloadSettings settings;
  private final Mirror mirror;
  private HttpClient client;

  public Downloader(PrintStream log, DownloadSettings settings, Mirror mirror) {
    this.log = Objects.requireNonNull(log, "log");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.mirror = Objects.requireNonNull(mirror, "mirror");
  }

  /** Where the bytes of {@code target} are kept until they are complete and verified. */
  public static Path partFile(Path target) {
    return target.resolveSibling(target.getFileName() + ".part");
  }

  /**
   * Makes {@code target} a complete copy of {@code publicUrl} (fetched through the mirror, if any), verified against
   * {@code expected} when given. A target that already has the expected checksum is kept without a request; without
   * a checksum an existing target is trusted, since only complete downloads ever get that name.
   *
   * @return {@code target}
   * @throws HttpStatusException on 404 and other answers that retrying does not change
   * @throws ChecksumMismatchException when the complete download has another digest (its bytes are deleted)
   * @throws IOException when the tries ran out, or writing the file failed
   */
  public Path download(URI publicUrl, Path target, Optional<Checksum> expected)
      throws IOException, InterruptedException {
    URI url = source(publicUrl);
    Path absolute = target.toAbsolutePath();
    if (Files.isRegularFile(absolute) && alreadyThere(absolute, expected)) {
      return target;
    }
    Files.createDirectories(absolute.getParent());
    Path part = partFile(absolute);
    if (size(part) > 0) {
      log.println(part + ": resuming an earlier download at byte " + size(part));
    }
    Checksum.Algorithm algorithm = expected.map(Checksum::algorithm).orElse(Checksum.Algorithm.SHA256);
    String name = absolute.getFileName().toString();
    Checksum actual = retrying(url, () -> transfer(url, part, name, algorithm), () -> size(part));
    if (expected.isPresent() && !expected.get().equals(actual)) {
      Files.deleteIfExists(part);
      throw new ChecksumMismatchException(url, expected.get(), actual);
    }
    Files.move(part, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    log.println(absolute + ": " + actual + (expected.isPresent() ? " (verified)" : " (not verified: no checksum)"));
    return target;
  }

  /** The body of a small text file, such as a list of checksums, with the same retries as a download. */
  public String fetchText(URI publicUrl) throws IOException, InterruptedException {
    URI url = source(publicUrl);
    return retrying(url, () -> {
      HttpResponse<InputStream> response = send(request(url, 0));
      try (InputStream body = response.body()) {
        if (response.statusCode() != 200) {
          throw failure(url, response.statusCode());
        }
        try {
          return new String(body.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new Transient(url + ": connection lost (" + e + ")", e);
        }
      }
    }, () -> 0);
  }

  private boolean alreadyThere(Path target, Optional<Checksum> expected) throws IOException {
    if (expected.isEmpty()) {
      log.println(target + ": already there (no checksum to check it against; delete it to download it again)");
      return true;
    }
    Checksum actual = Checksum.of(expected.get().algorithm(), target);
    if (actual.equals(expected.get())) {
      log.println(target + ": already there, " + actual + " (verified)");
      return true;
    }
    log.println(target + ": is there but has " + actual + ", not " + expected.get().hex() + "; downloading it again");
    return false;
  }

  /** One try; {@link Transient} when another try may succeed. */
  private interface Attempt<T> {
    T run() throws IOException, Transient;
  }

  /** A failure that another try may not have: network errors, silence, 5xx, a body that ended early. */
  private static final class Transient extends Exception {
    Transient(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Runs {@code attempt} until it succeeds, fails for good, or fails {@link DownloadSettings#attempts()} times in a
   * row without {@code reached} (bytes on disk) passing its largest value so far.
   */
  private <T> T retrying(URI url, Attempt<T> attempt, LongSupplier reached) throws IOException, InterruptedException {
    int failures = 0;
    long furthest = reached.getAsLong();
    while (true) {
      try {
        return attempt.run();
      } catch (Transient e) {
        long now = reached.getAsLong();
        if (now > furthest) {
          furthest = now;
          failures = 0;
        }
        failures++;
        if (failures >= settings.attempts()) {
          throw new IOException("gave up on " + url + " after " + failures + " tries in a row without progress ("
              + e.getMessage() + "); " + mirror.unreachableAdvice(), e.getCause());
        }
        Duration wait = settings.backoff(failures);
        log.println(e.getMessage() + "; trying again in " + seconds(wait));
        Thread.sleep(wait.toMillis());
      }
    }
  }

  /**
   * One request for the rest of {@code part} (all of it when there is none); appends what arrives and returns the
   * checksum of the complete file. {@code name} labels the progress lines.
   */
  private Checksum transfer(URI url, Path part, String name, Checksum.Algorithm algorithm)
      throws IOException, Transient {
    long have = size(part);
    HttpResponse<InputStream> response = send(request(url, have));
    try (InputStream body = response.body()) {
      int status = response.statusCode();
      Optional<ContentRange> range = response.headers().firstValue("Content-Range").flatMap(ContentRange::parse);
      long offset;
      if (status == 200) {
        if (have > 0) {
          log.println(url + ": the server does not resume downloads; starting again from the first byte");
        }
        offset = 0;
      } else if (status == 206 && range.isPresent() && range.get().first() == have) {
        offset = have;
      } else if (status == 206) {
        Files.deleteIfExists(part);
        throw new Transient(url + ": asked for the bytes from " + have + " on, got Content-Range "
            + response.headers().firstValue("Content-Range").orElse("(none)"), null);
      } else if (status == 416 && have > 0) {
        return unsatisfiable(url, part, have, range, algorithm);
      } else {
        throw failure(url, status);
      }
      Progress progress = new Progress(log, name, offset, totalSize(response, range, offset),
          settings.progressEvery(), System::nanoTime);
      return append(url, body, part, progress, algorithm);
    }
  }

  /**
   * A 416 answer to a resume: the {@code .part} already holds the whole file when its size is the total the server
   * names; otherwise it is longer than the file (another version of it) and is dropped to start again.
   */
  private Checksum unsatisfiable(URI url, Path part, long have, Optional<ContentRange> range,
      Checksum.Algorithm algorithm) throws IOException, Transient {
    if (range.isPresent() && range.get().total() == have) {
      return Checksum.of(algorithm, part);
    }
    Files.deleteIfExists(part);
    throw new Transient(url + ": the partial download (" + have + " bytes) does not fit the file on the server"
        + range.map(r -> " (" + r.total() + " bytes)").orElse("") + "; starting again", null);
  }

  /**
   * Copies the body into {@code part} after the progress's start bytes, digesting the bytes already there first.
   * Network errors and a body shorter than the progress's total are transient; errors writing the file are not.
   */
  private Checksum append(URI url, InputStream body, Path part, Progress progress, Checksum.Algorithm algorithm)
      throws IOException, Transient {
    long offset = progress.startBytes();
    long total = progress.totalBytes();
    MessageDigest digest = algorithm.newDigest();
    if (offset > 0) {
      Checksum.update(digest, part);
    }
    long written = offset;
    byte[] buffer = new byte[1 << 16];
    try (IdleWatchdog watchdog = new IdleWatchdog(body, settings.idleTimeout());
        OutputStream out = offset > 0
            ? Files.newOutputStream(part, StandardOpenOption.APPEND)
            : Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      while (true) {
        int n;
        try {
          n = body.read(buffer);
        } catch (IOException e) {
          throw new Transient(url + ": " + (watchdog.fired() ? "no data for " + seconds(settings.idleTimeout())
              : "connection lost (" + e.getMessage() + ")") + " after " + written + " bytes", e);
        }
        if (n < 0) {
          break;
        }
        watchdog.alive();
        out.write(buffer, 0, n);
        digest.update(buffer, 0, n);
        written += n;
        progress.advance(n);
      }
    }
    progress.finish();
    if (total >= 0 && written != total) {
      throw new Transient(url + ": the connection ended after " + written + " of " + total + " bytes", null);
    }
    return Checksum.of(algorithm, digest);
  }

  private HttpRequest request(URI url, long fromByte) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(url)
        .timeout(settings.idleTimeout())
        .header("User-Agent", USER_AGENT)
        .GET();
    if (fromByte > 0) {
      builder.header("Range", "bytes=" + fromByte + "-");
    }
    return builder.build();
  }

  private HttpResponse<InputStream> send(HttpRequest request) throws Transient, InterruptedIOException {
    try {
      return client().send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while requesting " + request.uri());
    } catch (IOException e) {
      throw new Transient(request.uri() + ": " + e, e);
    }
  }

  /**
   * Made on the first request: a client starts a thread, and most downloaders (one per vocabulary lookup) find their
   * file on disk and never ask.
   */
  private synchronized HttpClient client() {
    if (client == null) {
      client = HttpClient.newBuilder()
          .connectTimeout(settings.idleTimeout())
          .followRedirects(HttpClient.Redirect.NORMAL)
          .build();
    }
    return client;
  }

  /** A non-success answer: returns a transient failure for 5xx, 408 and 429 (servers under load), throws otherwise. */
  private static Transient failure(URI url, int status) throws HttpStatusException {
    if (status >= 500 || status == 408 || status == 429) {
      return new Transient(url + ": HTTP " + status, null);
    }
    throw new HttpStatusException(url, status);
  }

  /** The whole file's size: from Content-Range when resuming, else offset plus Content-Length; -1 when unknown. */
  private static long totalSize(HttpResponse<?> response, Optional<ContentRange> range, long offset) {
    if (range.isPresent() && range.get().total() >= 0) {
      return range.get().total();
    }
    return response.headers().firstValueAsLong("Content-Length").stream().map(n -> offset + n).findFirst().orElse(-1);
  }

  private static String seconds(Duration duration) {
    return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1e3);
  }

  /** The size of a file, 0 when it does not exist. */
  private static long size(Path file) {
    return file.toFile().length();
  }

  /** Where {@code publicUrl} is really fetched from; only http(s) URLs can be. */
  private URI source(URI publicUrl) {
    String scheme = publicUrl.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("can download only http(s) URLs, got '" + publicUrl + "'");
    }
    return mirror.locate(publicUrl);
  }

  /**
   * A Content-Range header: {@code bytes 100-199/1000} (a 206) or {@code bytes *}{@code /1000} (a 416).
   *
   * @param first the first byte sent, -1 for {@code *}
   * @param total the whole file's size, -1 for {@code *}
   */
  record ContentRange(long first, long total) {

    static Optional<ContentRange> parse(String header) {
      Matcher m = CONTENT_RANGE.matcher(header.trim());
      if (!m.matches()) {
        return Optional.empty();
      }
      return Optional.of(new ContentRange(m.group(1) == null ? -1 : Long.parseLong(m.group(1)),
          m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3))));
    }
  }
}
