package electra.trainer.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of one run phase: folders {@code <prefix><step>} (e.g. {@code ckpt-000500}) under the run folder,
 * each holding the TF bundle {@code model.index} / {@code model.data-*} and {@code state.json} (step and data
 * position). A checkpoint is written into a hidden temporary folder and renamed into place, so a folder with
 * that name is always complete; only the newest {@code keep} are kept.
 */
public final class Checkpoints {

  /** File-name prefix of the variables inside a checkpoint folder. */
  public static final String MODEL = "model";
  public static final String STATE = "state.json";

  /**
   * What a checkpoint records besides the variables: enough to continue the run exactly, the SHA-256 of the
   * vocabulary the model was trained with, the shard order of the data epoch and how many manifest entries were
   * listed when that epoch started (null, null and 0 in checkpoints written before they were recorded; the order is
   * then derived from the seed and the manifest, as it was).
   */
  public record State(long step, long microStep, boolean phase2, long seed, int maxSeqLength, long dataEpoch,
      int dataShardIndex, String dataShard, long dataRecord, long dataByteOffset, String vocabFingerprint,
      List<String> dataOrder, int dataListedAtEpochStart) {

    /** A run that has not trained yet: step 0, the data's start, no vocabulary recorded. */
    public static State fresh(boolean phase2, long seed, int maxSeqLength) {
      return at(0, 0, phase2, seed, maxSeqLength, DataPosition.START, null, null);
    }

    /** A released model written as step 0 of a new run, with the vocabulary it came with. */
    public static State imported(String vocabFingerprint) {
      return at(0, 0, false, 0, 0, DataPosition.START, null, vocabFingerprint);
    }

    /**
     * A fine-tuning run at {@code step}: it reads one shuffled list of windows per epoch, so its data position is
     * the epoch and the window within it.
     */
    public static State fineTuning(long step, long seed, int maxSeqLength, long epoch, long window,
        String vocabFingerprint) {
      return new State(step, step, false, seed, maxSeqLength, epoch, 0, null, window, 0, vocabFingerprint, List.of(),
          0);
    }

    /** The state of a pre-training run at {@code data}, the stream position after the last batch it trained on. */
    public static State at(long step, long microStep, boolean phase2, long seed, int maxSeqLength,
        DataPosition data, String dataShard, String vocabFingerprint) {
      return new State(step, microStep, phase2, seed, maxSeqLength, data.epoch(), data.shardIndex(), dataShard,
          data.record(), data.byteOffset(), vocabFingerprint, data.order(), data.listedAtEpochStart());
    }

    public DataPosition position() {
      return new DataPosition(dataEpoch, dataShardIndex, dataRecord, dataByteOffset, dataListedAtEpochStart,
          dataOrder);
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path runDir;
  private final String prefix;
  private final int keep;
  private final Pattern name;

  public Checkpoints(Path runDir, String prefix, int keep) {
    this.runDir = runDir;
    this.prefix = prefix;
    this.keep = keep;
    this.name = Pattern.compile(Pattern.quote(prefix) + "(\\d+)");
  }

  /**
   * Writes checkpoint {@code state.step()}: {@code saveVariables} gets the bundle prefix inside a temporary
   * folder, then state.json is added and the folder renamed into place; older checkpoints beyond {@code keep}
   * are deleted. Returns the checkpoint folder.
   */
  public Path save(State state, Consumer<Path> saveVariables) throws IOException {
    Files.createDirectories(runDir);
    String folder = prefix + String.format("%06d", state.step());
    Path tmp = runDir.resolve("." + folder + ".tmp");
    deleteTree(tmp);
    Files.createDirectories(tmp);
    saveVariables.accept(tmp.resolve(MODEL));
    Files.writeString(tmp.resolve(STATE), JSON.writeValueAsString(state));
    Path target = runDir.resolve(folder);
    deleteTree(target);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target);
    }
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      deleteTree(all.get(i));
    }
    return target;
  }

  /** This phase's complete checkpoints, oldest first. */
  public List<Path> list() throws IOException {
    if (!Files.isDirectory(runDir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(runDir)) {
      return s.filter(p -> name.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.isRegularFile(p.resolve(STATE)))
          .sorted(Comparator.comparingLong(this::stepOf))
          .toList();
    }
  }

  public Optional<Path> latest() throws IOException {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  private long stepOf(Path p) {
    Matcher m = name.matcher(p.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /** The state of a checkpoint folder; names the folder when it is not one. */
  public static State readState(Path checkpoint) throws IOException {
    Path file = checkpoint.resolve(STATE);
    if (!Files.isRegularFile(file) || !Files.isRegularFile(checkpoint.resolve(MODEL + ".index"))) {
      throw new IOException(checkpoint + " is not a checkpoint folder (needs " + STATE + " and " + MODEL
          + ".index)");
    }
    return JSON.readValue(file.toFile(), State.class);
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      s.sorted(Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.delete(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
