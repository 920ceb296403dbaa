package electra.cli;

/** Thrown by flag parsing when {@code --help} was given; carries the text to print. */
public final class HelpRequested extends RuntimeException {
  public HelpRequested(String help) {
    super(help, null, false, false);
  }
}
