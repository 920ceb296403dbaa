package electra.tagging;

import electra.cli.UsageException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The token tagging tasks: named entities in CoNLL-2003's layout ({@code word POS chunk NER}, IOB1 or BIO2 tags) and
 * Google's chunking task (CoNLL-2000's {@code word POS chunk}). Both are scored by chunks as conlleval counts them;
 * the model is trained on the chunks tagged BIO2, whatever scheme the file uses. Files: {@code train.txt},
 * {@code dev.txt} (CoNLL-2003's {@code valid.txt} is read when there is no {@code dev.txt}) and {@code test.txt}.
 */
public enum TaggingTask {
  NER("ner", "CoNLL-2003-style named entities"),
  CHUNK("chunk", "CoNLL-2000 chunking");

  /** Google's fine-tuning epochs for its tagging task (configure_finetuning.py's default), and Hugging Face's. */
  private static final int EPOCHS = 3;

  private final String id;
  private final String description;

  TaggingTask(String id, String description) {
    this.id = id;
    this.description = description;
  }

  public static TaggingTask parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(t -> t.id.equals(wanted)).findFirst().orElseThrow(() ->
        new UsageException("unknown tagging task '" + name + "': one of " + Arrays.stream(values())
            .map(TaggingTask::id).toList()));
  }

  public String id() {
    return id;
  }

  public String description() {
    return description;
  }

  public int epochs() {
    return EPOCHS;
  }

  /** A split's file in {@code dir}: {@code <split>.txt}, and for dev CoNLL-2003's {@code valid.txt} if present. */
  public static Path file(Path dir, String split) {
    Path file = dir.resolve(split + ".txt");
    Path valid = dir.resolve("valid.txt");
    return split.equals("dev") && !Files.isRegularFile(file) && Files.isRegularFile(valid) ? valid : file;
  }

  /**
   * The labels a model learns from these sentences: O, then B- and I- of every chunk type, types in sorted order
   * (a label's index is its class id).
   */
  public static List<String> labels(List<TaggedSentence> sentences) {
    return Stream.concat(Stream.of("O"), sentences.stream()
        .flatMap(s -> Chunks.of(s.tags()).stream()).map(Chunks.Chunk::type).distinct().sorted()
        .flatMap(type -> Stream.of("B-" + type, "I-" + type))).toList();
  }
}
