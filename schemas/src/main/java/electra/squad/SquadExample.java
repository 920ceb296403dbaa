package electra.squad;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;

/**
 * One SQuAD question with its paragraph, as the JSON holds it.
 *
 * @param id the question id ({@code qas[].id}), the key of prediction files
 * @param title the article's title
 * @param question the question text
 * @param context the paragraph the answer comes from
 * @param answers gold answers; SQuAD 1.1 dev has up to several per question, an unanswerable 2.0 question none
 * @param isImpossible SQuAD 2.0's {@code is_impossible}; false where the file has no such field (1.1)
 * @param plausibleAnswers SQuAD 2.0's {@code plausible_answers} of an unanswerable question, else empty
 *
 * <p>Serializable so that pipelines can pass examples between workers.
 */
public record SquadExample(String id, String title, String question, String context, List<Answer> answers,
    boolean isImpossible, List<Answer> plausibleAnswers) implements Serializable {

  /**
   * One answer span.
   *
   * @param text the answer as written in the context
   * @param answerStart where it starts in the context, counted in Python characters (code points), not in Java
   *     chars: the two differ after any character outside the Basic Multilingual Plane
   */
  public record Answer(String text, int answerStart) implements Serializable {
    public Answer {
      Objects.requireNonNull(text, "text");
      if (answerStart < 0) {
        throw new IllegalArgumentException("answer_start must not be negative, got " + answerStart);
      }
    }
  }

  public SquadExample {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(question, "question");
    Objects.requireNonNull(context, "context");
    answers = List.copyOf(answers);
    plausibleAnswers = List.copyOf(plausibleAnswers);
    // SQuAD 2.0 keeps the spans a crowd worker found for an unanswerable question apart, in plausible_answers;
    // gold answers there would make the question both answerable and not.
    if (isImpossible && !answers.isEmpty()) {
      throw new IllegalArgumentException("question " + id + " is_impossible but has " + answers.size() + " answers");
    }
  }

  /** The gold answer texts, in file order, as the official scripts collect them. */
  public List<String> answerTexts() {
    return answers.stream().map(Answer::text).toList();
  }
}
