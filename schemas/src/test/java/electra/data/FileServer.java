package electra.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A file server on 127.0.0.1 that answers {@code Range} requests like a real one (206, 416), can be told to ignore
 * them, and misbehaves on request: each path has a queue of faults that its next requests suffer, one each.
 */
public final class FileServer implements AutoCloseable {

  /** What goes wrong with one request. */
  public enum Fault {
    /** HTTP 500. */
    ERROR_500,
    /** Promises the whole answer, sends half of it, closes the connection. */
    DROP_HALFWAY,
    /** Sends half of the answer, then nothing for a few seconds. */
    STALL_HALFWAY
  }

  /** One request as the server saw it. */
  public record Request(String path, String range) {}

  private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();
  private final Map<String, Queue<Fault>> faults = new ConcurrentHashMap<>();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private volatile boolean ignoreRange;

  public FileServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(threads);
    server.start();
  }

  /** Serves {@code content} at {@code path} (starting with /). */
  public FileServer serve(String path, byte[] content) {
    files.put(path, content);
    return this;
  }

  /** The next requests for {@code path} suffer these faults, one each, in order. */
  public FileServer fail(String path, Fault... next) {
    faults.computeIfAbsent(path, p -> new ArrayDeque<>()).addAll(List.of(next));
    return this;
  }

  /** Answers every request with the whole file (200), as servers without range support do. */
  public FileServer ignoreRange() {
    ignoreRange = true;
    return this;
  }

  public URI url(String path) {
    return URI.create(base() + path);
  }

  /** {@code http://127.0.0.1:<port>}. */
  public String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public List<Request> requests() {
    return List.copyOf(requests);
  }

  public List<Request> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  private void handle(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    String range = exchange.getRequestHeaders().getFirst("Range");
    requests.add(new Request(path, range));
    byte[] file = files.get(path);
    Queue<Fault> queue = faults.get(path);
    Fault fault = queue == null ? null : queue.poll();
    try {
      if (file == null) {
        exchange.sendResponseHeaders(404, -1);
      } else if (fault == Fault.ERROR_500) {
        exchange.sendResponseHeaders(500, -1);
      } else {
        send(exchange, file, range, fault);
      }
      exchange.close();
    } catch (IOException expected) {
      // a fault cut the answer short, or the client hung up: the connection is gone either way
    }
  }

  private void send(HttpExchange exchange, byte[] file, String range, Fault fault) throws IOException {
    Matcher m = range == null || ignoreRange ? null : RANGE.matcher(range);
    int from = m != null && m.matches() ? Integer.parseInt(m.group(1)) : 0;
    if (from >= file.length && from > 0) {
      exchange.getResponseHeaders().set("Content-Range", "bytes */" + file.length);
      exchange.sendResponseHeaders(416, -1);
      return;
    }
    if (from > 0) {
      exchange.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (file.length - 1) + "/" + file.length);
    }
    int length = file.length - from;
    exchange.sendResponseHeaders(from > 0 ? 206 : 200, length);
    OutputStream body = exchange.getResponseBody();
    if (fault == null) {
      body.write(file, from, length);
      return;
    }
    body.write(file, from, length / 2);
    body.flush();
    if (fault == Fault.STALL_HALFWAY) {
      try {
        Thread.sleep(3_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    // closing with bytes missing makes the server drop the connection
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
