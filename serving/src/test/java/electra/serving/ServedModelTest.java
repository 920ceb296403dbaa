package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.export.ExportCheck;
import electra.export.InferenceEngine;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaRecordCoder;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.TupleTagList;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Serving a model repository: swaps under load, refused versions, pinning, waiting for the first version. */
class ServedModelTest {

  private static final Duration NEVER = Duration.ofHours(1);
  private static final RequestLimits LIMITS = new RequestLimits(1000, 0, 2000, 16);

  @TempDir
  Path tmp;

  /** Every model a test's loader loaded, by version folder, to see which were closed. */
  private final Map<Path, QaModel> loaded = new ConcurrentHashMap<>();

  @BeforeAll
  static void export() throws IOException {
    TestModels.export();
  }

  private QaAnswerer load(Path dir) throws IOException {
    QaModel model = QaModel.load(dir, 4, InferenceEngine.TENSORFLOW);
    loaded.put(dir.getFileName(), model);
    return new QaAnswerer(model, LIMITS);
  }

  private ModelRepository repository(int versions) throws IOException {
    ModelRepository repository = ModelRepository.at(tmp.resolve("models"), "tiny-qa");
    for (int i = 0; i < versions; i++) {
      TestModels.publishCopy(repository);
    }
    return repository;
  }

