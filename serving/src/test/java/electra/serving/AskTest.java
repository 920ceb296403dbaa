package electra.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Ask} against ServeQA on an in-process broker: answers, an error, and a timeout that names the ids. */
class AskTest {

  private static Path model;

  @TempDir
  Path dir;

  @BeforeAll
  static void export() throws Exception {
    model = TestModels.export();
  }

  @Test
  void answersErrorsAndTimeouts() throws Exception {
    ByteArrayOutputStream served = new ByteArrayOutputStream();
    try (ServeQA.Running job = ServeQA.start(ServeQATest.options("--model=" + model, "--max_batch_wait_ms=5"),
        new PrintStream(served, true, StandardCharsets.UTF_8))) {
      String bootstrap = job.bootstrapServers();
      String printed = served.toString(StandardCharsets.UTF_8);
      assertTrue(printed.contains("ask it: ./electra Ask --bootstrap_servers=" + bootstrap + " --question="), printed);

      String out = ask("--bootstrap_servers=" + bootstrap, "--id=harry", "--question=What food does Harry like?",
          "--context=" + ServeQATest.CONTEXTS[0], "--timeout_s=120");
      assertTrue(out.contains("Q [harry] What food does Harry like?"), out);
      String answer = out.substring(out.indexOf("answer:  \"") + 10, out.indexOf("\" (score"));
      assertTrue(ServeQATest.CONTEXTS[0].contains(answer) && !answer.isEmpty(), "a span of the context: " + out);
      assertTrue(out.matches("(?s).*latency_ms \\d+: sent -> answered by ServeQA; \\d+ ms until read back.*"), out);

      Path file = dir.resolve("questions.jsonl");
      Files.write(file, List.of(QaMessages.request("tesla", ServeQATest.QUESTIONS[3], ServeQATest.CONTEXTS[3]), "",
          QaMessages.request("long", "Why?", "word ".repeat(2000))));
      out = ask("--bootstrap_servers=" + bootstrap, "--file=" + file, "--timeout_s=120");
      assertTrue(out.contains("sent 2 request(s) to qa-requests"), out);
      assertTrue(out.contains("Q [tesla] When did Tesla move?\n  context: Tesla was born") && out.contains("answer:"),
          out);
      assertTrue(out.contains("Q [long] Why?") && out.contains("error:   context too long"), "an error came back: " + out);

      kafkaTopicsWithoutAJob(bootstrap);
      Ask.NoReplyException timeout = assertThrows(Ask.NoReplyException.class, () -> ask(
          "--bootstrap_servers=" + bootstrap, "--requests_topic=idle-requests", "--answers_topic=idle-answers",
          "--errors_topic=idle-errors", "--id=nobody-home", "--question=Anyone?", "--context=No one reads this.",
          "--timeout_s=2"));
      assertEquals("no reply within 2 s for 1 of 1 request(s): nobody-home (is ServeQA running on these topics?)",
          timeout.getMessage());
    }
  }

  @Test
  void badCommandLinesAndFilesAreUsageErrors() throws Exception {
    assertThrows(UsageException.class, () -> ask("--bootstrap_servers=x:1"));
    assertThrows(UsageException.class, () -> ask("--bootstrap_servers=x:1", "--question=q"));
    assertThrows(UsageException.class, () -> ask("--bootstrap_servers=x:1", "--question=q", "--context=c",
        "--file=f"));
    Path broken = Files.write(dir.resolve("broken.jsonl"), List.of(QaMessages.request("a", "q", "c"),
        "{\"id\": \"b\", \"question\": \"q\"}"));
    UsageException line = assertThrows(UsageException.class, () -> Ask.readRequests(broken.toString()));
    assertEquals("--file " + broken + " line 2: missing field \"context\"", line.getMessage());
    Path twice = Files.write(dir.resolve("twice.jsonl"), List.of(QaMessages.request("a", "q", "c"),
        QaMessages.request("a", "q2", "c2")));
    assertEquals("--file " + twice + " line 2: id a is used twice",
        assertThrows(UsageException.class, () -> Ask.readRequests(twice.toString())).getMessage());
  }

  private static void kafkaTopicsWithoutAJob(String bootstrap) throws Exception {
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
      admin.createTopics(List.of(new NewTopic("idle-requests", 1, (short) 1), new NewTopic("idle-answers", 1, (short) 1),
          new NewTopic("idle-errors", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private static String ask(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Ask(new PrintStream(out, true, StandardCharsets.UTF_8)).run(args);
    return out.toString(StandardCharsets.UTF_8);
  }
}
