package electra.pipelines.ingest;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;

/**
 * Continuous ingestion ({@code --watch}): every poll interval, the files under {@code --input} that no finished
 * batch has taken and whose size held still since the last look (so a file still being copied waits) become one
 * batch, run as a batch pipeline that appends its shards to the manifests; the {@link IngestLedger} records the
 * batch as started before and as finished after, and its counters are printed. A batch number is never used twice
 * for other files: it is above every batch the ledger knows and every batch the manifests list.
 *
 * <p>Why a loop of batch pipelines and not one unbounded streaming pipeline: the ledger and the manifests live next
 * to the shards, so a restart (or a new cluster) knows exactly what was ingested without Flink savepoints, files that
 * landed while the job was down are simply "new", and each batch keeps the byte-for-byte determinism of batch runs.
 */
final class ContinuousIngest {

  private final IngestPipeline ingest;
  private final WatchOptions options;
  private final PrintStream out;
  private final CountDownLatch stop = new CountDownLatch(1);

  ContinuousIngest(IngestPipeline ingest, WatchOptions options, PrintStream out) {
    this.ingest = ingest;
    this.options = options;
    this.out = out;
  }

  /** Asks the loop to end after the batch in progress, if any. */
  void stop() {
    stop.countDown();
  }

  /** Runs until stopped or idle for {@code --max_idle} seconds; returns the number of batches run. */
  int run() throws IOException, InterruptedException {
    FileSystems.setDefaultPipelineOptions(options);
    String output = options.getOutput().replaceAll("/+$", "");
    String pattern = MatchCorpusFiles.filepattern(options.getInput());
    Duration maxIdle = Duration.ofSeconds(options.getMaxIdle());
    Map<String, Long> lastSizes = new HashMap<>();
    Instant lastNewFile = Instant.now();
    int batches = 0;
    out.printf("watching %s every %d s%n", pattern, options.getPollInterval());
    do {
      IngestLedger ledger = IngestLedger.read(output);
      List<MatchResult.Metadata> present = MatchCorpusFiles.list(pattern);
      Map<String, Long> presentSizes = sizes(present);
      IngestLedger.Pending pending = ledger.pending();
      List<String> ready;
      int batch;
      if (pending != null && pending.repeatable(presentSizes)) {
        batch = pending.batch();
        ready = pending.files();
        out.printf("batch %d was cut short: running it again over the same %d file(s)%n", batch, ready.size());
      } else {
        if (pending != null) {
          out.printf("batch %d was cut short and one of its files changed since: its files go into a new batch "
              + "(shards it listed stay listed)%n", pending.batch());
        }
        ready = readyFiles(present, ledger.files(), lastSizes);
        batch = Math.max(ledger.nextBatch(), ingest.highestListedBatch() + 1);
      }
      if (!ready.isEmpty()) {
        out.printf("batch %d: %d new file(s)%n", batch, ready.size());
        Map<String, Long> batchSizes = new HashMap<>();
        ready.forEach(f -> batchSizes.put(f, presentSizes.get(f)));
        ledger = ledger.starting(new IngestLedger.Pending(batch, batchSizes));
        ledger.write(output);
        PipelineResult result = ingest.buildBatch(batch, ready).run();
        PipelineResult.State state = result.waitUntilFinish();
        if (state != PipelineResult.State.DONE) {
          throw new IllegalStateException("batch " + batch + " ended in state " + state);
        }
        ledger.with(new IngestLedger.Batch(batch, ready)).write(output);
        ingest.counterLines(result).forEach(out::println);
        out.printf("batch %d: done%n", batch);
        batches++;
        lastNewFile = Instant.now();
      } else if (!maxIdle.isZero() && Duration.between(lastNewFile, Instant.now()).compareTo(maxIdle) >= 0) {
        out.printf("no new files for %d s: stopping%n", options.getMaxIdle());
        break;
      }
    } while (!stop.await(options.getPollInterval(), TimeUnit.SECONDS));
    return batches;
  }

  /**
   * Files not yet ingested whose size is the same as at the previous look, in name order; {@code lastSizes} is
   * updated to this look.
   */
  static List<String> readyFiles(List<MatchResult.Metadata> present, Set<String> ingested, Map<String, Long> lastSizes) {
    Map<String, Long> sizes = sizes(present);
    List<String> ready = sizes.entrySet().stream()
        .filter(e -> !ingested.contains(e.getKey()))
        .filter(e -> e.getValue().equals(lastSizes.get(e.getKey())))
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
    lastSizes.clear();
    lastSizes.putAll(sizes);
    return ready;
  }

  private static Map<String, Long> sizes(List<MatchResult.Metadata> files) {
    Map<String, Long> sizes = new HashMap<>();
    files.forEach(m -> sizes.put(m.resourceId().toString(), m.sizeBytes()));
    return sizes;
  }
}
