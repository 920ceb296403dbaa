package electra.trainer.evaluate;

/** {@code ./electra EvaluateCheckpoints ...} in a child JVM for tests: runs the job and exits as the launcher does. */
public final class EvaluateCheckpointsMain {

  private EvaluateCheckpointsMain() {}

  public static void main(String[] args) throws Exception {
    new EvaluateCheckpoints().run(args);
    System.exit(0);
  }
}
