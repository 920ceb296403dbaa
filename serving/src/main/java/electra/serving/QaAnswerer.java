package electra.serving;

import electra.serving.RejectedRequest.Cause;
import electra.export.ExportMetadata;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeature;
import electra.squad.QaFeaturizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Question answering end to end for raw requests: validate, featurize (long contexts windowed as in evaluation),
 * run the model over the windows of many questions at once, decode each question with the decoder FinetuneSquad
 * evaluates with, set up as the export says (SQuAD 1.1: the best span; 2.0: the best span or "no answer" by the
 * null odds and the export's threshold). Thread-safe.
 */
public final class QaAnswerer {

  /** A question to answer. */
  public record Question(String id, String question, String context) {
    public Question {
      Objects.requireNonNull(id, "id");
    }
  }

  /**
   * An answer.
   *
   * @param text the span as the decoder prints it (the context's characters); {@code ""} when not answerable
   * @param score start + end score of the best span, what the decoder ranks by (higher is more confident): logits
   *     for the simple head, log-probabilities for the joint head; when not answerable, that of the best span
   *     the null odds beat
   * @param probability softmax of the score over the n-best spans
   * @param startChar where the span starts in the context, in code points; 0 when not answerable
   * @param endChar where it ends, exclusive, in code points; 0 when not answerable
   * @param windows how many windows the context needed
   * @param answerable false when a SQuAD 2.0 model's null odds exceed the export's threshold ("no answer")
   * @param nullScoreDiff the null odds of a SQuAD 2.0 model (what evaluation writes to {@code null_odds.json});
   *     empty for SQuAD 1.1 models
   */
  public record Answer(String id, String text, double score, double probability, int startChar, int endChar,
      int windows, boolean answerable, OptionalDouble nullScoreDiff) {
    public Answer {
      Objects.requireNonNull(nullScoreDiff, "nullScoreDiff");
    }
  }

  /** Either an answer or why there is none. */
  public record Outcome(String id, Answer answer, RejectedRequest rejection) {
    public boolean answered() {
      return answer != null;
    }
  }

  private final QaModel model;
  private final QaFeaturizer featurizer;
  private final AnswerDecoder decoder;
  private final RequestLimits limits;
  private final int maxQuestionTokens;

  /** Decodes as the model's export says ({@code export.json}'s version, threshold, n-best and answer length). */
  public QaAnswerer(QaModel model, RequestLimits limits) {
    this.model = Objects.requireNonNull(model, "model");
    this.limits = Objects.requireNonNull(limits, "limits");
    ExportMetadata m = model.metadata();
    this.featurizer = new QaFeaturizer(model.tokenizer(),
        new QaFeaturizer.Options(m.maxSeqLength(), m.docStride(), m.maxQueryLength()));
    this.decoder = new AnswerDecoder(model.tokenizer(), m.decoding());
    this.maxQuestionTokens = limits.maxQuestionTokens() == 0 ? m.maxQueryLength() : limits.maxQuestionTokens();
  }

  public QaModel model() {
    return model;
  }

  public RequestLimits limits() {
    return limits;
  }

  /** Answers one question, or throws {@link RejectedRequest} saying why it cannot. */
  public Answer answer(String id, String question, String context) {
    Outcome o = answerAll(List.of(new Question(id, question, context))).get(0);
    if (!o.answered()) {
      throw o.rejection();
    }
    return o.answer();
  }

  /** The windows of a question after checking it against the limits, or {@link RejectedRequest}. */
  public List<QaFeature> features(Question q) {
    String id = q.id();
    check(id, "question", q.question(), limits.maxQuestionChars(), "max_question_chars");
    check(id, "context", q.context(), limits.maxContextChars(), "max_context_chars");
    int questionTokens = model.tokenizer().ids(q.question()).length;
    if (questionTokens == 0) {
      throw new RejectedRequest(id, Cause.NO_WORDS, "question has no words");
    }
    if (questionTokens > maxQuestionTokens) {
      throw new RejectedRequest(id, Cause.TOO_LONG, "question too long: " + questionTokens
          + " WordPieces, the limit is " + maxQuestionTokens);
    }
    List<QaFeature> features = featurizer.features(id, q.question(), q.context());
    if (features.isEmpty()) {
      throw new RejectedRequest(id, Cause.NO_WORDS, "context has no words");
    }
    if (features.size() > limits.maxWindows()) {
      throw new RejectedRequest(id, Cause.TOO_MANY_WINDOWS, "context too long: it needs " + features.size()
          + " windows of " + model.metadata().maxSeqLength() + " tokens, the limit is " + limits.maxWindows());
    }
    return features;
  }

  private static void check(String id, String field, String text, int maxChars, String limitName) {
    if (text == null) {
      throw new RejectedRequest(id, Cause.MISSING_FIELD, "missing field \"" + field + "\"");
    }
    if (text.isBlank()) {
      throw new RejectedRequest(id, Cause.EMPTY_FIELD, "empty field \"" + field + "\"");
    }
    int chars = text.codePointCount(0, text.length());
    if (chars > maxChars) {
      throw new RejectedRequest(id, Cause.TOO_LONG, field + " too long: " + chars + " characters, the limit ("
          + limitName + ") is " + maxChars);
    }
  }

  /**
   * Answers many questions with as few model runs as possible: the windows of all of them go through the model
   * together, {@code max_batch_size} at a time. One outcome per question, in order.
   */
  public List<Outcome> answerAll(List<Question> questions) {
    List<List<QaFeature>> perQuestion = new ArrayList<>(questions.size());
    List<QaFeature> all = new ArrayList<>();
    RejectedRequest[] rejected = new RejectedRequest[questions.size()];
    for (int i = 0; i < questions.size(); i++) {
      try {
        List<QaFeature> f = features(questions.get(i));
        perQuestion.add(f);
        all.addAll(f);
      } catch (RejectedRequest e) {
        rejected[i] = e;
        perQuestion.add(List.of());
      }
    }
    stampAll(questions, RequestTimeline.Stage.FEATURIZED);
    List<AnswerDecoder.WindowOutput> outputs = all.isEmpty() ? List.of() : model.predict(all);
    stampAll(questions, RequestTimeline.Stage.PREDICTED);
    List<Outcome> out = new ArrayList<>(questions.size());
    int at = 0;
    for (int i = 0; i < questions.size(); i++) {
      String id = questions.get(i).id();
      if (rejected[i] != null) {
        out.add(new Outcome(id, null, rejected[i]));
        continue;
      }
      List<QaFeature> features = perQuestion.get(i);
      AnswerDecoder.Prediction p = decoder.decode(features, outputs.subList(at, at + features.size()));
      at += features.size();
      out.add(outcome(id, p, features.size()));
    }
    return out;
  }

  private static void stampAll(List<Question> questions, RequestTimeline.Stage stage) {
    if (RequestTimeline.recording()) {
      long now = System.nanoTime();
      questions.forEach(q -> RequestTimeline.stamp(q.id(), stage, now));
    }
  }

  private static Outcome outcome(String id, AnswerDecoder.Prediction p, int windows) {
    if (p.answer().isEmpty()) {
      // v2.0 "no answer": the n-best holds spans only, so its first is the best span the null odds beat.
      AnswerDecoder.Candidate best = p.nbest().get(0);
      return new Outcome(id, new Answer(id, "", (double) best.startLogit() + best.endLogit(), best.probability(), 0,
          0, windows, false, p.nullOdds()), null);
    }
    AnswerDecoder.Candidate best = p.answer().get();
    if (best.span().isEmpty()) {
      return new Outcome(id, null, new RejectedRequest(id, Cause.NO_ANSWER_SPAN,
          "the model found no answer span in the context"));
    }
    AnswerDecoder.AnswerSpan span = best.span().get();
    return new Outcome(id, new Answer(id, best.text(), (double) best.startLogit() + best.endLogit(),
        best.probability(), span.startChar(), span.endChar(), windows, true, p.nullOdds()), null);
  }
}
