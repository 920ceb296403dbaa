package electra.trainer.runtime;

import electra.records.TfRecordReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

/** TensorBoard event files as a test reads them back. */
public final class EventFiles {

  private EventFiles() {}

  /** The event files in {@code dir}, oldest name first. */
  public static List<Path> in(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(TensorBoardEvents.PREFIX)).sorted().toList();
    }
  }

  /** Every event of one file, the file-version event first. */
  public static List<Event> read(Path file) throws IOException {
    List<Event> events = new ArrayList<>();
    try (TfRecordReader reader = TfRecordReader.open(file)) {
      for (byte[] record : reader) {
        events.add(Event.parseFrom(record));
      }
    }
    return events;
  }

  /** The scalars of {@code tag} in these events, by step. */
  public static Map<Long, Float> scalars(List<Event> events, String tag) {
    Map<Long, Float> byStep = new TreeMap<>();
    for (Event e : events) {
      for (Summary.Value v : e.getSummary().getValueList()) {
        if (v.getTag().equals(tag)) {
          byStep.put(e.getStep(), v.getSimpleValue());
        }
      }
    }
    return byStep;
  }
}
