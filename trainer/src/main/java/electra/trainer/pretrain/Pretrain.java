package electra.trainer.pretrain;

import electra.cli.Job;
import electra.trainer.distributed.DataParallelSettings;
import java.io.PrintStream;

/** The {@code Pretrain} job: ELECTRA pre-training from TFRecord shards, flags in {@link PretrainConfig#flags()}. */
public final class Pretrain implements Job {

  private final PrintStream out;

  public Pretrain() {
    this(System.out);
  }

  public Pretrain(PrintStream out) {
    this.out = out;
  }

  @Override
  public String name() {
    return "Pretrain";
  }

  @Override
  public String description() {
    return "ELECTRA pre-training (phase 1 or 2) from TFRecord shards, with resumable checkpoints";
  }

  @Override
  public void run(String[] args) throws Exception {
    electra.cli.Flags.Values f = PretrainConfig.flags().parse(args);
    new Trainer(PretrainConfig.fromFlags(f), out, DataParallelSettings.fromFlags(f, System.getenv())).run();
  }
}
