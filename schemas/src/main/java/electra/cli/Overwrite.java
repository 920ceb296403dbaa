package electra.cli;

/**
 * {@code --overwrite}, declared once for every job that writes a folder: a component of the job's settings record
 * (the Beam jobs' options describe their flag with {@link #HELP}), handed to {@link OutputFolder#claim}.
 */
public record Overwrite(
    @Flag(value = Overwrite.HELP, name = "overwrite", defaultValue = "false")
    boolean requested) {

  public static final String HELP = "replace what another job or an earlier run left in the output folder (it is "
      + "deleted first); a run that continues its own work needs no flag";
}
