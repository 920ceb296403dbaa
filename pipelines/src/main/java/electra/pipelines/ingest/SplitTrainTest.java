package electra.pipelines.ingest;

import electra.pipelines.ingest.Documents.TokenizedDocument;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * Holds out a fraction of the documents as the test split, chosen by a stable hash of the document id: a document
 * lands in the same split on every run and runner, and never in both.
 */
public final class SplitTrainTest
    extends PTransform<PCollection<TokenizedDocument>, PCollectionList<TokenizedDocument>> {

  /** Index of the training split in the output list. */
  public static final int TRAIN = 0;
  /** Index of the test split in the output list. */
  public static final int TEST = 1;

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

  @Override
  public PCollectionList<TokenizedDocument> expand(PCollection<TokenizedDocument> documents) {
    double fraction = testFraction;
    // Two filters rather than one Partition: a multi-output step reaches each consumer as a stream of all outputs,
    // so every document would be encoded and decoded once per output instead of once per split.
    return PCollectionList.of(documents.apply("Train", Filter.by(d -> !isTest(d.id(), fraction))))
        .and(documents.apply("Test", Filter.by(d -> isTest(d.id(), fraction))));
  }
}
