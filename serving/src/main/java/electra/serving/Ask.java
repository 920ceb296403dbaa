package electra.serving;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code Ask} job: sends questions to a running ServeQA through Kafka and prints each answer (or the reason it
 * was refused) with its latency, for people and scripts: exit status 0 when every request came back, 1 when some did
 * not within {@code --timeout_s}, naming them.
 */
public final class Ask implements Job {

  /** What to ask and where. */
  record Settings(
      @Flag(value = "Kafka brokers ServeQA reads from, host:port[,host:port]", required = true)
      String bootstrapServers,
      @Flag("the question (with --context)")
      String question,
      @Flag("the text the answer is a span of (with --question)")
      String context,
      @Flag("the request's id (default: ask-<random>)")
      String id,
      @Flag("JSON lines, one request each: {\"id\", \"question\", \"context\"} (instead of --question and "
          + "--context); - reads standard input")
      String file,
      @Flag(value = "ServeQA's requests topic", defaultValue = "qa-requests")
      String requestsTopic,
      @Flag(value = "ServeQA's answers topic", defaultValue = "qa-answers")
      String answersTopic,
      @Flag(value = "ServeQA's errors topic", defaultValue = "qa-errors")
      String errorsTopic,
      @Flag(value = "longest wait for all replies", name = "timeout_s", defaultValue = "60")
      long timeoutSeconds,
      @Flag("more Kafka client settings, key=value, comma-separated (security, SASL), as ServeQA takes them")
      List<String> kafkaProperty) {

    Settings {
      boolean single = question != null || context != null;
      if (single == (file != null)) {
        throw new UsageException("give --question and --context, or --file with JSON lines");
      }
      if (single && (question == null || question.isBlank() || context == null || context.isBlank())) {
        throw new UsageException("--question and --context go together, and neither may be empty");
      }
      if (id != null && file != null) {
        throw new UsageException("--id names the one request of --question; in --file each line has its id");
      }
      if (timeoutSeconds < 1) {
        throw new UsageException("--timeout_s must be at least 1, got " + timeoutSeconds);
      }
    }

    QaClient.Topics topics() {
      return new QaClient.Topics(requestsTopic, answersTopic, errorsTopic);
    }
  }

  private final PrintStream out;

  public Ask() {
    this(System.out);
  }

  Ask(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "Ask";
  }

  @Override
  public String description() {
    return "asks a running ServeQA questions through Kafka and prints the answers with their latency";
  }

  static Flags flags() {
    return Flags.forJob("Ask", "sends questions to ServeQA's requests topic and prints each answer (or error) with "
            + "its latency; exit status 1 names the requests with no reply in time")
        .example("./electra Ask --bootstrap_servers=127.0.0.1:9092 --question=\"What food does Harry like?\" "
            + "--context=\"My name is Harry and I grew up in Canada. I love apples.\"")
        .example("./electra Ask --bootstrap_servers=kafka:9092 --file=questions.jsonl --timeout_s=120")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings s = flags().parse(args).record(Settings.class);
    List<QaClient.Request> requests = s.file() == null
        ? List.of(new QaClient.Request(s.id() != null ? s.id() : "ask-" + Long.toHexString(
            ThreadLocalRandom.current().nextLong() >>> 16), s.question(), s.context()))
        : readRequests(s.file());
    Map<String, QaClient.Reply> replies;
    try (QaClient client = QaClient.connect(s.bootstrapServers(), s.topics(),
        ServeQA.kafkaProperties(s.kafkaProperty()))) {
      out.printf("sent %d request(s) to %s on %s; waiting for replies ...%n", requests.size(), s.requestsTopic(),
          s.bootstrapServers());
      replies = client.ask(requests, Duration.ofSeconds(s.timeoutSeconds()), r -> {
        out.print(r.describe());
        out.flush();
      });
    }
    List<String> missing = requests.stream().map(QaClient.Request::id).filter(id -> !replies.containsKey(id))
        .toList();
    if (!missing.isEmpty()) {
      throw new NoReplyException("no reply within " + s.timeoutSeconds() + " s for " + missing.size() + " of "
          + requests.size() + " request(s): " + String.join(", ", missing)
          + " (is ServeQA running on these topics?)");
    }
  }

  /** Some requests got no reply in time; the message names them (the launcher prints it as one line, exit 1). */
  static final class NoReplyException extends IOException {
    NoReplyException(String message) {
      super(message);
    }
  }

  /** {@code --file}: one JSON request per non-blank line; each problem names its line. */
  static List<QaClient.Request> readRequests(String file) throws IOException {
    List<String> lines;
    try {
      lines = file.equals("-")
          ? new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).lines().toList()
          : Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new UsageException("--file " + file + ": no such file");
    }
    List<QaClient.Request> requests = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      try {
        QaAnswerer.Question q = QaMessages.parseRequest(lines.get(i).getBytes(StandardCharsets.UTF_8));
        if (requests.stream().anyMatch(r -> r.id().equals(q.id()))) {
          throw new UsageException("--file " + file + " line " + (i + 1) + ": id " + q.id() + " is used twice");
        }
        requests.add(new QaClient.Request(q.id(), q.question(), q.context()));
      } catch (RejectedRequest e) {
        throw new UsageException("--file " + file + " line " + (i + 1) + ": " + e.reason());
      }
    }
    if (requests.isEmpty()) {
      throw new UsageException("--file " + file + " holds no request");
    }
    return requests;
  }
}
