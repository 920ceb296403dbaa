package electra.serving;

import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
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

  static Flags flags() {
    RequestLimits d = RequestLimits.DEFAULTS;
    return Flags.forJob("Infer", "answers one question about one context with an exported QA model")
        .text("model", null, "the export folder (ExportModel --output_dir)")
        .text("question", null, "the question")
        .text("context", null, "the text to find the answer in")
        .integer("max_question_chars", d.maxQuestionChars(), "longest question, in characters")
        .integer("max_question_tokens", d.maxQuestionTokens(),
            "longest question, in WordPieces; 0: the model's max_query_length")
        .integer("max_context_chars", d.maxContextChars(), "longest context, in characters")
        .integer("max_windows", d.maxWindows(), "most windows a long context may be cut into")
        .example("Infer --model=/tmp/qa-export --question=\"What food does Harry like?\" "
            + "--context=\"My name is Harry and I grew up in Canada. I love apples.\"");
  }

  @Override
  public void run(String[] args) throws Exception {
    Flags.Values v = flags().parse(args);
    Path dir = Path.of(v.required("model"));
    String question = v.required("question");
    String context = v.required("context");
    RequestLimits limits;
    try {
      limits = new RequestLimits(v.intValue("max_question_chars"), v.intValue("max_question_tokens"),
          v.intValue("max_context_chars"), v.intValue("max_windows"));
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    try (QaModel model = QaModel.load(dir)) {
      QaAnswerer answerer = new QaAnswerer(model, limits);
      long t0 = System.nanoTime();
      QaAnswerer.Answer a;
      try {
        a = answerer.answer("cli", question, context);
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
