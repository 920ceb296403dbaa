package electra.serving;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.export.InferenceEngine;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The {@code Infer} job: answers one question about one context with an exported model and prints the answer,
 * its score and its character offsets (code points, end exclusive), or, for a SQuAD 2.0 model whose null odds
 * exceed the export's threshold, "no answer". Long contexts are windowed as in evaluation.
 */
public final class Infer implements Job {

  private final PrintStream out;

  public Infer() {
    this(System.out);
  }

  public Infer(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "Infer";
  }

  @Override
  public String description() {
    return "answers one question about one context with an exported QA model (ExportModel's folder)";
  }

  /** The model, the question and its context, and the limits {@code Infer} answers within. */
  record Settings(
      @Flag(value = "the export folder (ExportModel --output_dir)", required = true)
      Path model,
      @Flag(value = "the question", required = true)
      String question,
      @Flag(value = "the text to find the answer in", required = true)
      String context,
      @Flag(value = "what runs the model: TensorFlow (the export's SavedModel) or ONNX Runtime (its model.onnx)",
          defaultValue = "tensorflow")
      InferenceEngine engine,
      RequestLimits limits) {}

  static Flags flags() {
    return Flags.forJob("Infer", "answers one question about one context with an exported QA model")
        .example("./electra Infer --model=/tmp/qa-export --question=\"What food does Harry like?\" "
            + "--context=\"My name is Harry and I grew up in Canada. I love apples.\"")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    try (QaModel model = QaModel.load(settings.model(), QaModel.DEFAULT_MAX_BATCH_SIZE, settings.engine())) {
      QaAnswerer answerer = new QaAnswerer(model, settings.limits());
      long t0 = System.nanoTime();
      QaAnswerer.Answer a;
      try {
        a = answerer.answer("cli", settings.question(), settings.context());
      } catch (RejectedRequest e) {
        throw new UsageException("cannot answer: " + e.reason());
      }
      double ms = (System.nanoTime() - t0) / 1e6;
      double threshold = model.metadata().decoding().nullScoreDiffThreshold();
      if (a.answerable()) {
        out.println("answer: " + a.text());
        out.printf("score: %.4f (probability %.4f among the n-best)%n", a.score(), a.probability());
        out.printf("start_char: %d%nend_char: %d%n", a.startChar(), a.endChar());
        a.nullScoreDiff().ifPresent(d -> out.printf("null score diff: %.4f (threshold %.4f)%n", d, threshold));
      } else {
        out.printf("no answer (null score diff %.4f > threshold %.4f)%n", a.nullScoreDiff().orElseThrow(),
            threshold);
      }
      out.printf("windows: %d, %.1f ms%n", a.windows(), ms);
    }
  }
}
