package electra.trainer.evaluate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import electra.cli.UsageException;
import electra.squad.SquadFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * The SQuAD questions continuous evaluation fine-tunes on and the held-out questions it scores, cut from SQuAD files
 * in file order and written as SQuAD files of their own ({@value #TRAIN_FILE}, {@value #HELD_OUT_FILE}), so that
 * FinetuneSquad reads them as any SQuAD file and EvalSquad can score its predictions again. Taken from one file, the
 * held-out questions start at the first article after the training questions' last: no question and no paragraph
 * is in both. Every checkpoint is scored on the same held-out file, whose SHA-256 each evaluation records.
 *
 * @param train the training questions as a SQuAD file
 * @param heldOut the held-out questions as a SQuAD file
 * @param trainQuestions how many questions {@code train} holds
 * @param heldOutQuestions how many questions {@code heldOut} holds
 * @param description where the held-out questions come from, for people (files, SHA-256, articles)
 */
record SquadSubsets(byte[] train, byte[] heldOut, int trainQuestions, int heldOutQuestions, String description) {

  static final String TRAIN_FILE = "train.json";
  static final String HELD_OUT_FILE = "heldout.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Questions cut from a SQuAD file: a SQuAD tree, how many it holds, and the article after its last. */
  private record Cut(ObjectNode json, int questions, int endArticle) {}

  /**
   * The first {@code trainQuestions} questions of {@code trainSource} and {@code heldOutQuestions} questions of
   * {@code heldOutSource}: its first ones, or from one file the first ones after the training questions' articles.
   * A file with too few questions is a usage error saying how many it has.
   */
  static SquadSubsets cut(Path trainSource, int trainQuestions, Path heldOutSource, int heldOutQuestions)
      throws IOException {
    byte[] trainBytes = Files.readAllBytes(trainSource);
    byte[] heldOutBytes = trainSource.equals(heldOutSource) ? trainBytes : Files.readAllBytes(heldOutSource);
    boolean oneFile = Arrays.equals(trainBytes, heldOutBytes);
    JsonNode trainRoot = SquadFiles.json(trainSource);
    JsonNode heldOutRoot = oneFile ? trainRoot : SquadFiles.json(heldOutSource);
    Cut train = cut(trainRoot, 0, trainQuestions);
    if (train.questions() < trainQuestions) {
      throw new UsageException(trainSource + " has " + train.questions() + " questions, fewer than --train_questions "
          + trainQuestions);
    }
    int firstHeldOutArticle = oneFile ? train.endArticle() : 0;
    Cut heldOut = cut(heldOutRoot, firstHeldOutArticle, heldOutQuestions);
    if (heldOut.questions() < heldOutQuestions) {
      throw new UsageException(heldOutSource + " has " + heldOut.questions() + " questions"
          + (oneFile ? " in the articles after the " + trainQuestions + " training questions'" : "")
          + ", fewer than --eval_questions " + heldOutQuestions + ": ask for fewer, or give another --eval_file");
    }
    byte[] heldOutJson = JSON.writeValueAsBytes(heldOut.json());
    String description = String.format("%s: %d questions of %s (sha256 %s) from article %d on, none of them or "
            + "their paragraphs among the %d fine-tuned on; sha256 %s", HELD_OUT_FILE, heldOutQuestions,
        heldOutSource.getFileName(), sha256(heldOutBytes), firstHeldOutArticle, trainQuestions, sha256(heldOutJson));
    return new SquadSubsets(JSON.writeValueAsBytes(train.json()), heldOutJson, trainQuestions, heldOutQuestions,
        description);
  }

  /** The first {@code questions} questions from article {@code fromArticle} on, with their paragraphs and articles. */
  private static Cut cut(JsonNode root, int fromArticle, int questions) {
    ObjectNode out = JSON.createObjectNode();
    if (root.has("version")) {
      out.set("version", root.get("version"));
    }
    ArrayNode data = out.putArray("data");
    JsonNode articles = root.path("data");
    int taken = 0;
    int article = fromArticle;
    for (; article < articles.size() && taken < questions; article++) {
      ObjectNode keptArticle = withoutField(articles.get(article), "paragraphs");
      ArrayNode keptParagraphs = keptArticle.putArray("paragraphs");
      for (JsonNode paragraph : articles.get(article).path("paragraphs")) {
        if (taken == questions) {
          break;
        }
        ObjectNode keptParagraph = withoutField(paragraph, "qas");
        ArrayNode qas = keptParagraph.putArray("qas");
        for (JsonNode qa : paragraph.path("qas")) {
          if (taken == questions) {
            break;
          }
          qas.add(qa);
          taken++;
        }
        if (!qas.isEmpty()) {
          keptParagraphs.add(keptParagraph);
        }
      }
      if (!keptParagraphs.isEmpty()) {
        data.add(keptArticle);
      }
    }
    return new Cut(out, taken, article);
  }

  private static ObjectNode withoutField(JsonNode node, String field) {
    ObjectNode copy = JSON.createObjectNode();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals(field)) {
        copy.set(e.getKey(), e.getValue());
      }
    }
    return copy;
  }

  /**
   * Writes both files into {@code dir}; a folder that already holds other questions (the source files changed since
   * it was started) is refused, as its evaluations would not be comparable.
   */
  void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> file : Map.of(TRAIN_FILE, train, HELD_OUT_FILE, heldOut).entrySet()) {
      Path path = dir.resolve(file.getKey());
      if (Files.isRegularFile(path)) {
        if (!Arrays.equals(Files.readAllBytes(path), file.getValue())) {
          throw new UsageException(path + " holds other questions than the SQuAD files give now: evaluations "
              + "measured on them could not be compared with the earlier ones; use a new --work_dir");
        }
        continue;
      }
      Path tmp = dir.resolve("." + file.getKey() + ".tmp");
      Files.write(tmp, file.getValue());
      Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
