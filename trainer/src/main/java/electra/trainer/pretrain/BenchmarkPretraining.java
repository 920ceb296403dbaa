package electra.trainer.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.beam.ShardFiles;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.model.ModelChoice;
import electra.records.ShardManifest;
import electra.tokenization.VocabularyResolver;
import electra.trainer.runtime.DataPosition;
import electra.trainer.runtime.OpProfile;
import electra.trainer.runtime.OptimizerKind;
import electra.trainer.runtime.SessionConfigs;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.tensorflow.proto.ConfigProto;

/**
 * The {@code BenchmarkPretraining} job (NVIDIA's {@code benchmark_pretraining.sh}): times full pre-training steps
 * (generator + discriminator forward, backward, optimizer update) of a preset model on synthetic or shard input,
 * after a few untimed warm-up steps, and reports the median sequences per second and a Markdown table row; with
 * {@code --matmul_floor} also the step's matrix products timed alone ({@link MatrixProducts}).
 */
public final class BenchmarkPretraining implements Job {

  /** What a benchmark measured; {@code matmulFloor}: the step's matrix products timed alone (empty without it). */
  public record Result(String model, int seqLength, int batch, String precision, boolean xla, String optimizer,
      int intraOpThreads, int interOpThreads, List<Double> stepSeconds, double medianSeconds, double sequencesPerSecond,
      List<MatrixProducts.Timing> matmulFloor) {

    public String markdownRow() {
      return String.format(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s | %.1f | %.2f |", model, seqLength, batch,
          precision, xla ? "yes" : "no", optimizer, threads(intraOpThreads) + "/" + threads(interOpThreads),
          medianSeconds * 1000, sequencesPerSecond);
    }

    /** "default" for 0 threads (TensorFlow's choice), else the count. */
    public static String threads(int n) {
      return n == 0 ? "default" : String.valueOf(n);
    }

    public static String markdownHeader() {
      return "| model | seq | batch | precision | XLA | optimizer | threads intra/inter | median ms/step | seq/s |\n"
          + "|---|---|---|---|---|---|---|---|---|";
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream out;

  public BenchmarkPretraining() {
    this(System.out);
  }

  public BenchmarkPretraining(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "BenchmarkPretraining";
  }

  @Override
  public String description() {
    return "time pre-training steps (synthetic or shard input) and report median sequences/s";
  }

  /** What one benchmark runs: Google's configure_pretraining.py names, one line each. */
  record Settings(
      ModelChoice model,
      @Flag(value = "generator width as a multiple of the discriminator's", defaultValue = "0.25")
      double generatorHiddenSize,
      @Flag(value = "tokens per sequence: 128 (phase 1) or 512 (phase 2)", defaultValue = "128")
      int maxSeqLength,
      @Flag(value = "sequences per step", defaultValue = "8")
      int trainBatchSize,
      @Flag(value = "automatic mixed precision (bf16 on CPU, fp16 with loss scaling on GPU)", defaultValue = "false")
      boolean amp,
      @Flag(value = "XLA JIT compilation", defaultValue = "false")
      boolean xla,
      @Flag(value = "untimed steps first", defaultValue = "3")
      int warmupSteps,
      @Flag(value = "timed steps", defaultValue = "10")
      int steps,
      @Flag(value = "traced steps after the timed ones: prints the time by op type (tracing slows steps; read shares)",
          defaultValue = "0")
      int profileSteps,
      @Flag(value = "micro-batches summed into one optimizer step; every timed step is one micro-batch",
          defaultValue = "1")
      int gradientAccumulationSteps,
      @Flag(value = "also time the matrix products of a step alone (shapes from the training graph, one after another, "
          + "same threads and passes) and the sequences/s they alone would allow", defaultValue = "false")
      boolean matmulFloor,
      @Flag(value = "the update rule: NVIDIA's LAMB or Google's AdamW", defaultValue = "lamb")
      OptimizerKind optimizer,
      @Flag("shard folder with manifest.json; synthetic input when absent")
      String pretrainTfrecords,
      @Flag(value = "vocabulary of the shards (only with --pretrain_tfrecords)",
          defaultValue = VocabularyResolver.BERT_BASE_UNCASED)
      String vocabFile,
      @Flag(value = "TensorFlow threads inside one op; 0 = TensorFlow's default (all cores)", defaultValue = "0")
      int intraOpThreads,
      @Flag(value = "TensorFlow ops run side by side; 0 = TensorFlow's default", defaultValue = "0")
      int interOpThreads,
      @Flag(value = "seed of weights, input and masking", defaultValue = "12439")
      long seed,
      @Flag("also write the result as JSON here")
      Path jsonOut) {

    Settings {
      if (maxSeqLength < 8) {
        throw new UsageException("--max_seq_length must be at least 8, got " + maxSeqLength);
      }
      if (warmupSteps < 0) {
        throw new UsageException("--warmup_steps must be >= 0, got " + warmupSteps);
      }
      if (steps < 1) {
        throw new UsageException("--steps must be >= 1, got " + steps);
      }
      if (profileSteps < 0) {
        throw new UsageException("--profile_steps must be >= 0, got " + profileSteps);
      }
      if (intraOpThreads < 0 || interOpThreads < 0) {
        throw new UsageException("--intra_op_threads and --inter_op_threads must be >= 0, got " + intraOpThreads
            + " and " + interOpThreads);
      }
      if (matmulFloor && xla) {
        throw new UsageException("--matmul_floor times TensorFlow's own kernels; run it without --xla");
      }
      if (pretrainTfrecords != null && pretrainTfrecords.isBlank()) {
        pretrainTfrecords = null;
      }
    }

    boolean synthetic() {
      return pretrainTfrecords == null;
    }

    /** Pre-training's own settings for these steps: its parser applies its defaults and checks. */
    PretrainConfig pretrainConfig() {
      return PretrainConfig.parse(
          "--pretrain_tfrecords=" + (synthetic() ? "synthetic" : pretrainTfrecords),
          model.modelConfig() != null ? "--model_config=" + model.modelConfig() : "--model_size=" + model.modelSize(),
          "--generator_hidden_size=" + generatorHiddenSize, "--max_seq_length=" + maxSeqLength,
          "--train_batch_size=" + trainBatchSize, "--gradient_accumulation_steps=" + gradientAccumulationSteps,
          "--num_train_steps=" + (warmupSteps + steps),
          "--num_warmup_steps=0", "--optimizer=" + optimizer, "--seed=" + seed, "--vocab_file=" + vocabFile,
          "--amp=" + amp, "--xla=" + xla);
    }
  }

  public static Flags flags() {
    return Flags.forJob("BenchmarkPretraining", "pre-training throughput: median sequences/s over timed steps")
        .example("./electra BenchmarkPretraining --model_size=small --max_seq_length=128 --train_batch_size=8")
        .example("./electra BenchmarkPretraining --model_size=base --max_seq_length=512 --train_batch_size=4 --amp")
        .example("./electra BenchmarkPretraining --model_size=small --optimizer=adam --profile_steps=3")
        .example("./electra BenchmarkPretraining --model_size=small --optimizer=adam --matmul_floor")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    Result r = run(settings);
    out.println(Result.markdownHeader());
    out.println(r.markdownRow());
    if (settings.jsonOut() != null) {
      ObjectNode node = JSON.valueToTree(r);
      Files.writeString(settings.jsonOut(), JSON.writeValueAsString(node));
    }
  }

  /** Op types listed one per row in a profile; the rest share a row. */
  private static final int PROFILE_ROWS = 20;

  private Result run(Settings settings) throws Exception {
    PretrainConfig c = settings.pretrainConfig();
    int length = c.maxSeqLength();
    int warmup = settings.warmupSteps();
    int steps = settings.steps();
    boolean synthetic = settings.synthetic();
    int batch = c.trainBatchSize();
    int accumulation = c.gradientAccumulationSteps();
    int maxPredictions = c.maxPredictionsPerSeq(length);
    Masking.SpecialIds special = new Masking.SpecialIds(101, 102, 103, 0);
    boolean gpu = c.amp() && SessionConfigs.gpuAvailable();
    int intra = settings.intraOpThreads();
    int inter = settings.interOpThreads();
    String precision = c.amp() ? (gpu ? "amp fp16" : "amp bf16") : "fp32";
    String model = settings.model().label();
    out.printf(Locale.ROOT, "BenchmarkPretraining: %s (discriminator %s, generator %s), %d tokens, batch %d, %s%s, "
            + "%s, %s input, %d warm-up + %d timed steps%s%n", model, c.discriminator(), c.generator(), length, batch,
        precision, c.xla() ? ", xla" : "", c.optimizer().name().toLowerCase(Locale.ROOT),
        synthetic ? "synthetic" : "shard", warmup, steps,
        accumulation > 1 ? ", " + accumulation + " micro-batches an optimizer step" : "");

    List<Double> times = new ArrayList<>();
    List<MatrixProducts.Product> products = List.of();
    try (PretrainingGraph graph = new PretrainingGraph(c, c.amp() && gpu,
        SessionConfigs.training(c.amp(), c.xla(), gpu, intra, inter))) {
      graph.initialize();
      Prefetcher prefetch = null;
      ShardStream stream = null;
      MaskedBatch fixed = null;
      try {
        if (synthetic) {
          fixed = syntheticBatch(batch, length, maxPredictions, c.maskProb(), special, c.seed());
        } else {
          ShardFiles.use(c.objectStores());
          ShardManifest manifest = ShardStream.readManifest(c.pretrainTfrecords());
          if (manifest.maxSeqLength() != length) {
            throw new UsageException("--max_seq_length " + length + " but the shards in " + c.pretrainTfrecords()
                + " hold sequences of " + manifest.maxSeqLength() + " tokens");
          }
          stream = new ShardStream(c.pretrainTfrecords(), manifest, c.seed(), DataPosition.START);
          prefetch = new Prefetcher(stream, batch, length, maxPredictions, c.maskProb(), special, c.seed(), 0,
              c.prefetchBatches());
        }
        for (int i = 0; i < warmup + steps; i++) {
          MaskedBatch b = synthetic ? fixed : prefetch.take().batch();
          long t0 = System.nanoTime();
          PretrainingGraph.StepResult r = graph.step(b, 1e-4, (i + 1) % accumulation == 0, i);
          double dt = (System.nanoTime() - t0) / 1e9;
          if (i == 0 && c.xla()) {
            out.println(graph.xlaClusters().requireCompiled());
          }
          out.printf(Locale.ROOT, "%s step %d: %.1f ms, %.2f seq/s, loss %.3f%n", i < warmup ? "warm-up" : "timed",
              i < warmup ? i + 1 : i - warmup + 1, dt * 1000, batch / dt, r.total());
          if (i >= warmup) {
            times.add(dt);
          }
        }
        if (settings.profileSteps() > 0) {
          OpProfile profile = new OpProfile();
          graph.profileOps(profile);
          for (int i = warmup + steps; i < warmup + steps + settings.profileSteps(); i++) {
            graph.step(synthetic ? fixed : prefetch.take().batch(), 1e-4, (i + 1) % accumulation == 0, i);
          }
          out.print(profile.markdown(PROFILE_ROWS));
        }
        if (settings.matmulFloor()) {
          products = graph.matrixProducts(synthetic ? fixed : prefetch.take().batch());
        }
      } finally {
        if (prefetch != null) {
          prefetch.close();
        }
        if (stream != null) {
          stream.close();
        }
      }
    }
    double median = median(times);
    out.printf(Locale.ROOT, "median %.1f ms/step, %.2f sequences/s (min %.1f ms, max %.1f ms)%n", median * 1000,
        batch / median, times.stream().mapToDouble(Double::doubleValue).min().orElseThrow() * 1000,
        times.stream().mapToDouble(Double::doubleValue).max().orElseThrow() * 1000);
    List<MatrixProducts.Timing> floor = settings.matmulFloor()
        ? matmulFloor(products, c.amp() ? (gpu ? MatrixProducts.Precision.FP16 : MatrixProducts.Precision.BF16) : null,
            SessionConfigs.training(false, false, gpu, intra, inter), Math.max(1, warmup), steps, batch, median)
        : List.of();
    return new Result(model, length, batch, precision, c.xla(), c.optimizer().name().toLowerCase(Locale.ROOT), intra,
        inter, times, median, batch / median, floor);
  }

  /**
   * Times the step's matrix products alone, in fp32 and, with {@code --amp}, in {@code mixed} as well (inputs held
   * in that type: the products without the casts), and prints what they allow against the timed steps' median.
   */
  private List<MatrixProducts.Timing> matmulFloor(List<MatrixProducts.Product> products,
      MatrixProducts.Precision mixed, ConfigProto config, int warmup, int runs, int batch, double stepSeconds) {
    long flops = products.stream().mapToLong(MatrixProducts.Product::flops).sum();
    Map<String, Long> byOp = new TreeMap<>();
    products.forEach(p -> byOp.merge(p.op(), 1L, Long::sum));
    out.printf(Locale.ROOT, "matrix products of a step (from the training graph): %d %s, %.3f GFLOP, %.3f GFLOP a "
        + "sequence%n", products.size(), byOp, flops / 1e9, flops / 1e9 / batch);
    List<MatrixProducts.Timing> timings = new ArrayList<>();
    for (MatrixProducts.Precision p : mixed == null ? List.of(MatrixProducts.Precision.FP32)
        : List.of(MatrixProducts.Precision.FP32, mixed)) {
      MatrixProducts.Timing t = MatrixProducts.time(products, p, config, warmup, runs);
      timings.add(t);
      out.print(t.markdown(PROFILE_ROWS));
      double seconds = t.all().medianSeconds();
      out.printf(Locale.ROOT, "%s products alone: %.1f ms a step, at most %.2f sequences/s, %.1f GFLOP/s (%.0f%% of "
              + "the %d³ product's %.1f)%n", p.label(), seconds * 1000, batch / seconds, t.all().gflopsPerSecond(),
          100 * t.all().gflopsPerSecond() / t.reference().gflopsPerSecond(), MatrixProducts.REFERENCE_SIDE,
          t.reference().gflopsPerSecond());
    }
    MatrixProducts.Timing last = timings.get(timings.size() - 1);
    out.printf(Locale.ROOT, "the timed steps (%s): %.1f ms, of which %.1f ms outside the products%s%n",
        mixed == null ? "fp32" : "amp " + mixed.label(), stepSeconds * 1000,
        (stepSeconds - last.all().medianSeconds()) * 1000,
        mixed == null ? "" : String.format(Locale.ROOT, "; %s products take %.2f of fp32's time", mixed.label(),
            last.all().medianSeconds() / timings.get(0).all().medianSeconds()));
    return timings;
  }

  /** [CLS] A [SEP] B [SEP] of random word ids, no padding, masked like a real batch. */
  static MaskedBatch syntheticBatch(int batch, int length, int maxPredictions, double maskProb,
      Masking.SpecialIds special, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] ids = new int[batch * length];
    int[] mask = new int[batch * length];
    int[] seg = new int[batch * length];
    Arrays.fill(mask, 1);
    for (int b = 0; b < batch; b++) {
      int row = b * length;
      int mid = length / 2;
      for (int t = 0; t < length; t++) {
        ids[row + t] = 1996 + random.nextInt(28000);
        seg[row + t] = t > mid ? 1 : 0;
      }
      ids[row] = special.cls();
      ids[row + mid] = special.sep();
      ids[row + length - 1] = special.sep();
    }
    return Masking.mask(ids, mask, seg, batch, length, maxPredictions, maskProb, special, Masking.randomFor(seed, 0));
  }

  /** The median of timings (shared by the benchmark jobs). */
  public static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** The q-th percentile (0..100) with linear interpolation between ranks (numpy's default, as the peer). */
  public static double percentile(List<Double> values, double q) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (v.length == 1) {
      return v[0];
    }
    double pos = (v.length - 1) * q / 100.0;
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, v.length - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  }
}
