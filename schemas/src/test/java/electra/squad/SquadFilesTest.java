package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prediction and no-answer probability files, read as Python's json.load reads them. */
class SquadFilesTest {

  @TempDir
  Path temp;

  @Test
  void aRepeatedIdKeepsItsFirstPlaceAndLastValue() throws Exception {
    Path file = Files.writeString(temp.resolve("preds.json"), "{\"q1\": \"a\", \"q2\": \"\", \"q1\": \"c\"}");
    Map<String, String> predictions = SquadFiles.predictions(file);
    assertEquals(List.of("q1", "q2"), List.copyOf(predictions.keySet()));
    assertEquals("c", predictions.get("q1"));
  }

  @Test
  void gzippedFilesAndTheRealPredictions() throws Exception {
    Path file = temp.resolve("preds.json.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write("{\"q1\": \"Denver Broncos\"}".getBytes(StandardCharsets.UTF_8));
    }
    assertEquals(Map.of("q1", "Denver Broncos"), SquadFiles.predictions(file));
    Map<String, String> bert = SquadFiles.predictions(SquadData.predictions("v2.0-dev.bert-single-google"));
    assertEquals(11873, bert.size());
    assertEquals(5782, bert.values().stream().filter(String::isEmpty).count());
  }

  @Test
  void probabilitiesKeepPythonsIntegersAndFloatsApart() throws Exception {
    Path file = Files.writeString(temp.resolve("na.json"),
        "{\"a\": 1, \"b\": 1.0, \"c\": -2.5e-3, \"d\": 123456789012345678901234567890, \"e\": -Infinity}");
    Map<String, Number> probabilities = SquadFiles.noAnswerProbabilities(file);
    assertEquals(List.of(1L, 1.0, -0.0025, new BigInteger("123456789012345678901234567890"),
        Double.NEGATIVE_INFINITY), List.copyOf(probabilities.values()));
  }

  @Test
  void wrongValuesNameTheFileAndTheQuestion() throws Exception {
    Path preds = Files.writeString(temp.resolve("preds.json"), "{\"q1\": [\"a\"]}");
    assertEquals(preds + ": the prediction for question q1 must be a string, got an array",
        assertThrows(SquadInputException.class, () -> SquadFiles.predictions(preds)).getMessage());
    Path nan = Files.writeString(temp.resolve("na.json"), "{\"q1\": NaN}");
    assertEquals(nan + ": the no-answer probability of question q1 must be a number, got NaN",
        assertThrows(SquadInputException.class, () -> SquadFiles.noAnswerProbabilities(nan)).getMessage());
    Path twoValues = Files.writeString(temp.resolve("two.json"), "{} {}");
    assertTrue(assertThrows(SquadInputException.class, () -> SquadFiles.predictions(twoValues)).getMessage()
        .contains("more than one JSON value"));
  }
}
