package electra.trainer.pretrain;

import electra.cli.Flags;
import electra.cli.Job;
import electra.cli.StopRequest;
import electra.cli.StopSignals;
import electra.trainer.distributed.DataParallelSettings;
import electra.trainer.runtime.Presets;
import java.io.PrintStream;

/** The {@code Pretrain} job: ELECTRA pre-training from TFRecord shards, flags in {@link PretrainConfig#flags()}. */
public final class Pretrain implements Job {

  private final PrintStream out;
  private final StopRequest stop = new StopRequest();

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

  /**
   * Trains; Ctrl-C, SIGTERM or SIGHUP ({@link StopSignals}, in place of the JVM's shutdown) or {@link #stop()} asks
   * the trainer to stop after the optimizer step in progress. It saves a checkpoint, so that
   * {@code --restore_checkpoint=latest} continues from where it stopped, while TensorFlow is still there, and the job
   * returns (status 0); a second Ctrl-C exits at once. A {@code kill -9} cannot be caught: then the run continues
   * from its last periodic checkpoint. With {@code --workers}, a stop asked of any worker stops every worker after
   * the same step (the flag travels with the gathered data positions) and the chief saves.
   */
  @Override
  public void run(String[] args) throws Exception {
    Flags.Values f = PretrainConfig.flags().parse(withPreset(args));
    Trainer trainer = new Trainer(f.record(PretrainConfig.class), out,
        f.record(DataParallelSettings.CommandLine.class).resolve(System.getenv()));
    try (StopSignals signals = new StopSignals(stop::request, out)) {
      stop.onRequest(() -> {
        out.println("Pretrain: stop requested: finishing the step in progress and saving a checkpoint (a second "
            + "Ctrl-C exits at once) ...");
        out.flush();
        trainer.requestStop();
      });
      trainer.run();
    }
  }

  /**
   * Asks a run in progress on another thread to stop as Ctrl-C does (after its step, with a checkpoint); the caller
   * waits for {@link #run} to return. A run not started yet stops as soon as it can.
   */
  public void stop() {
    stop.request();
  }

  /** Whether a stop was asked for: a caller running more after this job (QuickStart) ends there too. */
  public boolean stopRequested() {
    return stop.requested();
  }

  /**
   * The command line with {@code --preset}'s flags for this phase in front, the accumulation scaled to this run's
   * worker count (known only once the data-parallel flags are read, hence two parses).
   */
  String[] withPreset(String[] args) {
    String name = Presets.presetName(args);
    if (name == null) {
      return args;
    }
    Flags.Values given = PretrainConfig.flags().parse(args);
    int workers = given.record(DataParallelSettings.CommandLine.class).resolve(System.getenv()).cluster().size();
    Presets.Preset preset = Presets.load(Presets.Kind.PRETRAINING, name, given.bool("phase2"));
    return Presets.apply(preset, args, "gradient_accumulation_steps", workers, out::println);
  }
}
