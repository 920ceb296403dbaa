package electra.trainer.finetune;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.UsageException;
import electra.export.QaHead;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The QA head a FinetuneSquad checkpoint's variables belong to, recorded as {@code finetune.json} in the checkpoint
 * folder so that ExportModel, evaluation and a resumed run read it instead of being told.
 *
 * <p>A file of its own rather than a field of {@code state.json}: state.json is the run position that pre-training
 * shares, and it is read strictly (Jackson refuses unknown fields), so a new field there would make older builds
 * refuse new checkpoints.
 */
public final class FinetunedHead {

  public static final String FILE = "finetune.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private FinetunedHead() {}

  /** The head FinetuneGlue records, with the task whose labels its outputs are. */
  public static final String CLASSIFIER = "classifier";

  /** Writes {@code finetune.json} into {@code checkpoint}, the checkpoint folder. */
  public static void write(Path checkpoint, QaHead head) throws IOException {
    Files.writeString(checkpoint.resolve(FILE), JSON.writeValueAsString(JSON.createObjectNode().put("head",
        head.id())) + "\n");
  }

  /**
   * The head recorded in {@code checkpoint}; empty for a checkpoint written before FinetuneSquad recorded it (or one
   * that is not FinetuneSquad's).
   */
  public static Optional<QaHead> read(Path checkpoint) throws IOException {
    Path file = checkpoint.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    JsonNode head = JSON.readTree(file.toFile()).path("head");
    try {
      return Optional.of(QaHead.parse(head.asText()));
    } catch (IllegalArgumentException e) {
      throw new UsageException(file + ": " + e.getMessage());
    }
  }

  /**
   * Refuses to load {@code checkpoint} into a graph with {@code head} when the checkpoint records another head;
   * {@code otherwise} names the user's other way out.
   */
  public static void require(Path checkpoint, QaHead head, String otherwise) throws IOException {
    Optional<QaHead> recorded = read(checkpoint);
    if (recorded.isPresent() && recorded.get() != head) {
      throw new UsageException("checkpoint " + checkpoint + " holds the " + recorded.get().id() + " head (" + FILE
          + ") but --head is " + head.id() + ": give --head=" + recorded.get().id() + " or " + otherwise);
    }
  }

  /** Writes FinetuneGlue's {@code finetune.json}: the classifier head of {@code task} (a GLUE task's id). */
  public static void writeClassifier(Path checkpoint, String task) throws IOException {
    Files.writeString(checkpoint.resolve(FILE), JSON.writeValueAsString(JSON.createObjectNode().put("head",
        CLASSIFIER).put("task", task)) + "\n");
  }

  /**
   * Refuses to load {@code checkpoint} as {@code task}'s classifier when it records another head or task (a
   * checkpoint without the file is let through, as {@link #require} does); {@code otherwise} names the way out.
   */
  public static void requireClassifier(Path checkpoint, String task, String otherwise) throws IOException {
    requireTask(checkpoint, CLASSIFIER, task, otherwise);
  }

  /** The head FinetuneTagging records, with its task and its labels (a label's index is its class id). */
  public static final String TAGGER = "tagger";

  /** Writes FinetuneTagging's {@code finetune.json}: the tagger of {@code task} with {@code labels}. */
  public static void writeTagger(Path checkpoint, String task, List<String> labels) throws IOException {
    ObjectNode json = JSON.createObjectNode().put("head", TAGGER).put("task", task);
    labels.forEach(json.putArray("labels")::add);
    Files.writeString(checkpoint.resolve(FILE), JSON.writeValueAsString(json) + "\n");
  }

  /**
   * The labels of {@code task}'s tagger in {@code checkpoint}, refused when it records another head or task; empty
   * when the checkpoint has no {@value #FILE}.
   */
  public static List<String> requireTagger(Path checkpoint, String task, String otherwise) throws IOException {
    JsonNode json = requireTask(checkpoint, TAGGER, task, otherwise);
    List<String> labels = new ArrayList<>();
    if (json != null) {
      json.path("labels").forEach(l -> labels.add(l.asText()));
    }
    return labels;
  }

  /** The checkpoint's {@value #FILE} (null without one), refused unless it records {@code head} of {@code task}. */
  private static JsonNode requireTask(Path checkpoint, String head, String task, String otherwise)
      throws IOException {
    Path file = checkpoint.resolve(FILE);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    JsonNode json = JSON.readTree(file.toFile());
    String recordedHead = json.path("head").asText();
    String recordedTask = json.path("task").asText();
    if (!recordedHead.equals(head) || !recordedTask.equals(task)) {
      throw new UsageException("checkpoint " + checkpoint + " holds " + (json.has("task")
          ? "the " + recordedHead + " of task " + recordedTask : "the " + recordedHead + " QA head") + " (" + FILE
          + "), not the " + task + " " + head + ": use " + otherwise);
    }
    return json;
  }
}
