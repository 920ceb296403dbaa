package electra.pipelines.ingest;

import electra.records.ShardManifest;
import electra.records.TfRecordWriter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes keyed records into a number of TFRecord files named {@code <stem>-NNNNN-of-MMMMM}
 * ({@link ShardNames}) in one folder, then the folder's {@link ShardManifest}: a new one, or in append mode the
 * existing one with these shards added (continuous ingestion). A shard no record hashed to is not written, so
 * no empty files are made (object stores refuse empty multipart uploads); the manifest is the list to read.
 *
 * <p>Output is byte-identical whatever the runner or parallelism: a record's shard and its place inside the shard
 * come from a stable hash of its key (which also shuffles documents across and within shards). Each shard is
 * written under a temporary name and renamed when complete; the manifest is written last, the same way, so it
 * lists only finished shards.
 */
public final class WriteShards extends PTransform<PCollection<KV<String, byte[]>>, PCollection<ShardManifest>> {

  private final String directory;
  private final ShardNames names;
  private final ShardManifest template;
  private final boolean append;

  /**
   * {@code template} carries the manifest's length, vocab fingerprint and parameters; its shard list is ignored.
   * With {@code append}, the shards are added to the folder's existing manifest instead of replacing it.
   */
  public WriteShards(String directory, ShardNames names, ShardManifest template, boolean append) {
    this.directory = directory;
    this.names = names;
    this.template = template;
    this.append = append;
  }

  @Override
  public PCollection<ShardManifest> expand(PCollection<KV<String, byte[]>> records) {
    int shards = names.count();
    return records
        .apply("AssignShard", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                TypeDescriptors.kvs(TypeDescriptors.longs(), new TypeDescriptor<byte[]>() {})))
            .via((KV<String, byte[]> r) -> placed(r, shards)))
        .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(VarLongCoder.of(), ByteArrayCoder.of())))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShardFiles", ParDo.of(new WriteShardFn(directory, names)))
        .setCoder(SHARD_CODER)
        .apply("CollectShards", Combine.globally(new CollectShardsFn())) // fires even when no record came
        .apply("WriteManifest", ParDo.of(new WriteManifestFn(directory, template, append)))
        .setCoder(SerializableCoder.of(ShardManifest.class));
  }

  /** The record's shard, and its sort key inside the shard, both from a stable hash of its key. */
  static KV<Integer, KV<Long, byte[]>> placed(KV<String, byte[]> record, int shards) {
    long hash = StableHash.of(record.getKey());
    int shard = (int) Long.remainderUnsigned(hash, shards);
    return KV.of(shard, KV.of(StableHash.combine(hash, 1), record.getValue()));
  }

  static final class WriteShardFn extends DoFn<KV<Integer, Iterable<KV<Long, byte[]>>>, ShardManifest.Shard> {
    private final Counter written = Metrics.counter(WriteShards.class, "records_written");
    private final String directory;
    private final ShardNames names;

    WriteShardFn(String directory, ShardNames names) {
      this.directory = directory;
      this.names = names;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<Long, byte[]>>> shard,
        OutputReceiver<ShardManifest.Shard> out) throws IOException {
      List<KV<Long, byte[]>> records = new ArrayList<>();
      shard.getValue().forEach(records::add);
      records.sort(Comparator.<KV<Long, byte[]>>comparingLong(KV::getKey)
          .thenComparing(KV::getValue, Arrays::compareUnsigned));
      String name = names.name(shard.getKey());
      AtomicFiles.write(directory, name, stream -> {
        try (TfRecordWriter writer = new TfRecordWriter(stream)) {
          for (KV<Long, byte[]> r : records) {
            writer.write(r.getValue());
          }
        }
      });
      written.inc(records.size());
      out.output(new ShardManifest.Shard(name, records.size()));
    }
  }

  private static final Coder<ShardManifest.Shard> SHARD_CODER = SerializableCoder.of(ShardManifest.Shard.class);

  /** Gathers the finished shards of all workers into one list, an empty one when there were none. */
  static final class CollectShardsFn extends Combine.CombineFn<ShardManifest.Shard, List<ShardManifest.Shard>,
      List<ShardManifest.Shard>> {
    @Override
    public List<ShardManifest.Shard> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<ShardManifest.Shard> addInput(List<ShardManifest.Shard> shards, ShardManifest.Shard shard) {
      shards.add(shard);
      return shards;
    }

    @Override
    public List<ShardManifest.Shard> mergeAccumulators(Iterable<List<ShardManifest.Shard>> lists) {
      List<ShardManifest.Shard> all = new ArrayList<>();
      lists.forEach(all::addAll);
      return all;
    }

    @Override
    public List<ShardManifest.Shard> extractOutput(List<ShardManifest.Shard> shards) {
      return shards;
    }

    @Override
    public Coder<List<ShardManifest.Shard>> getAccumulatorCoder(CoderRegistry registry,
        Coder<ShardManifest.Shard> input) {
      return ListCoder.of(SHARD_CODER);
    }

    @Override
    public Coder<List<ShardManifest.Shard>> getDefaultOutputCoder(CoderRegistry registry,
        Coder<ShardManifest.Shard> input) {
      return ListCoder.of(SHARD_CODER);
    }
  }

  static final class WriteManifestFn extends DoFn<List<ShardManifest.Shard>, ShardManifest> {
    private final String directory;
    private final ShardManifest template;
    private final boolean append;

    WriteManifestFn(String directory, ShardManifest template, boolean append) {
      this.directory = directory;
      this.template = template;
      this.append = append;
    }

    @ProcessElement
    public void process(@Element List<ShardManifest.Shard> written, OutputReceiver<ShardManifest> out)
        throws IOException {
      ShardManifest previous = append
          ? AtomicFiles.readText(directory, ShardManifest.FILE_NAME).map(ShardManifest::fromJson).orElse(template)
          : template;
      ShardManifest manifest = new ShardManifest(template.maxSeqLength(), template.vocabFingerprint(),
          template.parameters(), previous.shards()).withShards(written);
      AtomicFiles.writeText(directory, ShardManifest.FILE_NAME, manifest.toJson());
      out.output(manifest);
    }
  }
}
