package electra.tokenization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Tokenize and BenchmarkTokenizer jobs, run in-process on in-memory streams. */
class TokenizeJobTest {

  @TempDir
  Path temp;

  private static String tokenize(byte[] input, String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Tokenize(new ByteArrayInputStream(input), out).run(args);
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String vocabFlag() {
    return "--vocab_file=" + SharedData.vocabFile();
  }

  @Test
  void writesOneJsonObjectPerLine() throws Exception {
    byte[] input = "Hello, world!\n\nHéllo [CLS]\r\nunaffable".getBytes(StandardCharsets.UTF_8);
    assertEquals("""
        {"tokens":["hello",",","world","!"],"ids":[7592,1010,2088,999]}
        {"tokens":[],"ids":[]}
        {"tokens":["hello","[","cl","##s","]"],"ids":[7592,1031,18856,2015,1033]}
        {"tokens":["una","##ffa","##ble"],"ids":[14477,20961,3468]}
        """, tokenize(input, vocabFlag()));
  }

  @Test
  void invalidUtf8BytesAreDropped() throws Exception {
    byte[] input = {'a', (byte) 0xFF, 'b', (byte) 0xE4, (byte) 0xB8, '\n'};
    assertEquals("{\"tokens\":[\"ab\"],\"ids\":[11113]}\n", tokenize(input, vocabFlag()));
  }

  @Test
  void flagsChangeTheTokenizerAndFilesCanBeUsed() throws Exception {
    Path in = temp.resolve("in.txt");
    Path out = temp.resolve("out.jsonl");
    Files.writeString(in, "Hello " + "x".repeat(150) + "\n");
    new Tokenize(InputStream.nullInputStream(), OutputStream.nullOutputStream()).run(new String[] {vocabFlag(),
        "--input=" + in, "--output=" + out, "--do_lower_case=false", "--max_input_chars_per_word", "200"});
    String line = Files.readString(out);
    assertTrue(line.startsWith("{\"tokens\":[\"[UNK]\",\"xx\",\"##xx\","), line);
    assertEquals(76, line.split("\"ids\":\\[")[1].split(",").length, line);
  }

  @Test
  void mistakesAreUsageErrorsAndHelpHasAnExample() throws Exception {
    Path tinyVocab = Files.writeString(temp.resolve("vocab.txt"), "[UNK]\n");
    UsageException badLimit = assertThrows(UsageException.class,
        () -> tokenize(new byte[0], "--vocab_file=" + tinyVocab, "--max_input_chars_per_word=0"));
    assertTrue(badLimit.getMessage().contains("at least 1"), badLimit.getMessage());
    UsageException noVocab = assertThrows(UsageException.class,
        () -> tokenize(new byte[0], "--vocab_file=" + temp.resolve("missing.txt")));
    assertTrue(noVocab.getMessage().contains("missing.txt"), noVocab.getMessage());
    HelpRequested help = assertThrows(HelpRequested.class, () -> tokenize(new byte[0], "--help"));
    assertTrue(help.getMessage().contains("--max_input_chars_per_word") && help.getMessage().contains("./electra Tokenize"),
        help.getMessage());
  }

  @Test
  void jobsAreRegisteredForTheLauncher() {
    List<String> names = ServiceLoader.load(Job.class).stream().map(p -> p.get().name()).toList();
    assertTrue(names.containsAll(List.of("Tokenize", "BenchmarkTokenizer")), names.toString());
  }

  @Test
  void benchmarkReportsPassesMedianAndATableRow() throws Exception {
    Files.writeString(temp.resolve("a.txt"), "The quick brown fox jumps over the lazy dog.\n".repeat(200));
    Files.writeString(temp.resolve("ignored.md"), "not text");
    ByteArrayOutputStream report = new ByteArrayOutputStream();
    new BenchmarkTokenizer(new PrintStream(report, true, StandardCharsets.UTF_8)).run(new String[] {
        vocabFlag(), "--input_dir=" + temp, "--warmup=1", "--repeats=3"});
    String text = report.toString(StandardCharsets.UTF_8);
    assertTrue(text.startsWith("1 files, 0.01 MB, 200 lines"), text);
    assertTrue(text.contains("pass 3: ") && !text.contains("pass 4: "), text);
    assertTrue(text.contains("median: ") && text.contains("(2000 tokens per pass)"), text);
    assertTrue(text.contains("| " + temp.getFileName() + " (1 files) | 0.01 | 2000 |"), text);
    UsageException empty = assertThrows(UsageException.class, () -> new BenchmarkTokenizer(System.out)
        .run(new String[] {vocabFlag(), "--input_dir=" + temp.resolve("none")}));
    assertTrue(empty.getMessage().contains("not a folder"), empty.getMessage());
    UsageException noPasses = assertThrows(UsageException.class, () -> new BenchmarkTokenizer(System.out)
        .run(new String[] {vocabFlag(), "--input_dir=" + temp, "--repeats=0"}));
    assertEquals("--repeats must be >= 1, got 0", noPasses.getMessage());
  }

  @Test
  void medianOfEvenAndOddCounts() {
    assertEquals(2.0, BenchmarkTokenizer.median(new double[] {3, 1, 2}));
    assertEquals(2.5, BenchmarkTokenizer.median(new double[] {4, 1, 3, 2}));
  }
}
