package electra.beam;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricResult;

/**
 * The counters ({@code Metrics.counter}) of a finished pipeline, each summed over the steps that count it (several
 * readers count {@code damaged_files}, say). Attempted values, not committed ones: the embedded Flink runner reports
 * only those, and a finished batch pipeline has the same of both unless a bundle was retried.
 */
public record PipelineCounters(Map<MetricName, Long> values) {

  public PipelineCounters {
    values = Map.copyOf(values);
    values.forEach((name, value) -> {
      if (value < 0) {
        throw new IllegalArgumentException("counter " + name + " is negative: " + value);
      }
    });
  }

  /** The counters of a pipeline that has finished. */
  public static PipelineCounters of(PipelineResult result) {
    Map<MetricName, Long> sums = new HashMap<>();
    for (MetricResult<Long> counter : result.metrics().allMetrics().getCounters()) {
      sums.merge(counter.getName(), Objects.requireNonNullElse(counter.getAttempted(), 0L), Long::sum);
    }
    return new PipelineCounters(sums);
  }

  /** A counter's value; 0 when no step counted anything under that name. */
  public long get(Class<?> namespace, String name) {
    return values.getOrDefault(MetricName.named(namespace, name), 0L);
  }
}
