package electra.pipelines.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which corpus files continuous ingestion has finished, batch by batch ({@code <output>/ingested.json}), and the
 * batch in progress. A batch is recorded as pending, with its files and their sizes, before its pipeline runs, and
 * as finished after every manifest of it is written. A batch cut short is run again under its number only over
 * exactly its pending files, which writes the same bytes under the same shard names (the pipeline is
 * deterministic); when one of those files changed or vanished, the batch cannot be repeated and its files go into
 * a later batch with new names, so a shard name a manifest listed never gets other bytes.
 *
 * @param batches finished batches, oldest first
 * @param pending the batch started and not finished, or null
 */
public record IngestLedger(List<Batch> batches, Pending pending) {

  /** The ledger's file name inside the output folder. */
  public static final String FILE_NAME = "ingested.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One finished batch: its number and the files it ingested. */
  public record Batch(int batch, List<String> files) {
    public Batch {
      files = List.copyOf(files);
    }
  }

  /** A started batch: its number and the size of each of its files when it started. */
  public record Pending(int batch, Map<String, Long> sizes) {
    public Pending {
      sizes = Map.copyOf(sizes);
    }

    /** Whether every file is still there with the size it had, so that running the batch again repeats it. */
    public boolean repeatable(Map<String, Long> present) {
      return sizes.entrySet().stream().allMatch(e -> e.getValue().equals(present.get(e.getKey())));
    }

    public List<String> files() {
      return sizes.keySet().stream().sorted().toList();
    }
  }

  public IngestLedger {
    batches = List.copyOf(batches);
  }

  public static IngestLedger empty() {
    return new IngestLedger(List.of(), null);
  }

  /** Every file any finished batch ingested. */
  public Set<String> files() {
    Set<String> all = new HashSet<>();
    batches.forEach(b -> all.addAll(b.files()));
    return all;
  }

  /** The number after every batch this ledger knows of, finished or started. */
  public int nextBatch() {
    int last = batches.isEmpty() ? 0 : batches.get(batches.size() - 1).batch();
    return Math.max(last, pending == null ? 0 : pending.batch()) + 1;
  }

  /** This ledger with {@code batch} started. */
  public IngestLedger starting(Pending batch) {
    return new IngestLedger(batches, batch);
  }

  /** This ledger with {@code batch} finished (and nothing pending). */
  public IngestLedger with(Batch batch) {
    List<Batch> all = new ArrayList<>(batches);
    all.add(batch);
    return new IngestLedger(all, null);
  }

  public static IngestLedger read(String outputDirectory) throws IOException {
    var text = AtomicFiles.readText(outputDirectory, FILE_NAME);
    return text.isEmpty() ? empty() : JSON.readValue(text.get(), IngestLedger.class);
  }

  public void write(String outputDirectory) throws IOException {
    AtomicFiles.writeText(outputDirectory, FILE_NAME, JSON.writeValueAsString(this) + "\n");
  }
}
