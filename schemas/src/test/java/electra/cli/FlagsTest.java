package electra.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlagsTest {

  enum Colour { RED, DARK_BLUE }

  record Store(@Flag("where the store is") String endpoint, @Flag(value = "region", defaultValue = "eu") String region) {}

  record Settings(
      @Flag(value = "run name", defaultValue = "run") String modelName,
      @Flag(value = "steps", defaultValue = "10") long numTrainSteps,
      @Flag(value = "batch", defaultValue = "8") int trainBatchSize,
      @Flag(value = "rate", defaultValue = "0.5") double learningRate,
      @Flag(value = "warm", defaultValue = "false") boolean amp,
      @Flag(value = "end rate", name = "end_lr", defaultValue = "0.0") double endLearningRate,
      @Flag("an optional folder") Path initCheckpoint,
      @Flag(value = "colour", defaultValue = "red") Colour colour,
      @Flag(value = "beta; default by colour") Double beta,
      @Flag(value = "the input", required = true) String input,
      @Flag(value = "SQuAD 2.0", defaultValue = "false") boolean version2WithNegative,
      Store store,
      String derived) {

    Settings {
      if (trainBatchSize < 1) {
        throw new UsageException("--train_batch_size must be positive, got " + trainBatchSize);
      }
      beta = beta != null ? beta : colour == Colour.RED ? 0.9 : 0.8;
      derived = modelName + "/" + numTrainSteps;
    }
  }

  private static Flags flags() {
    return Flags.forJob("Job", "does things").record(Settings.class).example("./electra Job --input=x");
  }

  @Test
  void aRecordIsFilledFromItsFlagsWithDefaultsNestedRecordsAndDerivedValues() {
    Settings s = flags().parse("--input=corpus", "--num_train_steps=20", "--end_lr=0.1", "--colour=Dark_Blue",
        "--amp", "--init_checkpoint=runs/a", "--endpoint=http://h:9", "--version_2_with_negative=true")
        .record(Settings.class);
    assertEquals(new Settings("run", 20, 8, 0.5, true, 0.1, Path.of("runs/a"), Colour.DARK_BLUE, 0.8, "corpus", true,
        new Store("http://h:9", "eu"), "run/20"), s);
    Settings defaults = flags().parse("--input=c").record(Settings.class);
    assertNull(defaults.initCheckpoint());
    assertEquals(0.9, defaults.beta());
    assertNull(defaults.store().endpoint());
  }

  @Test
  void helpListsEveryFlagInDeclarationOrderWithDefaultsChoicesAndRequired() {
    String help = assertThrows(HelpRequested.class, () -> flags().parse("--help")).getMessage();
    assertTrue(help.startsWith("Job: does things\n\nFlags:\n  --model_name "), help);
    int previous = -1;
    for (String name : new String[] {"--model_name", "--num_train_steps", "--train_batch_size", "--learning_rate",
        "--amp", "--end_lr", "--init_checkpoint", "--colour", "--beta", "--input", "--version_2_with_negative",
        "--endpoint", "--region"}) {
      int at = help.indexOf(name + " ");
      assertTrue(at > previous, name + " in order in\n" + help);
      previous = at;
    }
    assertTrue(help.contains("colour (red or dark_blue) (default: red) [text]"), help);
    assertTrue(help.contains("the input [required] [text]"), help);
    assertTrue(help.contains("Examples:\n  ./electra Job --input=x\n"), help);
  }

  @Test
  void mistakesAreUsageErrorsNamingTheFlag() {
    assertEquals("Job needs --input (see Job --help)",
        assertThrows(UsageException.class, () -> flags().parse().record(Settings.class)).getMessage());
    assertEquals("--colour must be one of red, dark_blue, got 'green'", assertThrows(UsageException.class,
        () -> flags().parse("--input=x", "--colour=green").record(Settings.class)).getMessage());
    assertEquals("--train_batch_size must be positive, got 0", assertThrows(UsageException.class,
        () -> flags().parse("--input=x", "--train_batch_size=0").record(Settings.class)).getMessage());
    assertEquals("--num_train_steps must be an integer, got 'many'", assertThrows(UsageException.class,
        () -> flags().parse("--input=x", "--num_train_steps=many")).getMessage());
  }

  record Broken(@Flag("no default") int count) {}

  record Underivable(int count) {}

  @Test
  void aPrimitiveWithoutDefaultOrFlagIsRefusedWhenDeclared() {
    assertThrows(IllegalStateException.class, () -> Flags.forJob("J", "s").record(Broken.class));
    assertThrows(IllegalStateException.class, () -> Flags.forJob("J", "s").record(Underivable.class));
  }

  /** A value type that reads its own flag text, as a URL or a version number may. */
  record Port(int number) {
    public static Port parse(String text) {
      if (!text.matches("\\d{1,5}")) {
        throw new IllegalArgumentException("not a port: '" + text + "'");
      }
      return new Port(Integer.parseInt(text));
    }
  }

  record Broker(
      @Flag(value = "topics to create", defaultValue = "requests,answers") List<String> topics,
      @Flag(value = "client port", defaultValue = "9092") Port port) {}

  @Test
  void aListIsTheCommaSeparatedWordsAndATypeWithItsOwnParseReadsItsText() {
    Flags flags = Flags.forJob("Broker", "serves").record(Broker.class);
    assertEquals(new Broker(List.of("x", "y"), new Port(80)),
        flags.parse("--topics= x, ,y ,", "--port", "80").record(Broker.class));
    assertEquals(List.of(), flags.parse("--topics=").record(Broker.class).topics());
    assertEquals("--port: not a port: 'http'",
        assertThrows(UsageException.class, () -> flags.parse("--port=http").record(Broker.class)).getMessage());
    String help = assertThrows(HelpRequested.class, () -> flags.parse("--help")).getMessage();
    assertTrue(help.contains("topics to create (default: requests,answers) [text]"), help);
    assertTrue(help.contains("client port (default: 9092) [text]"), help);
  }

  record Numbers(@Flag(value = "numbers", defaultValue = "1,2") List<Integer> numbers) {}

  @Test
  void aListOfAnythingButTextIsRefusedWhenDeclared() {
    assertThrows(IllegalStateException.class, () -> Flags.forJob("J", "s").record(Numbers.class));
  }

  enum Engine { AUTO, FAST, EXACT }

  record Timed(@Flag(value = "what runs it; not auto", defaultValue = "fast", choices = {"fast", "exact"})
      Engine engine) {}

  record ChoiceWithoutItsDefault(@Flag(value = "what runs it", defaultValue = "auto", choices = {"fast", "exact"})
      Engine engine) {}

  @Test
  void aFlagsOwnChoicesAreTheOnlyValuesListedAndTaken() {
    Flags flags = Flags.forJob("Timed", "times").record(Timed.class);
    String help = assertThrows(HelpRequested.class, () -> flags.parse("--help")).getMessage();
    assertTrue(help.contains("what runs it; not auto (fast or exact) (default: fast) [text]"), help);
    assertEquals(new Timed(Engine.EXACT), flags.parse("--engine=Exact").record(Timed.class));
    assertEquals(new Timed(Engine.FAST), flags.parse().record(Timed.class));
    assertEquals("--engine must be one of fast, exact, got 'auto'", assertThrows(UsageException.class,
        () -> flags.parse("--engine=auto").record(Timed.class)).getMessage());
    assertThrows(IllegalStateException.class, () -> Flags.forJob("J", "s").record(ChoiceWithoutItsDefault.class));
  }

  @Test
  void defaultsAreTheRecordAsItsFlagsDefaultsFillIt() {
    assertEquals(new Broker(List.of("requests", "answers"), new Port(9092)), Flags.defaults(Broker.class));
    assertEquals(new Store(null, "eu"), Flags.defaults(Store.class));
    assertThrows(UsageException.class, () -> Flags.defaults(Settings.class)); // --input is required
  }

  @Test
  void snakeCaseSplitsWordsAndNumbers() {
    assertEquals("max_seq_length_p1", Flags.snakeCase("maxSeqLengthP1"));
    assertEquals("version_2_with_negative", Flags.snakeCase("version2WithNegative"));
    assertEquals("beta1", Flags.snakeCase("beta1"));
    assertEquals("phase2", Flags.snakeCase("phase2"));
  }
}
