package electra.serving;

import static electra.cli.UsageException.require;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.export.ClassifierExport;
import electra.export.InferenceEngine;
import electra.tagging.Chunks;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The {@code Infer} job, one input with an export. {@code --task=qa} (the default) answers one question about one
 * context with an ExportModel folder and prints the answer, its score and its character offsets (code points, end
 * exclusive), or, for a SQuAD 2.0 model whose null odds exceed the export's threshold, "no answer"; long contexts are
 * windowed as in evaluation. {@code --task=classify} gives a sentence's (or a pair's) classes by probability, or a
 * regression's score, with FinetuneGlue's {@code --export_dir}; {@code --task=tag} tags each word of a sentence and
 * lists the chunks, with FinetuneTagging's. The last line gives the time and the engine that ran the model: the
 * default {@code --engine=auto} picks ONNX Runtime for a QA export with {@code model.onnx}, else TensorFlow.
 */
public final class Infer implements Job {

  /** What {@code Infer} does with the export. */
  public enum Task { QA, CLASSIFY, TAG }

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
    return "answers one question about one context (QA export), classifies a sentence or pair, or tags a sentence";
  }

  /** The model, the input, and the limits {@code Infer} answers within. */
  record Settings(
      @Flag(value = "the export folder (ExportModel --output_dir; FinetuneGlue or FinetuneTagging --export_dir)",
          required = true)
      Path model,
      @Flag(value = "qa answers --question about --context; classify gives the classes of --text (and --text_b); tag "
          + "tags the words of --text", defaultValue = "qa")
      Task task,
      @Flag("qa: the question")
      String question,
      @Flag("qa: the text to find the answer in")
      String context,
      @Flag("classify: the sentence (the first of a pair); tag: the sentence, words separated by spaces")
      String text,
      @Flag("classify: the pair's second sentence")
      String textB,
      @Flag(value = "what runs the model: TensorFlow (the export's SavedModel), ONNX Runtime (its model.onnx; qa "
          + "only), or auto: ONNX Runtime when the export has a model.onnx, else TensorFlow (classify and tag exports "
          + "have none)", defaultValue = "auto")
      InferenceEngine engine,
      RequestLimits limits) {

    Settings {
      switch (task) {
        case QA -> {
          require(question != null && context != null, "--task=qa needs --question and --context");
          require(text == null && textB == null, "--text and --text_b are for --task=classify or tag");
        }
        case CLASSIFY -> require(text != null && question == null && context == null,
            "--task=classify needs --text (and --text_b for a pair), not --question or --context");
        case TAG -> require(text != null && textB == null && question == null && context == null,
            "--task=tag needs --text only");
      }
      require(task == Task.QA || engine != InferenceEngine.ONNXRUNTIME, "--engine=onnxruntime runs QA exports only: "
          + "classifier exports have a SavedModel, no model.onnx (leave --engine out, or give auto or tensorflow)");
    }
  }

  static Flags flags() {
    return Flags.forJob("Infer", "answers one question about one context with an exported QA model, classifies a "
            + "sentence or a pair, or tags a sentence, with an export")
        .example("./electra Infer --model=/tmp/qa-export --question=\"What food does Harry like?\" "
            + "--context=\"My name is Harry and I grew up in Canada. I love apples.\"")
        .example("./electra Infer --task=classify --model=runs/glue/mrpc-export --text=\"He said so.\" "
            + "--text_b=\"So he said.\"")
        .example("./electra Infer --task=tag --model=runs/ner-export --text=\"Harry grew up in Canada .\"")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws Exception {
    Settings settings = flags().parse(args).record(Settings.class);
    switch (settings.task()) {
      case QA -> answer(settings);
      case CLASSIFY, TAG -> label(settings);
    }
  }

  private void answer(Settings settings) throws Exception {
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
      out.printf("windows: %d, %.1f ms on %s%n", a.windows(), ms, model.engine().id());
    }
  }

  /** Classifies or tags {@code --text}; an export of the other kind is refused in one line. */
  private void label(Settings settings) throws Exception {
    try (ClassifierModel model = ClassifierModel.load(settings.model())) {
      String kind = model.export().kind().architecture();
      long t0 = System.nanoTime();
      if (settings.task() == Task.CLASSIFY) {
        if (model.export().kind() != ClassifierExport.Kind.SEQUENCE) {
          throw new UsageException(settings.model() + " holds an " + kind + ": use --task=tag");
        }
        ClassifierModel.Classification c = model.classify(settings.text(), settings.textB());
        if (c.score() != null) {
          out.printf(Locale.ROOT, "score: %.4f%n", c.score());
        } else {
          out.println("label: " + c.classes().get(0).label());
          for (ClassifierModel.Scored s : c.classes()) {
            out.printf(Locale.ROOT, "  %s %.4f%n", s.label(), s.probability());
          }
        }
      } else {
        if (model.export().kind() != ClassifierExport.Kind.TOKEN) {
          throw new UsageException(settings.model() + " holds an " + kind + ": use --task=classify");
        }
        List<String> words = Arrays.stream(settings.text().strip().split("\\s+")).filter(w -> !w.isEmpty())
            .toList();
        List<ClassifierModel.Scored> tags = model.tag(words);
        List<String> labels = new ArrayList<>();
        for (int w = 0; w < words.size(); w++) {
          String label = w < tags.size() ? tags.get(w).label() : "O";
          labels.add(label);
          out.printf(Locale.ROOT, "%s\t%s%s%n", words.get(w), label, w < tags.size()
              ? String.format(Locale.ROOT, "\t%.4f", tags.get(w).probability()) : "\t(beyond the model's tokens)");
        }
        out.println("chunks: " + Chunks.of(labels).stream().map(ch -> ch.type() + " \""
            + String.join(" ", words.subList(ch.start(), ch.end())) + "\"").collect(Collectors.joining(", ")));
      }
      out.printf(Locale.ROOT, "%.1f ms on %s%n", (System.nanoTime() - t0) / 1e6, InferenceEngine.TENSORFLOW.id());
    }
  }
}
