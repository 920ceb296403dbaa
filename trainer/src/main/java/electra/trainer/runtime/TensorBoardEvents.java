package electra.trainer.runtime;

import electra.records.TfRecordWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.SessionLog;
import org.tensorflow.proto.Summary;

/**
 * A TensorBoard event file, {@code events.out.tfevents.<unix_time>.<host>}: TFRecord-framed {@code tensorflow.Event}
 * protos, as TensorFlow's {@code EventFileWriter} writes them. The first event names the format
 * ({@code brain.Event:2}); each {@link #scalars} call adds one event with a {@code simple_value} per metric, which
 * TensorBoard's Scalars tab plots against the step. Flushed after every event, so TensorBoard sees a running job.
 */
public final class TensorBoardEvents implements AutoCloseable {

  /** What every event file name starts with (TensorBoard lists the files whose names contain "tfevents"). */
  public static final String PREFIX = "events.out.tfevents.";
  public static final String FILE_VERSION = "brain.Event:2";

  private final Path file;
  private final TfRecordWriter writer;

  private TensorBoardEvents(Path file) throws IOException {
    this.file = file;
    this.writer = TfRecordWriter.create(file);
  }

  /** Creates a new event file in {@code dir} and writes its file-version event. */
  public static TensorBoardEvents create(Path dir) throws IOException {
    Files.createDirectories(dir);
    long now = System.currentTimeMillis();
    String base = PREFIX + now / 1000 + "." + hostName();
    Path file = dir.resolve(base);
    for (int n = 1; Files.exists(file); n++) { // a restart within the same second: keep both files
      file = dir.resolve(base + "." + ProcessHandle.current().pid() + "." + n);
    }
    TensorBoardEvents events = new TensorBoardEvents(file);
    events.write(Event.newBuilder().setWallTime(now / 1e3).setFileVersion(FILE_VERSION).build());
    return events;
  }

  public Path file() {
    return file;
  }

  /**
   * Marks a (re)start at {@code step}: TensorBoard then drops the events of an earlier, interrupted run that are
   * at this step or later, so a resumed run's curves do not overlap the killed run's.
   */
  public void sessionStart(long step, double wallTime) throws IOException {
    write(Event.newBuilder().setWallTime(wallTime).setStep(step)
        .setSessionLog(SessionLog.newBuilder().setStatus(SessionLog.SessionStatus.START)).build());
  }

  /** One event holding a scalar per entry (tag = metric name); non-finite values are written as they are. */
  public void scalars(long step, double wallTime, Map<String, Double> values) throws IOException {
    Summary.Builder summary = Summary.newBuilder();
    values.forEach((tag, value) -> summary.addValue(Summary.Value.newBuilder().setTag(tag)
        .setSimpleValue(value.floatValue())));
    write(Event.newBuilder().setWallTime(wallTime).setStep(step).setSummary(summary).build());
  }

  private void write(Event event) throws IOException {
    writer.write(event.toByteArray());
    writer.flush();
  }

  /** The host name TensorFlow would put in the file name (the local name, not a DNS lookup). */
  static String hostName() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = InetAddress.getLocalHost().getHostName();
      } catch (IOException e) {
        host = "localhost";
      }
    }
    return host.replaceAll("[^A-Za-z0-9._-]", "_");
  }

  @Override
  public void close() throws IOException {
    writer.close();
  }
}
