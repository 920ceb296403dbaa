package electra.pipelines.ingest;

import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.pack.ExamplePacker;
import electra.records.PretrainingExample;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Packs each tokenized document into serialized tf.Example records of one length ({@link ExamplePacker}), keyed by
 * {@code documentId#index} so that later steps can order them without looking inside. Each document draws its
 * packing randomness from its own stream, derived from the seed, its id and the length.
 */
public final class PackExamples extends PTransform<PCollection<TokenizedDocument>, PCollection<KV<String, byte[]>>> {

  private final ExamplePacker packer;
  private final long seed;

  public PackExamples(ExamplePacker packer, long seed) {
    this.packer = packer;
    this.seed = seed;
  }

  @Override
  public PCollection<KV<String, byte[]>> expand(PCollection<TokenizedDocument> documents) {
    return documents.apply("Pack" + packer.maxSeqLength(), ParDo.of(new PackFn(packer, seed)));
  }

  static final class PackFn extends DoFn<TokenizedDocument, KV<String, byte[]>> {
    private final Counter examples = Metrics.counter(PackExamples.class, "examples");
    private final ExamplePacker packer;
    private final long seed;

    PackFn(ExamplePacker packer, long seed) {
      this.packer = packer;
      this.seed = seed;
    }

    @ProcessElement
    public void process(@Element TokenizedDocument document, OutputReceiver<KV<String, byte[]>> out) {
      long stream = StableHash.combine(StableHash.combine(seed, StableHash.of(document.id())), packer.maxSeqLength());
      List<PretrainingExample> packed = packer.pack(document.sentences(), new SplittableRandom(stream));
      for (int i = 0; i < packed.size(); i++) {
        out.output(KV.of(document.id() + "#" + i, packed.get(i).toBytes()));
      }
      examples.inc(packed.size());
    }
  }
}
