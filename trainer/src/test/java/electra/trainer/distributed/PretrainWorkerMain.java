package electra.trainer.distributed;

import electra.trainer.pretrain.Pretrain;

/** Child process of {@link DistributedPretrainTest}: one {@code Pretrain} worker; exit 0, or 1 after "ERROR ...". */
public final class PretrainWorkerMain {
  public static void main(String[] args) {
    int code = 0;
    try {
      new Pretrain(System.out).run(args);
    } catch (Throwable t) {
      System.out.println("ERROR " + t);
      code = 1;
    }
    System.out.flush();
    Runtime.getRuntime().halt(code);
  }
}
