package electra.pipelines.ingest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which corpus files continuous ingestion has finished, batch by batch ({@code <output>/ingested.json}). It is
 * written after every manifest of a batch is updated, so a file is listed only once its shards are; a batch that
 * was cut short is run again under the same number, which rewrites the same shard names instead of adding copies.
 *
 * @param batches finished batches, oldest first
 */
public record IngestLedger(List<Batch> batches) {

  /** The ledger's file name inside the output folder. */
  public static final String FILE_NAME = "ingested.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One finished batch: its number and the files it ingested. */
  public record Batch(int batch, List<String> files) {
    public Batch {
      files = List.copyOf(files);
    }
  }

  public IngestLedger {
    batches = List.copyOf(batches);
  }

  public static IngestLedger empty() {
    return new IngestLedger(List.of());
  }

  /** Every file any finished batch ingested. */
  public Set<String> files() {
    Set<String> all = new HashSet<>();
    batches.forEach(b -> all.addAll(b.files()));
    return all;
  }

  /** The number the next batch gets. */
  public int nextBatch() {
    return batches.isEmpty() ? 1 : batches.get(batches.size() - 1).batch() + 1;
  }

  public IngestLedger with(Batch batch) {
    List<Batch> all = new ArrayList<>(batches);
    all.add(batch);
    return new IngestLedger(all);
  }

  public static IngestLedger read(String outputDirectory) throws IOException {
    var text = AtomicFiles.readText(outputDirectory, FILE_NAME);
    return text.isEmpty() ? empty() : JSON.readValue(text.get(), IngestLedger.class);
  }

  public void write(String outputDirectory) throws IOException {
    AtomicFiles.writeText(outputDirectory, FILE_NAME, JSON.writeValueAsString(this) + "\n");
  }
}
