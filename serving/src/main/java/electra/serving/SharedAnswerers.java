package electra.serving;

import electra.export.InferenceEngine;
import electra.export.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One served model per process, whatever the number of DoFn instances a runner makes: DoFns {@link #acquire} in
 * {@code @Setup} and {@link #release} in {@code @Teardown}; the model is closed when the last user lets go.
 * (A model is several hundred MB of native memory for a base-size ELECTRA, and {@link ServedModel} is thread-safe.)
 * So within one process all subtasks answer with the same version and swap together; each process (TaskManager)
 * looks for new versions on its own.
 */
public final class SharedAnswerers {

  private static final Logger LOG = LoggerFactory.getLogger(SharedAnswerers.class);

  /**
   * What a served model is: {@code model} an export folder or a repository's model folder ({@code <models>/<name>}),
   * {@code pinnedVersion} 0 for the newest, how often to look for a newer one, and how it answers ({@code engine} as
   * the flag gave it: {@code auto} is resolved for each version when it loads).
   */
  public record Spec(Path model, long pinnedVersion, Duration pollInterval, int maxBatchSize, InferenceEngine engine,
      RequestLimits limits) {

    public Spec {
      model = model.toAbsolutePath().normalize();
    }

    /**
     * An export folder served as it is (no repository, no polling), as ServeQA with its default flags specifies it:
     * the same model in the same process.
     */
    public static Spec exportFolder(Path dir, int maxBatchSize, InferenceEngine engine, RequestLimits limits) {
      return new Spec(dir, 0, Duration.ofSeconds(ServeQaOptions.DEFAULT_POLL_INTERVAL_S), maxBatchSize, engine,
          limits);
    }

    ServedModel open() throws IOException {
      ServedModel.Loader loader = dir -> new QaAnswerer(QaModel.load(dir, maxBatchSize, engine), limits);
      if (ModelRepository.isExportFolder(model)) {
        if (pinnedVersion != 0) {
          throw new IOException("--model_version picks a version of a model repository, but " + model + " is an "
              + "export folder");
        }
        return ServedModel.exportFolder(model, loader);
      }
      return ServedModel.repository(ModelRepository.of(model), pinnedVersion, pollInterval, loader);
    }
  }

  private static final class Entry {
    final ServedModel served;
    int users;

    Entry(ServedModel served) {
      this.served = served;
    }
  }

  private static final Map<Spec, Entry> LOADED = new HashMap<>();

  private SharedAnswerers() {}

  /** The process's served model for {@code spec}, opened by the first caller. */
  public static synchronized ServedModel acquire(Spec spec) {
    Entry e = LOADED.get(spec);
    if (e == null) {
      try {
        e = new Entry(spec.open());
      } catch (IOException ex) {
        throw new UncheckedIOException("cannot serve the QA model " + spec.model() + ": " + ex.getMessage(), ex);
      }
      LOADED.put(spec, e);
      // One line per load and process: on a cluster, each TaskManager's log shows how often it loaded the model, and
      // on which engine (--engine=auto resolves per export; a repository's later versions log their own).
      InferenceEngine engine = e.served.engine();
      LOG.info("loaded the QA model {} ({}) in this process (pid {}), shared by its subtasks", spec.model(),
          engine == null ? "no version yet" : engine.id(),
          ProcessHandle.current().pid());
    }
    e.users++;
    return e.served;
  }

  public static synchronized void release(ServedModel served) {
    for (var it = LOADED.entrySet().iterator(); it.hasNext(); ) {
      Entry e = it.next().getValue();
      if (e.served == served && --e.users == 0) {
        it.remove();
        e.served.close();
        return;
      }
    }
  }
}
