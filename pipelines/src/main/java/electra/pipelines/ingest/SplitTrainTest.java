package electra.pipelines.ingest;

import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Holds out a fraction of the documents as the test split, chosen by a stable hash of the document id: a document
 * lands in the same split on every run and runner, and never in both. Works on packed records
 * ({@link PackExamples}: {@code KV(phase, KV(documentId#index, example))}) and turns each record's phase into its
 * shard set, {@link #shardSet(int, boolean) phase × 2 + split}, the order of {@link IngestPipeline#shardSets()}.
 */
public final class SplitTrainTest
    extends PTransform<PCollection<KV<Integer, KV<String, byte[]>>>, PCollection<KV<Integer, KV<String, byte[]>>>> {

  private final double testFraction;

  public SplitTrainTest(double testFraction) {
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw new IllegalArgumentException("test_fraction must be in [0, 1), got " + testFraction);
    }
    this.testFraction = testFraction;
  }

  /** Whether the document with this id belongs to the test split. */
  static boolean isTest(String documentId, double testFraction) {
    return StableHash.unit(StableHash.of(documentId)) < testFraction;
  }

  /** The shard set of a phase's train or test records: phase1/train, phase1/test, phase2/train, ... */
  static int shardSet(int phase, boolean test) {
    return phase * 2 + (test ? 1 : 0);
  }

  /** The document id of a record key {@code documentId#index}. */
  static String documentId(String recordKey) {
    return recordKey.substring(0, recordKey.lastIndexOf('#'));
  }

  @Override
  public PCollection<KV<Integer, KV<String, byte[]>>> expand(PCollection<KV<Integer, KV<String, byte[]>>> records) {
    double fraction = testFraction;
    return records
        .apply("ToShardSet", MapElements.into(new TypeDescriptor<KV<Integer, KV<String, byte[]>>>() {})
            .via((KV<Integer, KV<String, byte[]>> r) -> KV.of(
                shardSet(r.getKey(), isTest(documentId(r.getValue().getKey()), fraction)), r.getValue())))
        .setCoder(PackExamples.RECORD_CODER);
  }
}
