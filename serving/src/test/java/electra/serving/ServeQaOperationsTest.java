package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import electra.cli.UsageException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The defaults operators rely on: where a new consumer group starts, whose checkpoint interval counts, metrics. */
class ServeQaOperationsTest {

  @TempDir
  Path tmp;

  private static Configuration withInterval(String interval) {
    Configuration c = new Configuration();
    c.setString(ServeQA.FLINK_CHECKPOINTING_INTERVAL, interval);
    return c;
  }

  @Test
  void theCommandLinesCheckpointIntervalWinsThenTheFlinkConfigurationsThenTwoSeconds() {
    assertEquals(5000, ServeQA.checkpointingInterval(5000L, new Configuration()));
    assertEquals(5000, ServeQA.checkpointingInterval(5000L, withInterval("7 s")));
    assertEquals(-1, ServeQA.checkpointingInterval(-1L, withInterval("7 s")), "Beam's 'not set': Flink's applies");
    assertEquals(-1, ServeQA.checkpointingInterval(null, withInterval("7 s")));
    assertEquals(2000, ServeQA.checkpointingInterval(-1L, new Configuration()));
    assertEquals(2000, ServeQA.checkpointingInterval(null, new Configuration()));
  }

  @Test
  void anIntervalInTheFlinkConfigurationFolderIsTheOneTheJobCheckpointsWith() throws Exception {
    Files.writeString(tmp.resolve(GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME),
        ServeQA.FLINK_CHECKPOINTING_INTERVAL + ": 7 s\n");
    ServeQaOptions options = new ServeQA().parse("--model=unused", "--flink_conf_dir=" + tmp);
    ServeQA.configureRunner(options);
    FlinkPipelineOptions flink = options.as(FlinkPipelineOptions.class);
    assertEquals(-1, flink.getCheckpointingInterval());
    // What Beam's runner then does: a local environment from that configuration, no interval of its own.
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1,
        ServeQA.flinkConfiguration(flink));
    assertEquals(7000, env.getCheckpointConfig().getCheckpointInterval());

    ServeQaOptions given = new ServeQA().parse("--model=unused", "--flink_conf_dir=" + tmp,
        "--checkpointing_interval=500");
    ServeQA.configureRunner(given);
    assertEquals(500, given.as(FlinkPipelineOptions.class).getCheckpointingInterval());
  }

  @Test
  void withoutAnyIntervalTheJobCheckpointsEveryTwoSeconds() throws Exception {
    assumeTrue(System.getenv("FLINK_CONF_DIR") == null, "skipped: FLINK_CONF_DIR is set here");
    ServeQaOptions options = new ServeQA().parse("--model=unused");
    ServeQA.configureRunner(options);
    assertEquals(ServeQA.DEFAULT_CHECKPOINTING_INTERVAL_MS,
        options.as(FlinkPipelineOptions.class).getCheckpointingInterval());
  }

  /** Bundles last at least 100 ms (the micro-batcher bounds a request's wait), so the runner's timers are rare. */
  @Test
  void bundlesAreLongEnoughToKeepTheRunnersTimersRare() throws Exception {
    ServeQaOptions options = new ServeQA().parse("--model=unused", "--max_batch_wait_ms=10");
    ServeQA.configureRunner(options);
    assertEquals(100, options.as(FlinkPipelineOptions.class).getMaxBundleTimeMills());
    assertEquals(16, options.as(FlinkPipelineOptions.class).getMaxBundleSize());
    ServeQaOptions longWait = new ServeQA().parse("--model=unused", "--max_batch_wait_ms=250");
    ServeQA.configureRunner(longWait);
    assertEquals(250, longWait.as(FlinkPipelineOptions.class).getMaxBundleTimeMills());
  }

  @Test
  void aNewConsumerGroupStartsAtTheEndUnlessToldOrTheTopicIsNew() {
    assertEquals("latest", ServeQA.offsetReset(false, false));
    assertEquals("earliest", ServeQA.offsetReset(true, false));
    assertEquals("earliest", ServeQA.offsetReset(false, true), "the in-process broker's topics have no history");
    assertTrue(new ServeQA().parse("--model=unused", "--from_beginning").getFromBeginning());
  }

  @Test
  void theMetricsEndpointKeepsTheFlinkConfigurationAndAddsThePrometheusReporter() throws Exception {
    Files.writeString(tmp.resolve(GlobalConfiguration.LEGACY_FLINK_CONF_FILENAME),
        ServeQA.FLINK_CHECKPOINTING_INTERVAL + ": 7 s\n");
    int port = ServeQATest.freePort();
    ServeQaOptions options = new ServeQA().parse("--model=unused", "--flink_conf_dir=" + tmp,
        "--metrics_port=" + port);
    ServeQA.configureRunner(options);
    Configuration used = ServeQA.flinkConfiguration(options.as(FlinkPipelineOptions.class));
    assertEquals("7 s", used.toMap().get(ServeQA.FLINK_CHECKPOINTING_INTERVAL));
    assertEquals(String.valueOf(port), used.toMap().get("metrics.reporter.prom.port"));
    assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
        used.toMap().get("metrics.reporter.prom.factory.class"));
  }

  @Test
  void aModelFailureIsLoggedOncePerCause() {
    IllegalStateException outOfMemory = new IllegalStateException("OOM when allocating tensor 7");
    assertTrue(AnswerRequestsFn.logModelFailure("m", outOfMemory, 4), "first time: logged");
    assertFalse(AnswerRequestsFn.logModelFailure("m", new IllegalStateException("OOM when allocating tensor 7"), 2),
        "the same class and message again: not logged");
    assertTrue(AnswerRequestsFn.logModelFailure("m", new IllegalStateException("session closed"), 1));
    assertTrue(AnswerRequestsFn.logModelFailure("m", new IllegalArgumentException("OOM when allocating tensor 7"), 1),
        "another class is another cause");
  }

  @Test
  void aMetricsPortInUseOrOnAClusterIsRefusedWithWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      UsageException inUse = assertThrows(UsageException.class, () -> ServeQA.configureRunner(
          new ServeQA().parse("--model=unused", "--metrics_port=" + taken.getLocalPort())));
      assertTrue(inUse.getMessage().contains("is in use"), inUse.getMessage());
    }
    UsageException cluster = assertThrows(UsageException.class, () -> ServeQA.configureRunner(
        new ServeQA().parse("--model=unused", "--metrics_port=9249", "--flink_master=jobmanager:8081")));
    assertTrue(cluster.getMessage().contains("the cluster's Flink configuration"), cluster.getMessage());
  }
}
