package electra.squad;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Which official evaluation script a dataset is scored with. */
public enum SquadVersion {
  /** {@code evaluate-v1.1.py}: every question has an answer; missing predictions score 0. */
  V1_1("1.1"),
  /** {@code evaluate-v2.0.py}: unanswerable questions, {@code ""} predicts "no answer". */
  V2_0("2.0");

  private final String number;

  SquadVersion(String number) {
    this.number = number;
  }

  /** {@code 1.1} or {@code 2.0}. */
  public String number() {
    return number;
  }

  /** {@code 1.1}, {@code v1.1}, {@code 2.0} or {@code v2.0}. */
  public static SquadVersion parse(String text) {
    return find(text).orElseThrow(
        () -> new IllegalArgumentException("unknown SQuAD version '" + text + "', expected 1.1 or 2.0"));
  }

  /**
   * The version a dataset says it is ({@code "1.1"} in v1.1 files, {@code "v2.0"} in v2.0 files); for a file
   * without a known version field, 2.0 when its questions carry {@code is_impossible}, else 1.1.
   */
  public static SquadVersion of(SquadDataset dataset) {
    return dataset.version().flatMap(SquadVersion::find)
        .orElse(dataset.declaresImpossible() ? V2_0 : V1_1);
  }

  private static Optional<SquadVersion> find(String text) {
    String number = text.strip().toLowerCase(Locale.ROOT);
    String withoutV = number.startsWith("v") ? number.substring(1) : number;
    return Arrays.stream(values()).filter(v -> v.number.equals(withoutV)).findFirst();
  }
}
