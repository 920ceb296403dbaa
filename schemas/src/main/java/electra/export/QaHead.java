package electra.export;

import java.util.List;
import java.util.Locale;

/**
 * Which QA head a fine-tuned model carries, and the signature outputs an export of it has (the output roles are also
 * the names {@code ExportModel} gives them).
 */
public enum QaHead {
  /** Google's joint head: a beam over starts, ends given each start, and an answerable logit. */
  JOINT(-2.75, List.of(ExportMetadata.START_TOP_LOG_PROBS, ExportMetadata.START_TOP_INDEX,
      ExportMetadata.END_TOP_LOG_PROBS, ExportMetadata.END_TOP_INDEX, ExportMetadata.ANSWERABLE_LOGIT)),
  /** Hugging Face's {@code qa_outputs}: one start and one end logit per token. */
  SIMPLE(0.0, List.of(ExportMetadata.START_LOGITS, ExportMetadata.END_LOGITS));

  private final double defaultNullScoreDiffThreshold;
  private final List<String> outputRoles;

  QaHead(double defaultNullScoreDiffThreshold, List<String> outputRoles) {
    this.defaultNullScoreDiffThreshold = defaultNullScoreDiffThreshold;
    this.outputRoles = outputRoles;
  }

  /**
   * v2.0's default "no answer" threshold on the head's null odds: [G]'s -2.75 for the joint head's answerable
   * logit, BERT's 0.0 for the simple head's null-minus-best-span logits.
   */
  public double defaultNullScoreDiffThreshold() {
    return defaultNullScoreDiffThreshold;
  }

  /** The signature outputs this head has, by role. */
  public List<String> outputRoles() {
    return outputRoles;
  }

  /** {@code joint} or {@code simple}, as flags and {@code export.json} spell it. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** {@code joint} or {@code simple}, in any case. */
  public static QaHead parse(String id) {
    for (QaHead h : values()) {
      if (h.id().equalsIgnoreCase(id.strip())) {
        return h;
      }
    }
    throw new IllegalArgumentException("unknown QA head '" + id + "', expected joint or simple");
  }
}
