package electra.tagging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CoNLL files read as CoNLL-2003 and CoNLL-2000 lay them out, and EvalTagging's JSON from a predictions file. */
class EvalTaggingTest {

  // CoNLL-2003's layout and IOB1 tags: word POS chunk NER
  private static final List<String> CONLL2003 = List.of(
      "-DOCSTART- -X- -X- O", "",
      "EU NNP I-NP I-ORG", "rejects VBZ I-VP O", "German JJ I-NP I-MISC", "call NN I-NP O", "", "",
      "Peter NNP I-NP I-PER", "Blackburn NNP I-NP I-PER", "");

  @Test
  void readsWordsAndTheLastColumnSkippingDocstartAndBlankLines(@TempDir Path tmp) throws Exception {
    Path file = Files.write(tmp.resolve("dev.txt"), CONLL2003);
    List<TaggedSentence> s = ConllFiles.read(file);
    assertEquals(List.of(new TaggedSentence(List.of("EU", "rejects", "German", "call"),
        List.of("I-ORG", "O", "I-MISC", "O")), new TaggedSentence(List.of("Peter", "Blackburn"),
        List.of("I-PER", "I-PER"))), s);
    assertEquals(List.of("O", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER"), TaggingTask.labels(s));
    Path words = Files.write(tmp.resolve("test.txt"), List.of("Peter", "ran", "", "Home"));
    List<TaggedSentence> untagged = ConllFiles.read(words);
    assertEquals(2, untagged.size());
    assertNull(untagged.get(0).tags());
    UsageException ragged = assertThrows(UsageException.class, () -> ConllFiles.read(Files.write(
        tmp.resolve("ragged.txt"), List.of("a B-NP", "b NN I-NP"))));
    assertTrue(ragged.getMessage().contains("line 2 has 3 columns"), ragged.getMessage());
  }

  @Test
  void printsTheScoresOfAPredictionsFileAsOneJsonObject(@TempDir Path tmp) throws Exception {
    Path data = Files.write(tmp.resolve("dev.txt"), CONLL2003);
    // predicted in BIO2: ORG right, MISC missed, PER predicted as two one-word chunks
    Path predictions = Files.write(tmp.resolve("dev_predictions.txt"), List.of(
        "EU I-ORG B-ORG", "rejects O O", "German I-MISC O", "call O O", "",
        "Peter I-PER B-PER", "Blackburn I-PER B-PER", ""));
    ByteArrayOutputStream console = new ByteArrayOutputStream();
    new EvalTagging(new PrintStream(console, true, StandardCharsets.UTF_8)).run(new String[] {
        "--data_file=" + data, "--predictions_file=" + predictions});
    JsonNode json = new ObjectMapper().readTree(console.toString(StandardCharsets.UTF_8));
    assertEquals(List.of("precision", "recall", "f1", "gold_chunks", "predicted_chunks", "correct_chunks"),
        List.copyOf(new ObjectMapper().convertValue(json, java.util.Map.class).keySet()));
    assertEquals(1.0 / 3, json.get("precision").asDouble(), 1e-12);
    assertEquals(1.0 / 3, json.get("recall").asDouble(), 1e-12);
    assertEquals(List.of(3, 3, 1), List.of(json.get("gold_chunks").asInt(), json.get("predicted_chunks").asInt(),
        json.get("correct_chunks").asInt()));
    // FinetuneTagging's own file round-trips through the writer
    Path written = tmp.resolve("written.txt");
    List<TaggedSentence> gold = ConllFiles.read(data);
    ConllFiles.writePredictions(written, gold, gold.stream().map(TaggedSentence::tags).toList());
    assertEquals(1.0, EvalTagging.evaluate(data, written).get("f1").doubleValue(), 1e-12);
    // other words are refused
    Path other = Files.write(tmp.resolve("other.txt"), List.of("EU O", "", "Peter O", "Blackburn O"));
    UsageException e = assertThrows(UsageException.class, () -> EvalTagging.evaluate(data, other));
    assertTrue(e.getMessage().contains("sentence 1"), e.getMessage());
  }
}
