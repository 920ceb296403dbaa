package electra.serving;

import electra.export.InferenceEngine;
import electra.export.ModelRepository;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model a process answers with, which changes while it runs when it comes from a {@link ModelRepository}: the
 * newest version that loads and passes its export's check is served, and a background thread looks for newer ones
 * every poll interval, loads and checks them off the request path, and swaps them in. Each {@link #answerAll} runs
 * one micro-batch on the version that was current when it began, so a swap falls between micro-batches: a request
 * never waits for a load, at most for its own model run, and no run sees two versions. The replaced version is
 * closed (its native memory freed) when the last run that holds it ends.
 *
 * <p>A version that does not load or whose outputs differ from those its export recorded is refused: one log line
 * with the cause, a count for the job's metrics ({@link #takeRefused}), and the version being served stays. A refused
 * version is remembered and not tried again (a published version never changes); a newer one is. {@code pinned}
 * serves one version only and never looks for others (rollback). An export folder instead of a repository is served
 * as it is, as version 0, and never replaced.
 *
 * <p>Thread-safe; one per process and model ({@link SharedAnswerers}), shared by every DoFn instance there.
 */
public final class ServedModel implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServedModel.class);

  /** The version an export folder (not a repository) is served as. */
  public static final long EXPORT_FOLDER_VERSION = 0;

  /** How a version's export folder becomes an answerer (a {@link QaModel} loaded and checked). */
  @FunctionalInterface
  public interface Loader {
    QaAnswerer load(Path exportDir) throws IOException;
  }

  /** The outcomes of one micro-batch, and the version that answered all of them and the engine that ran it. */
  public record Answers(long version, InferenceEngine engine, List<QaAnswerer.Outcome> outcomes) {}

  /** A loaded version and the runs holding it: the server's own hold, plus one per run in flight. */
  private static final class Loaded {
    final long version;
    final QaAnswerer answerer;
    private final AtomicInteger holds = new AtomicInteger(1);

    Loaded(long version, QaAnswerer answerer) {
      this.version = version;
      this.answerer = answerer;
    }

    /** The runtime this version runs on: each version resolves --engine=auto by its own export. */
    InferenceEngine engine() {
      return answerer.model().engine();
    }

    /** A hold for one run; false once the last hold was let go (the model is closed or closing). */
    boolean hold() {
      while (true) {
        int h = holds.get();
        if (h == 0) {
          return false;
        }
        if (holds.compareAndSet(h, h + 1)) {
          return true;
        }
      }
    }

    void letGo() {
      if (holds.decrementAndGet() == 0) {
        answerer.model().close();
      }
    }
  }

  private final String description;
  private final ModelRepository repository;
  private final Loader loader;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private final CountDownLatch firstServed = new CountDownLatch(1);
  private final Set<Long> refused = ConcurrentHashMap.newKeySet();
  private final AtomicLong refusedUnreported = new AtomicLong();
  private final AtomicLong swapsUnreported = new AtomicLong();
  private final Object polling = new Object();
  private final ScheduledExecutorService poller;
  private volatile boolean closed;
  private boolean loggedWaiting;

  private ServedModel(String description, ModelRepository repository, Loader loader, Duration pollInterval) {
    this.description = description;
    this.repository = repository;
    this.loader = loader;
    if (pollInterval == null) {
      this.poller = null;
      return;
    }
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "model-versions " + repository.dir().getFileName());
      t.setDaemon(true);
      return t;
    });
  }

  /** An export folder, loaded now and served as version {@value #EXPORT_FOLDER_VERSION} until closed. */
  public static ServedModel exportFolder(Path dir, Loader loader) throws IOException {
    ServedModel served = new ServedModel(dir.toString(), null, loader, null);
    served.serve(new Loaded(EXPORT_FOLDER_VERSION, loader.load(dir)));
    return served;
  }

  /**
   * Version {@code pinned} of {@code repository}, or with {@code pinned} 0 its newest servable version, looking for
   * newer ones every {@code pollInterval}. The versions there now are tried at once, newest first; an empty
   * repository is waited for. Fails when a pinned version cannot be served, or when the repository has versions
   * and none of them can be.
   */
  public static ServedModel repository(ModelRepository repository, long pinned, Duration pollInterval,
      Loader loader) throws IOException {
    Objects.requireNonNull(pollInterval, "pollInterval");
    if (pinned > 0) {
      ModelRepository.Version v = repository.version(pinned);
      ServedModel served = new ServedModel(repository + " (pinned to version " + pinned + ")", null, loader, null);
      served.serve(new Loaded(pinned, loadVersion(loader, v)));
      return served;
    }
    if (pinned < 0 || pollInterval.isNegative() || pollInterval.isZero()) {
      throw new IllegalArgumentException("a pinned version is positive (0: the newest) and the poll interval "
          + "positive, got " + pinned + " and " + pollInterval);
    }
    ServedModel served = new ServedModel(repository.toString(), repository, loader, pollInterval);
    List<String> causes;
    try {
      causes = served.poll();
    } catch (IOException | RuntimeException e) {
      served.close();
      throw e;
    }
    if (served.current.get() == null && !causes.isEmpty()) {
      served.close();
      throw new IOException("no version of " + repository + " can be served: " + String.join("; ", causes));
    }
    served.poller.scheduleWithFixedDelay(served::pollQuietly, pollInterval.toMillis(), pollInterval.toMillis(),
        TimeUnit.MILLISECONDS);
    return served;
  }

  private static QaAnswerer loadVersion(Loader loader, ModelRepository.Version v) throws IOException {
    try {
      return loader.load(v.dir());
    } catch (RuntimeException e) {
      // a damaged SavedModel fails inside TensorFlow with an unchecked exception: still the version's fault
      throw new IOException(v.dir() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Answers one micro-batch with the version being served when it begins; waits for the first version of an empty
   * repository.
   */
  public Answers answerAll(List<QaAnswerer.Question> questions) {
    Loaded l = hold();
    try {
      return new Answers(l.version, l.engine(), l.answerer.answerAll(questions));
    } finally {
      l.letGo();
    }
  }

  private Loaded hold() {
    while (true) {
      Loaded l = current.get();
      if (l != null && l.hold()) {
        return l;
      }
      if (closed) {
        throw new IllegalStateException(description + " is closed");
      }
      if (l == null) {
        awaitFirstVersion();
      }
      // else: swapped out between reading it and holding it; the new one is current already
    }
  }

  /** Blocks until a version is served (at once unless the repository was empty). */
  public void awaitFirstVersion() {
    try {
      firstServed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the first version of " + description, e);
    }
  }

  /** The version being served; -1 while waiting for the first. */
  public long version() {
    Loaded l = current.get();
    return l == null ? -1 : l.version;
  }

  /** The engine of the version being served (with {@code --engine=auto}, each version's own); null while waiting. */
  public InferenceEngine engine() {
    Loaded l = current.get();
    return l == null ? null : l.engine();
  }

  /** Versions refused since the last call (each refusal counted once per process), for a metric. */
  public long takeRefused() {
    return refusedUnreported.getAndSet(0);
  }

  /** Swaps since the last call, for a metric. */
  public long takeSwaps() {
    return swapsUnreported.getAndSet(0);
  }

  /** Looks for a newer version now, as the background thread does every poll interval (tests, benchmarks). */
  public void pollNow() {
    if (repository == null) {
      return;
    }
    try {
      poll();
    } catch (IOException e) {
      LOG.warn("cannot list the versions of {}: {}", repository, e.toString());
    }
  }

  private void pollQuietly() {
    try {
      pollNow();
    } catch (RuntimeException | Error e) {
      // keep polling: one failure must not end the background thread (it would stop all later swaps)
      LOG.error("looking for a new version of {} failed", repository, e);
    }
  }

  /**
   * Tries the versions newer than the one served, newest first, and serves the first that loads and checks; returns
   * why the others were refused.
   */
  private List<String> poll() throws IOException {
    synchronized (polling) {
      List<String> causes = new ArrayList<>();
      if (closed) {
        return causes;
      }
      Loaded serving = current.get();
      long servingVersion = serving == null ? 0 : serving.version;
      List<ModelRepository.Version> versions = new ArrayList<>(repository.versions());
      if (versions.isEmpty() && serving == null && !loggedWaiting) {
        loggedWaiting = true;
        LOG.info("{} has no version yet; waiting for the first", repository);
      }
      for (int i = versions.size() - 1; i >= 0; i--) {
        ModelRepository.Version v = versions.get(i);
        if (v.number() <= servingVersion) {
          break;
        }
        if (refused.contains(v.number())) {
          continue;
        }
        try {
          serve(new Loaded(v.number(), loadVersion(loader, v)));
          return causes;
        } catch (IOException e) {
          refused.add(v.number());
          refusedUnreported.incrementAndGet();
          // one line: TensorFlow's messages end with the graph node on a line of its own
          String why = String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " ");
          causes.add("version " + v.number() + ": " + why);
          LOG.warn("refused version {} of {}: {}; {}", v.number(), repository, why,
              serving == null ? "nothing served yet" : "still serving version " + serving.version);
        }
      }
      return causes;
    }
  }

  private void serve(Loaded fresh) {
    if (closed) {
      fresh.letGo();
      return;
    }
    Loaded old = current.getAndSet(fresh);
    firstServed.countDown();
    if (old != null) {
      swapsUnreported.incrementAndGet();
      LOG.info("serving version {} of {} on {} (was version {} on {})", fresh.version, description,
          fresh.engine().id(), old.version, old.engine().id());
      old.letGo();
    } else if (repository != null) {
      LOG.info("serving version {} of {} on {}", fresh.version, description, fresh.engine().id());
    }
    if (closed) {
      // closed while this version loaded: close() may have let go of the previous one only
      Loaded l = current.getAndSet(null);
      if (l != null) {
        l.letGo();
      }
    }
  }

  /**
   * Stops looking for versions and closes the served one once the runs holding it end. A look in progress is waited
   * for (not interrupted): a version it is loading is then closed by it, and no TensorFlow or ONNX Runtime call
   * outlives this one, so that a process may end (and the libraries' own clean-up run) right after.
   */
  @Override
  public void close() {
    closed = true;
    if (poller != null) {
      poller.shutdown();
      synchronized (polling) {
        // the look in progress, if any, has ended; later ones see closed
      }
    }
    Loaded l = current.getAndSet(null);
    if (l != null) {
      l.letGo();
    }
    firstServed.countDown();
  }

  @Override
  public String toString() {
    return "ServedModel[" + description + ", version " + version() + "]";
  }
}