  private static List<QaAnswerer.Question> questions(int thread, int round) {
    List<QaAnswerer.Question> out = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int k = thread + round + i;
      out.add(new QaAnswerer.Question(thread + "-" + round + "-" + i,
          ServeQATest.QUESTIONS[k % ServeQATest.QUESTIONS.length], ServeQATest.CONTEXTS[k % ServeQATest.CONTEXTS.length]));
    }
    return out;
  }

  /** Answers one micro-batch and checks every answer; returns the version that answered. */
  private static long answerAndCheck(ServedModel served, int thread, int round) {
    List<QaAnswerer.Question> qs = questions(thread, round);
    ServedModel.Answers answers = served.answerAll(qs);
    assertEquals(qs.size(), answers.outcomes().size());
    for (int i = 0; i < qs.size(); i++) {
      QaAnswerer.Outcome o = answers.outcomes().get(i);
      assertTrue(o.answered(), "rejected: " + o.rejection());
      String context = qs.get(i).context();
      assertEquals(QaModelTest.span(context, o.answer().startChar(), o.answer().endChar()), o.answer().text());
    }
    return answers.version();
  }

  private static void awaitVersion(ServedModel served, long version) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (served.version() != version && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(version, served.version(), "the background poll swapped in version " + version);
  }

  @Test
  void swapsTwiceWhileFourThreadsAnswerAndClosesEachReplacedModel() throws Exception {
    ModelRepository repository = repository(1);
    ServedModel served = ServedModel.repository(repository, 0, Duration.ofMillis(100), this::load);
    List<List<Long>> seen = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    List<CompletableFuture<Void>> threads = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      assertEquals(1, served.version());
      for (int t = 0; t < 4; t++) {
        int thread = t;
        List<Long> versions = Collections.synchronizedList(new ArrayList<>());
        seen.add(versions);
        threads.add(CompletableFuture.runAsync(() -> {
          for (int round = 0; !stop.get() || versions.isEmpty() || versions.get(versions.size() - 1) < 3; round++) {
            versions.add(answerAndCheck(served, thread, round));
          }
        }, pool));
      }
      Thread.sleep(300);
      TestModels.publishCopy(repository);
      awaitVersion(served, 2);
      Thread.sleep(300);
      TestModels.publishCopy(repository);
      awaitVersion(served, 3);
      Thread.sleep(300);
      stop.set(true);
      for (CompletableFuture<Void> f : threads) {
        f.get(60, TimeUnit.SECONDS); // rethrows any failed answer
      }
    } finally {
      stop.set(true);
      pool.shutdown();
      served.close();
    }
    for (List<Long> versions : seen) {
      for (int i = 1; i < versions.size(); i++) {
        assertTrue(versions.get(i) >= versions.get(i - 1), "a thread went back from version " + versions.get(i - 1)
            + " to " + versions.get(i));
      }
      assertEquals(3L, versions.get(versions.size() - 1));
    }
    assertTrue(seen.stream().anyMatch(v -> v.contains(1L) && v.contains(3L)), "answers before and after the swaps");
    assertEquals(2, served.takeSwaps());
    assertEquals(0, served.takeRefused());
    assertEquals(3, loaded.size());
    loaded.forEach((dir, model) -> assertTrue(model.isClosed(), "version " + dir + " closed"));
  }

  @Test
  void aDamagedVersionIsRefusedOnceAndTheServedOneStays() throws Exception {
    ModelRepository repository = repository(1);
    try (ServedModel served = ServedModel.repository(repository, 0, NEVER, this::load)) {
      truncateVariables(TestModels.publishCopy(repository));
      served.pollNow();
      assertEquals(1, served.version());
      assertEquals(1, served.takeRefused());
      assertEquals(1, answerAndCheck(served, 0, 0));

      // loads, but computes other outputs than its export recorded
      ModelRepository.Version altered = TestModels.publishCopy(repository);
      Path check = altered.dir().resolve(ExportCheck.FILE);
      ExportCheck recorded = ExportCheck.read(altered.dir()).orElseThrow();
      Map<String, float[]> shifted = new HashMap<>();
      recorded.outputs().forEach((name, values) -> {
        float[] copy = values.clone();
        copy[0] += 1;
        shifted.put(name, copy);
      });
      Files.delete(check);
      new ExportCheck(recorded.rows(), recorded.length(), recorded.inputIds(), recorded.inputMask(),
          recorded.segmentIds(), shifted, recorded.indexOutputs(), recorded.tolerance()).write(altered.dir());
      served.pollNow();
      assertEquals(1, served.version());
      assertEquals(1, served.takeRefused(), "version 3 refused, version 2 not tried again");

      served.pollNow(); // refused versions are not tried again
      assertEquals(0, served.takeRefused());
      assertEquals(1, answerAndCheck(served, 1, 1));

      TestModels.publishCopy(repository);
      served.pollNow();
      assertEquals(4, served.version());
      assertEquals(1, served.takeSwaps());
    }
    // started on a repository whose newest versions are damaged, it serves the newest good one
    truncateVariables(repository.version(4));
    try (ServedModel fresh = ServedModel.repository(repository, 0, NEVER, this::load)) {
      assertEquals(1, fresh.version());
      assertEquals(3, fresh.takeRefused());
    }
  }

  /** Cuts a version's variables data file in half, as a disk that filled up or a copy that broke off would. */
  private static void truncateVariables(ModelRepository.Version version) throws IOException {
    Path data;
    try (Stream<Path> files = Files.list(version.dir().resolve("variables"))) {
      data = files.filter(f -> f.getFileName().toString().startsWith("variables.data")).findFirst().orElseThrow();
    }
    // a fresh file: the version's files may be hard links to the export every test copies
    byte[] bytes = Files.readAllBytes(data);
    Files.delete(data);
    Files.write(data, Arrays.copyOf(bytes, bytes.length / 2));
  }

  /** The answering DoFn turns what the served model's background thread did into Beam metrics, once per process. */
  @Test
  void theJobCountsARefusedVersionAsABeamMetricAndAnswersWithTheServedVersion() throws Exception {
    ModelRepository repository = repository(1);
    truncateVariables(TestModels.publishCopy(repository)); // refused when the DoFn's model is opened
    List<KafkaRecord<byte[], byte[]>> requests = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      requests.add(new KafkaRecord<>("qa-requests", 0, i, 0, KafkaTimestampType.NO_TIMESTAMP_TYPE,
          new RecordHeaders(), ("req-" + i).getBytes(StandardCharsets.UTF_8), ServeQATest.request(i)));
    }
    Coder<byte[]> bytes = NullableCoder.of(ByteArrayCoder.of());
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollectionTuple results = p.apply(Create.of(requests).withCoder(KafkaRecordCoder.of(bytes, bytes)))
        .apply(ParDo.of(new AnswerRequestsFn(new SharedAnswerers.Spec(repository.dir(), 0, NEVER, 4,
                InferenceEngine.TENSORFLOW, LIMITS), Duration.ofMillis(10), "tiny-qa", "refused-version-test"))
            .withOutputTags(AnswerRequestsFn.ANSWERS, TupleTagList.of(AnswerRequestsFn.ERRORS)));
    results.get(AnswerRequestsFn.ERRORS).setCoder(KvCoder.of(NullableCoder.of(StringUtf8Coder.of()),
        StringUtf8Coder.of()));
    PAssert.that(results.get(AnswerRequestsFn.ANSWERS).setCoder(KvCoder.of(StringUtf8Coder.of(),
        StringUtf8Coder.of()))).satisfies(answers -> {
          int n = 0;
          for (KV<String, String> a : answers) {
            assertEquals(1, QaMessages.read(a.getValue()).get("model_version").asLong(), a.getValue());
            n++;
          }
          assertEquals(6, n);
          return null;
        });
    PipelineResult result = p.run();
    result.waitUntilFinish();
    MetricQueryResults metrics = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ServeQA.class, "model_versions_refused"))
        .addNameFilter(MetricNameFilter.named(ServeQA.class, "model_version")).build());
    long refused = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      refused += c.getAttempted();
    }
    assertEquals(1, refused, "version 2 refused, counted once");
    long version = -1;
    for (MetricResult<GaugeResult> g : metrics.getGauges()) {
      version = g.getAttempted().getValue();
    }
    assertEquals(1, version);
    MetricQueryResults served = result.metrics().queryMetrics(MetricsFilter.builder()
        .addNameFilter(MetricNameFilter.named(ServeQA.class, "requests"))
        .addNameFilter(MetricNameFilter.named(ServeQA.class, "answers"))
        .addNameFilter(MetricNameFilter.named(ServeQA.class, "batch_size")).build());
    Map<String, Long> counts = new HashMap<>();
    for (MetricResult<Long> c : served.getCounters()) {
      counts.merge(c.getName().getName(), c.getAttempted(), Long::sum);
    }
    assertEquals(Map.of("requests", 6L, "answers", 6L), counts);
    long batched = 0;
    for (MetricResult<DistributionResult> d : served.getDistributions()) {
      batched += d.getAttempted().getSum();
    }
    assertEquals(6, batched, "every request went through one model run");
  }

  @Test
  void aPinnedVersionStaysAndAnExportFolderIsVersionZero() throws Exception {
    ModelRepository repository = repository(3);
    try (ServedModel pinned = ServedModel.repository(repository, 2, NEVER, this::load)) {
      TestModels.publishCopy(repository);
      pinned.pollNow();
      assertEquals(2, pinned.version());
      assertEquals(2, answerAndCheck(pinned, 0, 0));
    }
    IOException missing = assertThrows(IOException.class,
        () -> ServedModel.repository(repository, 9, NEVER, this::load));
    assertTrue(missing.getMessage().contains("has no version 9 (it has [1, 2, 3, 4])"), missing.getMessage());

    SharedAnswerers.Spec folder = SharedAnswerers.Spec.exportFolder(TestModels.export(), 4,
        InferenceEngine.TENSORFLOW, LIMITS);
    ServedModel export = SharedAnswerers.acquire(folder);
    try {
      assertEquals(ServedModel.EXPORT_FOLDER_VERSION, answerAndCheck(export, 0, 0));
    } finally {
      SharedAnswerers.release(export);
    }
    UncheckedIOException pinnedFolder = assertThrows(UncheckedIOException.class, () -> SharedAnswerers.acquire(
        new SharedAnswerers.Spec(TestModels.export(), 2, NEVER, 4, InferenceEngine.TENSORFLOW, LIMITS)));
    assertTrue(pinnedFolder.getMessage().contains("is an export folder"), pinnedFolder.getMessage());
  }

  /**
   * {@code --engine=auto} (ServeQA's default) is decided for each version as it loads: an old version without
   * model.onnx runs on TensorFlow, the newer one swapped in after it on ONNX Runtime, and answers say which.
   */
  @Test
  void autoPicksTheEngineOfEachVersionAsItLoads() throws Exception {
    ModelRepository repository = ModelRepository.at(tmp.resolve("models"), "tiny-qa");
    repository.publishCopy(TestModels.exportWithoutOnnx(tmp.resolve("old-export")),
        ModelEvaluation.unevaluated("", -1, "an export from before model.onnx"));
    try (ServedModel served = new SharedAnswerers.Spec(repository.dir(), 0, NEVER, 4, InferenceEngine.AUTO, LIMITS)
        .open()) {
      assertEquals(1, served.version());
      assertEquals(InferenceEngine.TENSORFLOW, served.engine());
      assertEquals(InferenceEngine.TENSORFLOW, served.answerAll(questions(0, 0)).engine());

      TestModels.publishCopy(repository);
      served.pollNow();
      assertEquals(2, served.version());
      assertEquals(InferenceEngine.ONNXRUNTIME, served.engine());
      ServedModel.Answers answers = served.answerAll(questions(0, 1));
      assertEquals(2, answers.version());
      assertEquals(InferenceEngine.ONNXRUNTIME, answers.engine());
      assertTrue(answers.outcomes().stream().allMatch(QaAnswerer.Outcome::answered), answers.toString());
    }
  }

  @Test
  void anEmptyRepositoryIsWaitedFor() throws Exception {
    ModelRepository repository = ModelRepository.at(tmp.resolve("models"), "later");
    try (ServedModel served = ServedModel.repository(repository, 0, Duration.ofMillis(100), this::load)) {
      assertEquals(-1, served.version());
      ExecutorService client = Executors.newSingleThreadExecutor();
      CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> answerAndCheck(served, 0, 0), client);
      client.shutdown();
      Thread.sleep(300);
      assertFalse(waiting.isDone(), "a request waits for the first version");
      TestModels.publishCopy(repository);
      assertEquals(1L, waiting.get(60, TimeUnit.SECONDS));
      assertEquals(0, served.takeSwaps(), "the first version is no swap");
    }
  }
}
