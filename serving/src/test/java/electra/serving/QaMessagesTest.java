package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.export.InferenceEngine;
import java.nio.charset.StandardCharsets;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class QaMessagesTest {

  private static RejectedRequest rejected(String json) {
    return rejected(json.getBytes(StandardCharsets.UTF_8));
  }

  private static RejectedRequest rejected(byte[] bytes) {
    return assertThrows(RejectedRequest.class, () -> QaMessages.parseRequest(bytes));
  }

  @Test
  void goodRequestRoundTrips() {
    QaAnswerer.Question q = QaMessages.parseRequest(
        QaMessages.request("7", "Wer?", "Zoë \uD83D\uDE00 \"quoted\"").getBytes(StandardCharsets.UTF_8));
    assertEquals(new QaAnswerer.Question("7", "Wer?", "Zoë \uD83D\uDE00 \"quoted\""), q);
  }

  @Test
  void eachProblemHasItsReasonAndTheIdWhenThereIsOne() {
    RejectedRequest notJson = rejected("{\"id\": \"1\", question");
    assertEquals("1", notJson.id(), "named before the damage");
    assertTrue(notJson.reason().startsWith("not JSON"), notJson.reason());
    assertEquals("not a JSON object: expected {\"id\", \"question\", \"context\"}", rejected("[1, 2]").reason());
    assertEquals("missing field \"id\"", rejected("{\"question\": \"q\", \"context\": \"c\"}").reason());
    assertEquals("empty field \"id\"", rejected("{\"id\": \" \", \"question\": \"q\", \"context\": \"c\"}").reason());
    RejectedRequest missing = rejected("{\"id\": \"2\", \"context\": \"c\"}");
    assertEquals("2", missing.id());
    assertEquals("missing field \"question\"", missing.reason());
    assertEquals("empty field \"context\"", rejected("{\"id\": \"3\", \"question\": \"q\", \"context\": \"\"}").reason());
    assertEquals("field \"context\" must be a string, got number",
        rejected("{\"id\": \"4\", \"question\": \"q\", \"context\": 5}").reason());
    byte[] latin1 = "{\"id\": \"5\", \"question\": \"caf\u00e9?\", \"context\": \"c\"}".getBytes(StandardCharsets.ISO_8859_1);
    assertEquals("bad encoding: the message is not valid UTF-8", rejected(latin1).reason());
    RejectedRequest surrogate = rejected("{\"id\": \"6\", \"question\": \"q\\ud800\", \"context\": \"c\"}");
    assertEquals("6", surrogate.id());
    assertTrue(surrogate.reason().startsWith("bad encoding"), surrogate.reason());
    assertTrue(rejected(new byte[0]).reason().startsWith("empty message"));
    assertTrue(rejected("{\"id\": \"8\", \"id\": \"9\", \"question\": \"q\", \"context\": \"c\"}").reason()
        .contains("Duplicate field"));
  }

  @Test
  void aBrokenMessageIsRejectedWithTheIdItNamesBeforeTheDamage() {
    RejectedRequest truncated = rejected("{\"id\": \"t1\", \"question\": \"Who wr");
    assertEquals("t1", truncated.id());
    assertTrue(truncated.reason().startsWith("not JSON"), truncated.reason());
    RejectedRequest deep = rejected("{\"id\": 42, \"context\": " + "[".repeat(1500) + "]".repeat(1500) + "}");
    assertEquals("42", deep.id());
    assertTrue(deep.reason().contains("nesting depth"), deep.reason());
    RejectedRequest twice = rejected("{\"id\": \"d1\", \"question\": \"q\", \"question\": \"r\", \"context\": \"c\"}");
    assertEquals("d1", twice.id());
    assertTrue(twice.reason().contains("Duplicate field 'question'"), twice.reason());
    RejectedRequest nestedFirst = rejected("{\"meta\": {\"id\": \"inner\"}, \"id\": \"outer\", \"question\": ");
    assertEquals("outer", nestedFirst.id(), "only the top-level id counts");
    byte[] badBytes = "{\"id\": \"b1\", \"question\": \"caf\u00e9?\", \"context\": \"c\"}"
        .getBytes(StandardCharsets.ISO_8859_1);
    assertEquals("b1", rejected(badBytes).id());

    assertNull(rejected("{\"question\": \"q\", \"id\": ").id(), "the damage comes before the id's value");
    assertNull(rejected("{\"id\": \"8\", \"id\": \"9\", \"question\": \"q\", \"context\": \"c\"}").id(),
        "two ids: neither is the sender's");
    assertNull(rejected("{\"id\": {\"x\": 1}, \"question\": ").id(), "an object is no id");
    assertNull(rejected("{\"id\": \"caf\u00e9\", \"question\": ".getBytes(StandardCharsets.ISO_8859_1)).id(),
        "an id with bad bytes cannot be sent back");
    assertNull(rejected("[{\"id\": \"a1\"}").id(), "not an object");
  }

  @Test
  void errorAndAnswerMessagesHaveTheContractKeys() {
    assertEquals("{\"id\":null,\"error\":\"not JSON\"}", QaMessages.error(null, "not JSON"));
    String a = QaMessages.answer(new QaAnswerer.Answer("x", "apples", 3.5, 0.9, 50, 56, 1, true,
        OptionalDouble.empty()), "tiny", ServedModel.EXPORT_FOLDER_VERSION, InferenceEngine.ONNXRUNTIME, 12);
    assertEquals("{\"id\":\"x\",\"answer\":\"apples\",\"score\":3.5,\"start_char\":50,\"end_char\":56,"
        + "\"answerable\":true,\"model\":\"tiny\",\"engine\":\"onnxruntime\",\"latency_ms\":12}", a);
    String none = QaMessages.answer(new QaAnswerer.Answer("y", "", 1.25, 0.5, 0, 0, 2, false,
        OptionalDouble.of(0.75)), "tiny2", 7, InferenceEngine.TENSORFLOW, 3);
    assertEquals("{\"id\":\"y\",\"answer\":\"\",\"score\":1.25,\"start_char\":0,\"end_char\":0,"
        + "\"answerable\":false,\"null_score_diff\":0.75,\"model\":\"tiny2\",\"model_version\":7,"
        + "\"engine\":\"tensorflow\",\"latency_ms\":3}", none);

    QaClient.Request request = new QaClient.Request("y", "Why?", "Because.");
    assertTrue(new QaClient.Reply(request, QaMessages.read(none), null, 5).describe()
        .contains("(score 1.25; model version 7; latency_ms 3"), "Ask shows the version that answered");
    assertTrue(new QaClient.Reply(request, QaMessages.read(a), null, 5).describe()
        .contains("(score 3.50; latency_ms 12"), "an export folder's answer has no version");
  }
}
