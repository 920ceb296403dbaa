package electra.beam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.UsageException;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;
import org.junit.jupiter.api.Test;

class BeamJobTest {

  public interface CountOptions extends PipelineOptions {
    @Description("Where the counts go")
    @Validation.Required
    String getOutput();

    void setOutput(String value);

    @Description("Tokens per phase-1 example")
    @Default.Integer(128)
    int getMaxSeqLengthP1();

    void setMaxSeqLengthP1(int value);
  }

  static final class CountJob extends BeamJob<CountOptions> {
    CountJob() {
      super(CountOptions.class);
    }

    @Override
    public String name() {
      return "Count";
    }

    @Override
    public String description() {
      return "counts things";
    }

    @Override
    protected void run(CountOptions options) {}

    @Override
    protected String examples() {
      return "  ./electra Count --output=out\n";
    }
  }

  @Test
  void snakeCaseFlagsReachBeamsCamelCaseOptionsOnEmbeddedFlinkByDefault() {
    CountOptions o = new CountJob().parse("--output=runs/x", "--max_seq_length_p1=64", "--flink_master=[local]",
        "--parallelism=2");
    assertEquals("runs/x", o.getOutput());
    assertEquals(64, o.getMaxSeqLengthP1());
    FlinkPipelineOptions flink = o.as(FlinkPipelineOptions.class);
    assertEquals("FlinkRunner", o.getRunner().getSimpleName());
    assertEquals("[local]", flink.getFlinkMaster());
    assertEquals(2, flink.getParallelism());
    assertTrue(flink.getObjectReuse(), "our DoFns never mutate their inputs");
    assertEquals(DirectRunner.class, new CountJob().parse("--output=o", "--runner=DirectRunner").getRunner());
    assertEquals(64, new CountJob().parse("--output=o", "--maxSeqLengthP1=64").getMaxSeqLengthP1(),
        "Beam's own spelling is accepted too");
  }

  @Test
  void helpListsOurFlagsThenTheRunnerAndObjectStoreFlagsInOneSpelling() {
    String help = assertThrows(HelpRequested.class, () -> new CountJob().parse("--help")).getMessage();
    assertTrue(help.startsWith("Count: counts things\n\nFlags:\n"), help);
    assertTrue(help.contains("--max_seq_length_p1") && help.contains("(default: 128)"), help);
    assertTrue(help.contains("--output") && help.contains("[required]"), help);
    int runnerFlags = help.indexOf("\nRunner and object-store flags:\n");
    assertTrue(runnerFlags > help.indexOf("--output"), help);
    for (String flag : new String[] {"--runner", "--flink_master", "--parallelism", "--checkpointing_interval",
        "--endpoint", "--aws_region", "--s3_client_factory_class", "--project"}) {
      assertTrue(help.indexOf(flag + " ") > runnerFlags, flag + " in\n" + help);
    }
    assertTrue(help.endsWith("Examples:\n  ./electra Count --output=out\n"), help);
  }

  @Test
  void aBadFlagIsOneLine() {
    UsageException e = assertThrows(UsageException.class, () -> new CountJob().parse("--output=o", "--bogus=1"));
    assertTrue(!e.getMessage().contains("\n") && e.getMessage().contains("bogus"), e.getMessage());
    assertEquals("--max_seq_length_p1=5", "--" + snake(BeamJob.camelCaseFlag("--max_seq_length_p1=5")));
  }

  private static String snake(String camelFlag) {
    int eq = camelFlag.indexOf('=');
    return electra.cli.Flags.snakeCase(camelFlag.substring(2, eq)) + camelFlag.substring(eq);
  }
}
