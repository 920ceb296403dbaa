package electra.tokenization;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Job;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code Tokenize} job: one JSON object per input line, {@code {"tokens": [...], "ids": [...]}}, without
 * [CLS]/[SEP]. An empty line gives empty lists, so output line n always belongs to input line n.
 */
public final class Tokenize implements Job {

  private static final JsonFactory JSON = new JsonFactory();

  private final InputStream stdin;
  private final OutputStream stdout;

  /** The job as the launcher starts it, on the process's stdin and stdout. */
  public Tokenize() {
    this(System.in, System.out);
  }

  /** The job reading {@code --input=-} from {@code stdin} and writing {@code --output=-} to {@code stdout}. */
  public Tokenize(InputStream stdin, OutputStream stdout) {
    this.stdin = stdin;
    this.stdout = stdout;
  }

  @Override
  public String name() {
    return "Tokenize";
  }

  @Override
  public String description() {
    return "BERT WordPiece tokens and ids of each line of text, as JSON lines";
  }

  /** What {@code Tokenize} reads, writes and tokenizes with. */
  record Settings(
      @Flag(value = "text file, one text per line, UTF-8 (invalid bytes are dropped); - is stdin", defaultValue = "-")
      String input,
      @Flag(value = "JSON-lines file to write; - is stdout", defaultValue = "-")
      String output,
      TokenizerSettings tokenizer) {}

  static Flags flags() {
    return Flags.forJob("Tokenize", "writes {\"tokens\": [...], \"ids\": [...]} for each input line (no [CLS]/[SEP])")
        .example("echo 'Hello, world!' | ./electra Tokenize")
        .example("./electra Tokenize --input=notes.txt --output=notes.jsonl --vocab_file=vocab.txt --max_input_chars_per_word=200")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException {
    Settings settings = flags().parse(args).record(Settings.class);
    BertTokenizer tokenizer = settings.tokenizer().tokenizer();
    boolean toStdout = settings.output().equals("-");
    InputStream in = settings.input().equals("-") ? stdin : Files.newInputStream(Path.of(settings.input()));
    OutputStream out = toStdout ? stdout : Files.newOutputStream(Path.of(settings.output()));
    try (BufferedReader reader = TokenizerJobs.utf8Lines(in);
         JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.setPrettyPrinter(new MinimalPrettyPrinter(""));
      if (toStdout) {
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      }
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        writeLine(json, tokenizer, line);
      }
    }
  }

  private static void writeLine(JsonGenerator json, BertTokenizer tokenizer, String text) throws IOException {
    int[] ids = tokenizer.ids(text);
    List<String> tokens = tokenizer.convertIdsToTokens(ids);
    json.writeStartObject();
    json.writeArrayFieldStart("tokens");
    for (String token : tokens) {
      json.writeString(token);
    }
    json.writeEndArray();
    json.writeFieldName("ids");
    json.writeArray(ids, 0, ids.length);
    json.writeEndObject();
    json.writeRaw('\n');
  }
}
