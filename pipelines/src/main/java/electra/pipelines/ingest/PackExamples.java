package electra.pipelines.ingest;

import electra.pipelines.ingest.Documents.TokenizedDocument;
import electra.pipelines.pack.ExamplePacker;
import electra.records.PretrainingExample;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;

/**
 * Packs each tokenized document into pre-training examples of every phase's length ({@link ExamplePacker}), in one
 * pass: the output is {@code KV(phase, KV(documentId#index, example))}, phase being the packer's place in the list
 * (0 for phase 1) and the example in its {@linkplain CompactExamples compact form} (the shard writer makes the
 * tf.Example; {@link #TO_TF_EXAMPLE}). The key lets later steps split and order records without looking inside. Each document
 * draws its packing randomness per length from its own stream, derived from the seed, its id and the length.
 *
 * <p>All phases in one step rather than one step per phase: each document then flows through the whole chain from
 * reading to the shuffle without being serialized on the way (a branching step would ship it to every branch).
 */
public final class PackExamples
    extends PTransform<PCollection<TokenizedDocument>, PCollection<KV<Integer, KV<String, byte[]>>>> {

  /** Coder of a packed record: phase (or shard set), key and the tf.Example bytes. */
  public static final KvCoder<Integer, KV<String, byte[]>> RECORD_CODER =
      KvCoder.of(VarIntCoder.of(), KvCoder.of(StringUtf8Coder.of(), ByteArrayCoder.of()));

  /** How the shard writer turns this step's records into the tf.Examples of the shards. */
  public static final WriteShards.RecordFormat TO_TF_EXAMPLE = CompactExamples::toExampleBytes;

  private final List<ExamplePacker> packers;
  private final long seed;

  /** The name of the counter of a phase's examples (1 for phase 1), under this class. */
  static String examplesCounter(int phase) {
    return "examples_phase" + phase;
  }

  /** One packer per phase, in phase order. */
  public PackExamples(List<ExamplePacker> packers, long seed) {
    if (packers.isEmpty()) {
      throw new IllegalArgumentException("at least one packer (one max_seq_length) is needed");
    }
    this.packers = List.copyOf(packers);
    this.seed = seed;
  }

  @Override
  public PCollection<KV<Integer, KV<String, byte[]>>> expand(PCollection<TokenizedDocument> documents) {
    return documents.apply("Pack", ParDo.of(new PackFn(packers, seed))).setCoder(RECORD_CODER);
  }

  static final class PackFn extends DoFn<TokenizedDocument, KV<Integer, KV<String, byte[]>>> {
    private final List<ExamplePacker> packers;
    private final long seed;
    private final List<Counter> examplesPerPhase;

    PackFn(List<ExamplePacker> packers, long seed) {
      this.packers = packers;
      this.seed = seed;
      this.examplesPerPhase = IntStream.rangeClosed(1, packers.size())
          .mapToObj(phase -> Metrics.counter(PackExamples.class, examplesCounter(phase)))
          .toList();
    }

    @ProcessElement
    public void process(@Element TokenizedDocument document, OutputReceiver<KV<Integer, KV<String, byte[]>>> out) {
      long documentStream = StableHash.combine(seed, StableHash.of(document.id()));
      for (int phase = 0; phase < packers.size(); phase++) {
        ExamplePacker packer = packers.get(phase);
        long stream = StableHash.combine(documentStream, packer.maxSeqLength());
        List<PretrainingExample> packed = packer.pack(document.sentences(), new SplittableRandom(stream));
        for (int i = 0; i < packed.size(); i++) {
          out.output(KV.of(phase, KV.of(document.id() + "#" + i, CompactExamples.encode(packed.get(i)))));
        }
        examplesPerPhase.get(phase).inc(packed.size());
      }
    }
  }
}
