package electra.pipelines.ingest;

import electra.records.ShardManifest;
import electra.records.TfRecordWriter;
import java.io.IOException;
import java.io.Serializable;
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
import org.apache.beam.sdk.transforms.WithKeys;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;

/**
 * Writes keyed records into shard sets: set {@code s} gets a number of TFRecord files named
 * {@code <stem>-NNNNN-of-MMMMM} ({@link ShardNames}) in its own folder, then the folder's {@link ShardManifest}: a
 * new one, or in append mode the existing one with these shards added (continuous ingestion). Input records are
 * {@code KV(set, KV(key, bytes))}, set being an index into the list of {@link Target}s; every set goes through one
 * shuffle together. A shard no record hashed to is not written, so no empty files are made (object stores refuse
 * empty multipart uploads); the manifest is the list to read, and every set gets one, even without records.
 *
 * <p>Output is byte-identical whatever the runner or parallelism: a record's shard and its place inside the shard
 * come from a stable hash of its key (which also shuffles documents across and within shards). Each shard is
 * written under a temporary name and renamed when complete; the manifests are written last, the same way, so they
 * list only finished shards.
 */
public final class WriteShards
    extends PTransform<PCollection<KV<Integer, KV<String, byte[]>>>, PCollection<ShardManifest>> {

  /** What a shard file holds for each record that arrives. */
  @FunctionalInterface
  public interface RecordFormat extends Serializable {
    /** The record as it arrives, unchanged. */
    RecordFormat AS_IS = bytes -> bytes;

    byte[] record(byte[] arrived);
  }

  /**
   * One shard set: its folder, how its shards are named, its manifest's length, vocab fingerprint and parameters
   * ({@code template}; its shard list is ignored), and what its files hold for each record.
   */
  public record Target(String directory, ShardNames names, ShardManifest template, RecordFormat format)
      implements Serializable {}

  /** Shards per set at most, so that (set, shard) fits one grouping key. */
  private static final int MAX_SHARDS = 1 << 20;

  private final List<Target> targets;
  private final boolean append;

  /** With {@code append}, the shards are added to each folder's existing manifest instead of replacing it. */
  public WriteShards(List<Target> targets, boolean append) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no shard set to write");
    }
    for (Target t : targets) {
      if (t.names().count() > MAX_SHARDS) {
        throw new IllegalArgumentException("at most " + MAX_SHARDS + " shards per set, got " + t.names().count()
            + " for " + t.directory());
      }
    }
    this.targets = List.copyOf(targets);
    this.append = append;
  }

  /** One shard set; its records go in as {@code KV(0, KV(key, bytes))} ({@link #toOneSet()}). */
  public WriteShards(String directory, ShardNames names, ShardManifest template, boolean append) {
    this(List.of(new Target(directory, names, template, RecordFormat.AS_IS)), append);
  }

  /** Keys plain {@code KV(key, bytes)} records for the first (only) set. */
  public static PTransform<PCollection<KV<String, byte[]>>, PCollection<KV<Integer, KV<String, byte[]>>>> toOneSet() {
    return new PTransform<>("ToOneShardSet") {
      @Override
      public PCollection<KV<Integer, KV<String, byte[]>>> expand(PCollection<KV<String, byte[]>> records) {
        return records.apply(WithKeys.<Integer, KV<String, byte[]>>of(0).withKeyType(TypeDescriptors.integers()))
            .setCoder(PackExamples.RECORD_CODER);
      }
    };
  }

  @Override
  public PCollection<ShardManifest> expand(PCollection<KV<Integer, KV<String, byte[]>>> records) {
    int[] shards = targets.stream().mapToInt(t -> t.names().count()).toArray();
    return records
        .apply("AssignShard", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                TypeDescriptors.kvs(TypeDescriptors.longs(), new TypeDescriptor<byte[]>() {})))
            .via((KV<Integer, KV<String, byte[]>> r) -> placed(r.getKey(), r.getValue(), shards[r.getKey()])))
        .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(VarLongCoder.of(), ByteArrayCoder.of())))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShardFiles", ParDo.of(new WriteShardFn(targets)))
        .setCoder(WRITTEN_CODER)
        .apply("CollectShards", Combine.globally(new CollectShardsFn())) // fires even when no record came
        .apply("WriteManifests", ParDo.of(new WriteManifestsFn(targets, append)))
        .setCoder(SerializableCoder.of(ShardManifest.class));
  }

  /**
   * The record's grouping key (its set and shard, the shard from a stable hash of its key) and its sort key inside
   * the shard, from the same hash.
   */
  static KV<Integer, KV<Long, byte[]>> placed(int set, KV<String, byte[]> record, int shards) {
    long hash = StableHash.of(record.getKey());
    int shard = (int) Long.remainderUnsigned(hash, shards);
    return KV.of(set * MAX_SHARDS + shard, KV.of(StableHash.combine(hash, 1), record.getValue()));
  }

  static final class WriteShardFn extends DoFn<KV<Integer, Iterable<KV<Long, byte[]>>>, Written> {
    private final Counter written = Metrics.counter(WriteShards.class, "records_written");
    private final List<Target> targets;

    WriteShardFn(List<Target> targets) {
      this.targets = targets;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<Long, byte[]>>> shard,
        OutputReceiver<Written> out) throws IOException {
      List<KV<Long, byte[]>> records = new ArrayList<>();
      shard.getValue().forEach(records::add);
      records.sort(Comparator.<KV<Long, byte[]>>comparingLong(KV::getKey)
          .thenComparing(KV::getValue, Arrays::compareUnsigned));
      int set = shard.getKey() / MAX_SHARDS;
      Target target = targets.get(set);
      String name = target.names().name(shard.getKey() % MAX_SHARDS);
      AtomicFiles.write(target.directory(), name, stream -> {
        try (TfRecordWriter writer = new TfRecordWriter(stream)) {
          for (KV<Long, byte[]> r : records) {
            writer.write(target.format().record(r.getValue()));
          }
        }
      });
      written.inc(records.size());
      out.output(new Written(set, new ShardManifest.Shard(name, records.size())));
    }
  }

  /** A finished shard of shard set {@code set}. */
  record Written(int set, ShardManifest.Shard shard) implements Serializable {}

  private static final Coder<Written> WRITTEN_CODER = SerializableCoder.of(Written.class);

  /** Gathers the finished shards of all workers and sets into one list, an empty one when there were none. */
  static final class CollectShardsFn extends Combine.CombineFn<Written, List<Written>, List<Written>> {
    @Override
    public List<Written> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Written> addInput(List<Written> shards, Written shard) {
      shards.add(shard);
      return shards;
    }

    @Override
    public List<Written> mergeAccumulators(Iterable<List<Written>> lists) {
      List<Written> all = new ArrayList<>();
      lists.forEach(all::addAll);
      return all;
    }

    @Override
    public List<Written> extractOutput(List<Written> shards) {
      return shards;
    }

    @Override
    public Coder<List<Written>> getAccumulatorCoder(CoderRegistry registry, Coder<Written> input) {
      return ListCoder.of(WRITTEN_CODER);
    }

    @Override
    public Coder<List<Written>> getDefaultOutputCoder(CoderRegistry registry, Coder<Written> input) {
      return ListCoder.of(WRITTEN_CODER);
    }
  }

  static final class WriteManifestsFn extends DoFn<List<Written>, ShardManifest> {
    private final List<Target> targets;
    private final boolean append;

    WriteManifestsFn(List<Target> targets, boolean append) {
      this.targets = targets;
      this.append = append;
    }

    @ProcessElement
    public void process(@Element List<Written> written, OutputReceiver<ShardManifest> out) throws IOException {
      for (int set = 0; set < targets.size(); set++) {
        Target target = targets.get(set);
        ShardManifest template = target.template();
        ShardManifest previous = append
            ? AtomicFiles.readText(target.directory(), ShardManifest.FILE_NAME).map(ShardManifest::fromJson)
                .orElse(template)
            : template;
        int s = set;
        List<ShardManifest.Shard> mine = written.stream().filter(w -> w.set() == s).map(Written::shard).toList();
        ShardManifest manifest = new ShardManifest(template.maxSeqLength(), template.vocabFingerprint(),
            template.parameters(), previous.shards()).withShards(mine);
        AtomicFiles.writeText(target.directory(), ShardManifest.FILE_NAME, manifest.toJson());
        out.output(manifest);
      }
    }
  }
}
