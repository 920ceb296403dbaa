package electra.trainer.finetune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.export.HeadOutputs;
import electra.export.InferenceEngine;
import electra.export.QaHead;
import electra.model.ElectraConfig;
import electra.model.ModelChoice;
import electra.trainer.onnx.OnnxQaModel;
import electra.trainer.onnx.OnnxRuntimeSession;
import electra.trainer.pretrain.BenchmarkPretraining;
import electra.trainer.runtime.OptimizerGraph;
import electra.trainer.runtime.SessionConfigs;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The {@code BenchmarkSquad} job (NVIDIA's {@code benchmark_squad.sh}). {@code --mode=train}: fine-tuning steps of
 * the QA model (forward, backward, Adam update) at 384 tokens, median sequences per second after warm-up steps.
 * {@code --mode=eval}: inference of the QA model (the simple {@code qa_outputs} head, as the PyTorch peer's QA
 * benchmark) at each batch size: throughput at the median latency and latency average/p50/p90/p95/p99, in
 * TensorFlow or, with {@code --engine=onnxruntime}, in ONNX Runtime on the model ExportModel would write as
 * {@code model.onnx}. Random weights, synthetic [CLS] A [SEP] B [SEP] windows; the reporting follows
 * {@link BenchmarkPretraining}.
 */
public final class BenchmarkSquad implements Job {

  /** Fine-tuning throughput. */
  public record TrainResult(String model, String head, int seqLength, int batch, String precision,
      int intraOpThreads, int interOpThreads, List<Double> stepSeconds, double medianSeconds,
      double sequencesPerSecond) {

    public String markdownRow() {
      return String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %.1f | %.2f |", model, head, seqLength,
          batch, precision, BenchmarkPretraining.Result.threads(intraOpThreads) + "/"
              + BenchmarkPretraining.Result.threads(interOpThreads), medianSeconds * 1000, sequencesPerSecond);
    }

    public static String markdownHeader() {
      return "| model | head | seq | batch | precision | threads intra/inter | median ms/step | seq/s |\n"
          + "|---|---|---|---|---|---|---|---|";
    }
  }

  /** Inference throughput and latency at one batch size. */
  public record EvalResult(String model, String engine, int seqLength, int batch, String precision,
      int intraOpThreads, int interOpThreads, List<Double> latencySeconds, double averageMs, double p50Ms,
      double p90Ms, double p95Ms, double p99Ms, double sequencesPerSecond) {

    public String markdownRow() {
      return String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |",
          model, engine, seqLength, batch, precision, BenchmarkPretraining.Result.threads(intraOpThreads) + "/"
              + BenchmarkPretraining.Result.threads(interOpThreads), sequencesPerSecond, averageMs, p50Ms, p90Ms,
          p95Ms, p99Ms);
    }

    public static String markdownHeader() {
      return "| model | engine | seq | batch | precision | threads intra/inter | seq/s (at p50) | avg ms | p50 ms "
          + "| p90 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|";
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream out;

  public BenchmarkSquad() {
    this(System.out);
  }

  public BenchmarkSquad(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "BenchmarkSquad";
  }

  @Override
  public String description() {
    return "SQuAD fine-tuning sequences/s (--mode=train) or inference throughput and latency (--mode=eval)";
  }

  /** What to measure. */
  public enum Mode { TRAIN, EVAL }

  /** The benchmark's settings, each declared once as its flag. */
  public record Settings(
      @Flag(value = "train (fine-tuning sequences/s) or eval (inference throughput and latency)", defaultValue = "eval")
      Mode mode,
      ModelChoice model,
      @Flag(value = "train only: simple (qa_outputs) or joint (Google's); eval uses the simple head",
          defaultValue = "simple")
      QaHead head,
      @Flag(value = "tokens per window", defaultValue = "384")
      int maxSeqLength,
      @Flag(value = "train: sequences per step", defaultValue = "8")
      int trainBatchSize,
      @Flag(value = "eval: comma-separated batch sizes (add 256,512 on a GPU)", defaultValue = "1,16")
      String batchSizes,
      @Flag(value = "eval: what runs the model: TensorFlow (the graph) or ONNX Runtime (the model.onnx ExportModel "
          + "would write); not auto, which picks by an export, and a benchmark names the engine it times",
          defaultValue = "tensorflow", choices = {"tensorflow", "onnxruntime"})
      InferenceEngine engine,
      @Flag(value = "automatic mixed precision (bf16 on CPU, fp16 on GPU); TensorFlow only", defaultValue = "false")
      boolean amp,
      @Flag(value = "untimed steps (or inference calls) first", defaultValue = "3")
      int warmupSteps,
      @Flag(value = "timed steps (train) or inference calls per batch size (eval)", defaultValue = "20")
      int steps,
      @Flag(value = "threads inside one op (TensorFlow's and ONNX Runtime's); 0 = the engine's default (all cores)",
          defaultValue = "0")
      int intraOpThreads,
      @Flag(value = "TensorFlow ops run side by side; 0 = TensorFlow's default (ONNX Runtime runs them one by one)",
          defaultValue = "0")
      int interOpThreads,
      @Flag(value = "seed of weights and input", defaultValue = "12439")
      long seed,
      @Flag("also write the results as JSON here")
      Path jsonOut) {

    public Settings {
      if (warmupSteps < 0) {
        throw new UsageException("--warmup_steps must be >= 0, got " + warmupSteps);
      }
      if (steps < 1) {
        throw new UsageException("--steps must be >= 1, got " + steps);
      }
      if (maxSeqLength < 8) {
        throw new UsageException("--max_seq_length must be at least 8, got " + maxSeqLength);
      }
      if (trainBatchSize < 1) {
        throw new UsageException("--train_batch_size must be >= 1, got " + trainBatchSize);
      }
      BenchmarkSquad.batchSizes(batchSizes); // refuses a malformed list now, not after the model is built
      if (engine == InferenceEngine.ONNXRUNTIME && (mode == Mode.TRAIN || amp)) {
        throw new UsageException("--engine=onnxruntime runs fp32 inference: it needs --mode=eval and no --amp");
      }
    }
  }

  public static Flags flags() {
    return Flags.forJob("BenchmarkSquad", "SQuAD benchmarks: fine-tuning throughput or inference latency")
        .example("./electra BenchmarkSquad --mode=train --model_size=small --train_batch_size=8")
        .example("./electra BenchmarkSquad --mode=eval --batch_sizes=1,16 --intra_op_threads=2 --amp")
        .example("./electra BenchmarkSquad --mode=eval --batch_sizes=1,16 --intra_op_threads=2 --inter_op_threads=1 "
            + "--engine=onnxruntime")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings c = flags().parse(args).record(Settings.class);
    int warmup = c.warmupSteps();
    int steps = c.steps();
    int length = c.maxSeqLength();
    ElectraConfig model = c.model().resolve();
    if (length > model.maxPositionEmbeddings()) {
      throw new UsageException("--max_seq_length " + length + " exceeds the model's " + model.maxPositionEmbeddings()
          + " positions");
    }
    String name = c.model().label();
    boolean amp = c.amp();
    boolean gpu = SessionConfigs.gpuAvailable();
    String precision = amp ? (gpu ? "amp fp16" : "amp bf16") : "fp32";
    int intra = c.intraOpThreads();
    int inter = c.interOpThreads();
    var session = SessionConfigs.training(amp, false, gpu, intra, inter);
    long seed = c.seed();
    Object results;
    switch (c.mode()) {
      case TRAIN -> {
        TrainResult r = train(model, name, c.head(), length, c.trainBatchSize(), amp, gpu, precision, session, intra, inter, warmup,
            steps, seed);
        out.println(TrainResult.markdownHeader());
        out.println(r.markdownRow());
        results = r;
      }
      case EVAL -> {
        int[] batches = batchSizes(c.batchSizes());
        List<EvalResult> rs = new ArrayList<>();
        InferenceEngine engine = c.engine();
        out.printf(Locale.ROOT, "BenchmarkSquad eval: %s (%s), simple head, %d tokens, batches %s, %s, %s, "
            + "%d warm-up + %d timed calls each%n", name, model, length, Arrays.toString(batches), engine.id(),
            precision, warmup, steps);
        try (QaGraph graph = new QaGraph(model, QaHead.SIMPLE, 1, null, session)) {
          graph.initialize();
          try (OnnxRuntimeSession onnx = engine == InferenceEngine.ONNXRUNTIME ? new OnnxRuntimeSession(
              OnnxQaModel.of(model, QaHead.SIMPLE, 0, graph::weight), intra) : null) {
            Consumer<Batch> predict = onnx == null ? graph::predict : b -> onnx.run(b.size(), b.length(),
                b.inputIds(), b.inputMask(), b.segmentIds(),
                outputs -> HeadOutputs.windows(QaHead.SIMPLE, outputs, b.size(), b.length()));
            for (int batch : batches) {
              rs.add(eval(predict, name, engine, length, batch, precision, intra, inter, warmup, steps, seed));
            }
          }
        }
        out.println(EvalResult.markdownHeader());
        rs.forEach(r -> out.println(r.markdownRow()));
        results = rs;
      }
      default -> throw new IllegalStateException("unknown mode " + c.mode());
    }
    if (c.jsonOut() != null) {
      Files.writeString(c.jsonOut(), JSON.writeValueAsString(results));
    }
  }

  private TrainResult train(ElectraConfig model, String name, QaHead head, int length, int batch, boolean amp,
      boolean gpu, String precision, org.tensorflow.proto.ConfigProto session, int intra, int inter, int warmup,
      int steps, long seed) {
    out.printf(Locale.ROOT, "BenchmarkSquad train: %s (%s), %s head, %d tokens, batch %d, %s, adam, "
        + "%d warm-up + %d timed steps%n", name, model, head.name().toLowerCase(Locale.ROOT), length, batch, precision,
        warmup, steps);
    OptimizerGraph.Settings settings = OptimizerGraph.Settings.fineTuning(0.01, amp && gpu);
    List<Double> times = new ArrayList<>();
    try (QaGraph graph = new QaGraph(model, head, 20, new QaGraph.Training(settings, 1.0, seed), session)) {
      graph.initialize();
      Batch b = syntheticBatch(batch, length, seed);
      for (int i = 0; i < warmup + steps; i++) {
        long t0 = System.nanoTime();
        float loss = graph.trainStep(b, FinetuneGraph.Step.single(3e-5, i));
        double dt = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "%s step %d: %.1f ms, %.2f seq/s, loss %.3f%n", i < warmup ? "warm-up" : "timed",
            i < warmup ? i + 1 : i - warmup + 1, dt * 1000, batch / dt, loss);
        if (i >= warmup) {
          times.add(dt);
        }
      }
    }
    double median = BenchmarkPretraining.median(times);
    out.printf(Locale.ROOT, "median %.1f ms/step, %.2f sequences/s%n", median * 1000, batch / median);
    return new TrainResult(name, head.name().toLowerCase(Locale.ROOT), length, batch, precision, intra, inter, times,
        median, batch / median);
  }

  private EvalResult eval(Consumer<Batch> predict, String name, InferenceEngine engine, int length, int batch,
      String precision, int intra, int inter, int warmup, int steps, long seed) {
    Batch b = syntheticBatch(batch, length, seed);
    List<Double> lat = new ArrayList<>();
    for (int i = 0; i < warmup + steps; i++) {
      long t0 = System.nanoTime();
      predict.accept(b);
      double dt = (System.nanoTime() - t0) / 1e9;
      if (i >= warmup) {
        lat.add(dt);
      }
    }
    double avg = lat.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    double p50 = BenchmarkPretraining.percentile(lat, 50);
    EvalResult r = new EvalResult(name, engine.id(), length, batch, precision, intra, inter, lat, avg * 1000,
        p50 * 1000, BenchmarkPretraining.percentile(lat, 90) * 1000, BenchmarkPretraining.percentile(lat, 95) * 1000,
        BenchmarkPretraining.percentile(lat, 99) * 1000, batch / p50);
    out.printf(Locale.ROOT, "batch %d: %.2f seq/s, latency avg %.2f p50 %.2f p90 %.2f p95 %.2f p99 %.2f ms%n",
        batch, r.sequencesPerSecond(), r.averageMs(), r.p50Ms(), r.p90Ms(), r.p95Ms(), r.p99Ms());
    return r;
  }

  static int[] batchSizes(String text) {
    try {
      int[] b = Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
          .mapToInt(Integer::parseInt).toArray();
      if (b.length == 0 || Arrays.stream(b).anyMatch(x -> x < 1)) {
        throw new NumberFormatException();
      }
      return b;
    } catch (NumberFormatException e) {
      throw new UsageException("--batch_sizes must be positive integers separated by commas, got '" + text + "'");
    }
  }

  /** [CLS] question [SEP] context [SEP] of random word ids, no padding; answers somewhere in the context. */
  static Batch syntheticBatch(int batch, int length, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Batch.Window> windows = new ArrayList<>();
    int mid = length / 2;
    for (int b = 0; b < batch; b++) {
      int[] ids = new int[length];
      int[] mask = new int[length];
      int[] seg = new int[length];
      Arrays.fill(mask, 1);
      for (int t = 0; t < length; t++) {
        ids[t] = 1996 + random.nextInt(28000);
        seg[t] = t > mid ? 1 : 0;
      }
      ids[0] = 101;
      ids[mid] = 102;
      ids[length - 1] = 102;
      int start = mid + 1 + random.nextInt(length - mid - 3);
      windows.add(new Batch.Window(ids, mask, seg, start, start + 1, false));
    }
    return Batch.of(windows);
  }
}
