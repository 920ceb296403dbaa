package electra.serving;

import electra.export.InferenceEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One loaded model per process, whatever the number of DoFn instances a runner makes: DoFns {@link #acquire} in
 * {@code @Setup} and {@link #release} in {@code @Teardown}; the model is closed when the last user lets go.
 * (A model is several hundred MB of native memory for a base-size ELECTRA, and {@link QaModel} is thread-safe.)
 */
public final class SharedAnswerers {

  private record Key(Path dir, int maxBatchSize, InferenceEngine engine, RequestLimits limits) {}

  private static final class Entry {
    final QaAnswerer answerer;
    int users;

    Entry(QaAnswerer answerer) {
      this.answerer = answerer;
    }
  }

  private static final Map<Key, Entry> LOADED = new HashMap<>();

  private SharedAnswerers() {}

  public static synchronized QaAnswerer acquire(String dir, int maxBatchSize, InferenceEngine engine,
      RequestLimits limits) {
    Key key = new Key(Path.of(dir).toAbsolutePath().normalize(), maxBatchSize, engine, limits);
    Entry e = LOADED.get(key);
    if (e == null) {
      try {
        e = new Entry(new QaAnswerer(QaModel.load(key.dir(), maxBatchSize, engine), limits));
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot load the QA model " + dir + ": " + ex.getMessage(), ex);
      }
      LOADED.put(key, e);
    }
    e.users++;
    return e.answerer;
  }

  public static synchronized void release(QaAnswerer answerer) {
    for (var it = LOADED.entrySet().iterator(); it.hasNext(); ) {
      Entry e = it.next().getValue();
      if (e.answerer == answerer && --e.users == 0) {
        it.remove();
        e.answerer.model().close();
        return;
      }
    }
  }
}
