package electra.squad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading SQuAD files: both versions, gzip, the real dev sets, and where malformed input is reported. */
class SquadDatasetTest {

  static final String V20 = """
      {"version": "v2.0", "data": [{"title": "Normans", "paragraphs": [
        {"context": "The Normans gave their name to Normandy, a region in France.", "qas": [
          {"question": "In what country is Normandy located?", "id": "q1", "is_impossible": false,
           "answers": [{"text": "France", "answer_start": 54}, {"text": "France.", "answer_start": 54}]},
          {"question": "Who gave their name to France?", "id": "q2", "is_impossible": true, "answers": [],
           "plausible_answers": [{"text": "The Normans", "answer_start": 0}]}]}]}]}
      """;

  @TempDir
  Path temp;

  private Path write(String name, String json) throws IOException {
    return Files.writeString(temp.resolve(name), json);
  }

  private Path gzip(String name, String json) throws IOException {
    Path file = temp.resolve(name);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(json.getBytes(StandardCharsets.UTF_8));
    }
    return file;
  }

  @Test
  void readsAV20FileIntoExamples() throws IOException {
    SquadDataset dataset = SquadDataset.read(write("dev.json", V20));
    assertEquals(Optional.of("v2.0"), dataset.version());
    assertTrue(dataset.declaresImpossible());
    assertEquals(SquadVersion.V2_0, SquadVersion.of(dataset));
    SquadExample answerable = dataset.examples().get(0);
    assertEquals(new SquadExample("q1", "Normans", "In what country is Normandy located?",
        "The Normans gave their name to Normandy, a region in France.",
        List.of(new SquadExample.Answer("France", 54), new SquadExample.Answer("France.", 54)), false, List.of()),
        answerable);
    assertEquals(List.of("France", "France."), answerable.answerTexts());
    SquadExample impossible = dataset.examples().get(1);
    assertTrue(impossible.isImpossible());
    assertEquals(List.of(new SquadExample.Answer("The Normans", 0)), impossible.plausibleAnswers());
  }

  @Test
  void gzipIsRecognisedByContentNotByName() throws IOException {
    assertEquals(2, SquadDataset.read(gzip("dev.json", V20)).examples().size());
    assertEquals(2, SquadDataset.read(write("dev.json.gz", V20)).examples().size());
  }

  @Test
  void versionComesFromTheFieldElseFromIsImpossible() throws IOException {
    String v11 = "{\"version\": \"1.1\", \"data\": []}";
    assertEquals(SquadVersion.V1_1, SquadVersion.of(SquadDataset.read(write("a.json", v11))));
    SquadDataset unversioned = SquadDataset.read(write("b.json", V20.replace("\"version\": \"v2.0\", ", "")));
    assertEquals(Optional.empty(), unversioned.version());
    assertEquals(SquadVersion.V2_0, SquadVersion.of(unversioned));
    String noFlags = V20.replace("\"version\": \"v2.0\"", "\"version\": \"custom\"")
        .replace("\"is_impossible\": false,", "").replace("\"is_impossible\": true,", "");
    assertEquals(SquadVersion.V1_1, SquadVersion.of(SquadDataset.read(write("c.json", noFlags))));
    assertEquals(SquadVersion.V2_0, SquadVersion.parse("v2.0"));
    assertThrows(IllegalArgumentException.class, () -> SquadVersion.parse("3"));
  }

  @Test
  void realDevSets() throws IOException {
    SquadDataset v11 = SquadDataset.read(SquadData.devV11());
    assertEquals(10570, v11.examples().size());
    assertFalse(v11.declaresImpossible());
    assertEquals(SquadVersion.V1_1, SquadVersion.of(v11));
    SquadExample first = v11.examples().get(0);
    assertEquals("Super_Bowl_50", first.title());
    assertEquals("Denver Broncos", first.answers().get(0).text());
    assertEquals(first.answers().get(0).text(), first.context().substring(first.answers().get(0).answerStart(),
        first.answers().get(0).answerStart() + first.answers().get(0).text().length()));

    List<SquadExample> v20 = SquadDataset.read(SquadData.devV20First5Articles()).examples();
    assertEquals(1407, v20.size());
    assertEquals(702, v20.stream().filter(SquadExample::isImpossible).count());
    assertTrue(v20.stream().filter(SquadExample::isImpossible).allMatch(e -> !e.plausibleAnswers().isEmpty()));
  }

  @Test
  void malformedInputSaysWhichFileAndWhere() throws IOException {
    assertMalformed("[]", "bad.json: expected a JSON object with \"data\", got an array");
    assertMalformed("{\"data\": [", "bad.json: not valid JSON: ");
    assertMalformed("{\"data\": {}}", "bad.json: \"data\" must be an array, got an object");
    assertMalformed(V20.replace("\"id\": \"q2\"", "\"id\": 2"),
        "bad.json at data[0].paragraphs[0].qas[1]: \"id\" must be a string, got a number");
    assertMalformed(V20.replace("\"answer_start\": 0", "\"answer_start\": -1"),
        "bad.json at data[0].paragraphs[0].qas[1].plausible_answers[0]: answer_start must not be negative, got -1");
    assertMalformed(V20.replace("\"answer_start\": 54}, {", "\"answer_start\": \"54\"}, {"),
        "bad.json at data[0].paragraphs[0].qas[0].answers[0]: \"answer_start\" must be an integer, got \"54\"");
    assertMalformed(V20.replace("\"is_impossible\": false", "\"is_impossible\": true"),
        "bad.json at data[0].paragraphs[0].qas[0]: question q1 is_impossible but has 2 answers");
    assertMalformed(V20.replace("\"title\": \"Normans\", ", ""), "bad.json at data[0]: \"title\" must be a string, got nothing");
    assertMalformed("", "bad.json: empty file, expected JSON");
  }

  private void assertMalformed(String json, String messageStart) throws IOException {
    Path file = write("bad.json", json);
    SquadInputException e = assertThrows(SquadInputException.class, () -> SquadDataset.read(file));
    String message = e.getMessage().replace(temp + "/", "");
    assertTrue(message.startsWith(messageStart), message);
    assertFalse(message.contains("\n"), message);
  }
}
