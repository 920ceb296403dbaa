package electra.serving;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Flink's Prometheus reporter read as an operator reads it: the tests that check ServeQA's metrics in this module
 * and, through this module's test-jar (which holds only this class), the tests module's cluster test.
 */
public final class PrometheusEndpoint {

  /** Prefix of ServeQA's metrics as Flink's Prometheus reporter names them (namespace + name, dots as '_'). */
  private static final Pattern SERVE_QA_METRIC = Pattern.compile(
      "^flink_taskmanager_job_task_operator_electra_serving_ServeQA_(\\w+)(\\{[^}]*})? (\\S+)$");

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private PrometheusEndpoint() {}

  /** The lines the endpoint on {@code port} of this machine answers now. */
  public static List<String> scrape(int port) throws IOException, InterruptedException {
    HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
    return List.of(HTTP.send(get, HttpResponse.BodyHandlers.ofString()).body().split("\n"));
  }

  /**
   * ServeQA's metrics on the endpoint on {@code port}, by name without the prefix, each summed over its series
   * (subtasks), once {@code metric} reaches {@code atLeast} or {@code timeout} passed, whichever is first: Beam
   * hands its counters to Flink only when a bundle ends, so they lag behind what the job's output shows.
   */
  public static Map<String, Double> awaitServeQaMetrics(int port, String metric, double atLeast, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Map<String, Double> values = new TreeMap<>();
      for (String line : scrape(port)) {
        Matcher match = SERVE_QA_METRIC.matcher(line);
        if (match.matches()) {
          values.merge(match.group(1), Double.parseDouble(match.group(3)), Double::sum);
        }
      }
      if (values.getOrDefault(metric, 0.0) >= atLeast || System.nanoTime() > deadline) {
        return values;
      }
      Thread.sleep(200);
    }
  }
}
