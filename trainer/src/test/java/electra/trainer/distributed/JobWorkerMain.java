package electra.trainer.distributed;

import electra.cli.Job;
import java.util.Arrays;

/**
 * Child process of the data-parallel job tests ({@link DistributedPretrainTest}, {@link DistributedFinetuneTest}):
 * runs the job whose class is the first argument with the other arguments, as one worker; exit 0, or 1 after
 * "ERROR ...".
 */
public final class JobWorkerMain {
  public static void main(String[] args) {
    int code = 0;
    try {
      Job job = (Job) Class.forName(args[0]).getDeclaredConstructor().newInstance();
      job.run(Arrays.copyOfRange(args, 1, args.length));
    } catch (Throwable t) {
      System.out.println("ERROR " + t);
      code = 1;
    }
    System.out.flush();
    Runtime.getRuntime().halt(code);
  }
}
