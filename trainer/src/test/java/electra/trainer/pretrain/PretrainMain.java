package electra.trainer.pretrain;

/** {@code ./electra Pretrain ...} in a child JVM for tests: runs the job and exits as the launcher does. */
public final class PretrainMain {

  private PretrainMain() {}

  public static void main(String[] args) throws Exception {
    new Pretrain().run(args);
    System.exit(0);
  }
}
