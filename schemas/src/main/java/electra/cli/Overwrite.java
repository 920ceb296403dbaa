package electra.cli;

/**
 * {@code --overwrite}, declared once for every job that writes a folder: a component of the job's settings record
 * (the Beam jobs' options describe their flag with {@link #HELP}), handed to {@link OutputFolder#claim}.
 */
public record Overwrite(
    @Flag(value = Overwrite.HELP, name = "overwrite", defaultValue = "false")
    boolean requested) {

  public static final String HELP = "delete another job's or an earlier run's output from the output folder first "
      + "(continuing a run needs no flag)";
}
