package electra.trainer.runtime;

import electra.cli.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * NVIDIA's configuration presets ({@code scripts/configs/pretrain_config.sh} and {@code squad_config.sh}) as files
 * of flag values, chosen with {@code --preset=NAME}. A preset only supplies flags the command line does not give,
 * so an explicit flag always wins. Batches in NVIDIA's presets are per GPU for a fixed number of GPUs; a run on
 * another number of workers keeps the preset's global batch by scaling what the job can scale (pre-training: the
 * accumulation, keeping the per-worker batch that fits the GPU; SQuAD fine-tuning: the batch).
 */
public final class Presets {

  /** Which job a preset is for; its files lie in {@code presets/<folder>/NAME.properties} beside this class. */
  public enum Kind {
    PRETRAINING("pretraining"), SQUAD("squad");

    private final String folder;

    Kind(String folder) {
      this.folder = folder;
    }
  }

  /** The presets NVIDIA publishes for each job (the same machine and precision names for both). */
  public static final List<String> NAMES = List.of("dgxa100_8gpu_amp", "dgxa100_8gpu_tf32", "dgxa100_1gpu_amp",
      "dgxa100_1gpu_tf32", "dgx2_16gpu_amp", "dgx2_16gpu_fp32", "dgx2_1gpu_amp", "dgx2_1gpu_fp32", "dgx1_8gpu_amp",
      "dgx1_8gpu_fp32", "dgx1_1gpu_amp", "dgx1_1gpu_fp32");

  /** The flag text for {@code --preset}. */
  public static final String FLAG_HELP = "NVIDIA's configuration preset (flags given explicitly win; batches scale "
      + "to this run's workers): dgxa100_8gpu_amp, dgxa100_8gpu_tf32, dgxa100_1gpu_amp, dgxa100_1gpu_tf32, "
      + "dgx2_16gpu_amp, dgx2_16gpu_fp32, dgx2_1gpu_amp, dgx2_1gpu_fp32, dgx1_8gpu_amp, dgx1_8gpu_fp32, dgx1_1gpu_amp, "
      + "dgx1_1gpu_fp32";

  private static final String PHASE1 = "phase1.";
  private static final String PHASE2 = "phase2.";
  private static final String GPUS = "gpus";

  private Presets() {}

  /**
   * One preset: how many GPUs it was written for and its flag values (for pre-training, those of the phase asked
   * for, phase-specific keys replacing the shared ones).
   */
  public record Preset(String name, int gpus, Map<String, String> flags) {

    public Preset {
      flags = Map.copyOf(flags);
      if (gpus < 1) {
        throw new IllegalArgumentException("preset " + name + " is written for " + gpus + " GPUs");
      }
    }
  }

  /** Reads preset {@code name} of a kind; an unknown name is refused with the list. */
  public static Preset load(Kind kind, String name, boolean phase2) {
    Properties p = new Properties();
    try (InputStream in = name.matches("[a-z0-9_]+")
        ? Presets.class.getResourceAsStream("presets/" + kind.folder + "/" + name + ".properties") : null) {
      if (in == null) {
        throw new UsageException("--preset=" + name + " is not a preset; there are " + String.join(", ", NAMES));
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> flags = new TreeMap<>();
    String phase = phase2 ? PHASE2 : PHASE1;
    for (String key : p.stringPropertyNames()) {
      String value = p.getProperty(key).trim();
      if (key.equals(GPUS)) {
        continue;
      }
      if (key.startsWith(phase)) {
        flags.put(key.substring(phase.length()), value);
      } else if (!key.startsWith(PHASE1) && !key.startsWith(PHASE2)) {
        flags.putIfAbsent(key, value);
      }
    }
    return new Preset(name, Integer.parseInt(p.getProperty(GPUS, "1").trim()), flags);
  }

  /**
   * The command line with the preset's flags put in front of those given, except flags given explicitly; the flag
   * {@code scaledFlag} (a per-step count) is multiplied by gpus / workers so that the global batch stays the
   * preset's, rounded to the nearest whole number, at least 1.
   *
   * @param report says which flags the preset set and what was scaled
   */
  public static String[] apply(Preset preset, String[] args, String scaledFlag, int workers,
      java.util.function.Consumer<String> report) {
    Map<String, String> given = new LinkedHashMap<>();
    for (String a : args) {
      if (a.startsWith("--")) {
        int eq = a.indexOf('=');
        given.put(a.substring(2, eq < 0 ? a.length() : eq), a);
      }
    }
    List<String> out = new ArrayList<>();
    List<String> applied = new ArrayList<>();
    preset.flags().forEach((flag, value) -> {
      if (given.containsKey(flag)) {
        return;
      }
      String v = value;
      if (flag.equals(scaledFlag) && workers != preset.gpus()) {
        long scaled = Math.max(1, Math.round(Double.parseDouble(value) * preset.gpus() / workers));
        report.accept(String.format(Locale.ROOT, "preset %s is for %d GPUs, this run has %d worker(s): --%s %s -> %d "
            + "keeps its global batch%s", preset.name(), preset.gpus(), workers, flag, value, scaled,
            scaled * workers == Long.parseLong(value) * preset.gpus() ? "" : " as nearly as a whole number can"));
        v = Long.toString(scaled);
      }
      out.add("--" + flag + "=" + v);
      applied.add("--" + flag + "=" + v);
    });
    report.accept("preset " + preset.name() + ": " + String.join(" ", applied));
    out.addAll(List.of(args));
    return out.toArray(String[]::new);
  }

  /** The value of {@code --preset} on a command line, or null. */
  public static String presetName(String[] args) {
    String name = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--preset=")) {
        name = args[i].substring("--preset=".length());
      } else if (args[i].equals("--preset") && i + 1 < args.length) {
        name = args[i + 1];
      }
    }
    return name == null || name.isBlank() ? null : name;
  }
}
