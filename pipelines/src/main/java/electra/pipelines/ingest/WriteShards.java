package electra.pipelines.ingest;

import electra.records.ShardManifest;
import electra.records.TfRecordWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Writes keyed records into {@code numShards} TFRecord files named {@code pretrain_data.tfrecord-NNNNN-of-MMMMM}
 * in one folder, then the folder's {@link ShardManifest}.
 *
 * <p>Output is byte-identical whatever the runner or parallelism: a record's shard and its place inside the shard
 * come from a stable hash of its key (which also shuffles documents across and within shards). Each shard is
 * written under a temporary name and renamed when complete; the manifest is written last, the same way, so it
 * lists only finished shards.
 */
public final class WriteShards extends PTransform<PCollection<KV<String, byte[]>>, PCollection<ShardManifest>> {

  private final String directory;
  private final int numShards;
  private final ShardManifest template;

  /** {@code template} carries the manifest's length, vocab fingerprint and parameters; its shard list is ignored. */
  public WriteShards(String directory, int numShards, ShardManifest template) {
    if (numShards < 1) {
      throw new IllegalArgumentException("the number of shards must be at least 1, got " + numShards);
    }
    this.directory = directory;
    this.numShards = numShards;
    this.template = template;
  }

  /** {@code pretrain_data.tfrecord-00003-of-00008}. */
  public static String shardName(int index, int numShards) {
    return String.format("pretrain_data.tfrecord-%05d-of-%05d", index, numShards);
  }

  @Override
  public PCollection<ShardManifest> expand(PCollection<KV<String, byte[]>> records) {
    int shards = numShards;
    return records
        .apply("AssignShard", MapElements
            .into(TypeDescriptors.kvs(TypeDescriptors.integers(),
                TypeDescriptors.kvs(TypeDescriptors.longs(), new TypeDescriptor<byte[]>() {})))
            .via((KV<String, byte[]> r) -> placed(r, shards)))
        .setCoder(KvCoder.of(VarIntCoder.of(), KvCoder.of(VarLongCoder.of(), ByteArrayCoder.of())))
        .apply("GroupByShard", GroupByKey.create())
        .apply("WriteShardFiles", ParDo.of(new WriteShardFn(directory, shards)))
        .setCoder(SHARD_CODER)
        .apply("CollectShards", Combine.globally(new CollectShardsFn())) // fires even when no record came
        .apply("WriteManifest", ParDo.of(new WriteManifestFn(directory, shards, template)))
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
    private final int numShards;

    WriteShardFn(String directory, int numShards) {
      this.directory = directory;
      this.numShards = numShards;
    }

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<KV<Long, byte[]>>> shard,
        OutputReceiver<ShardManifest.Shard> out) throws IOException {
      List<KV<Long, byte[]>> records = new ArrayList<>();
      shard.getValue().forEach(records::add);
      records.sort(Comparator.<KV<Long, byte[]>>comparingLong(KV::getKey)
          .thenComparing(KV::getValue, Arrays::compareUnsigned));
      String name = shardName(shard.getKey(), numShards);
      writeAtomically(directory, name, stream -> {
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
    private final int numShards;
    private final ShardManifest template;

    WriteManifestFn(String directory, int numShards, ShardManifest template) {
      this.directory = directory;
      this.numShards = numShards;
      this.template = template;
    }

    @ProcessElement
    public void process(@Element List<ShardManifest.Shard> written, OutputReceiver<ShardManifest> out)
        throws IOException {
      List<ShardManifest.Shard> all = new ArrayList<>(written);
      Set<String> present = new HashSet<>();
      all.forEach(s -> present.add(s.file()));
      for (int i = 0; i < numShards; i++) { // a shard no record hashed to still exists, empty, so names stay dense
        String name = shardName(i, numShards);
        if (!present.contains(name)) {
          writeAtomically(directory, name, stream -> { });
          all.add(new ShardManifest.Shard(name, 0));
        }
      }
      ShardManifest manifest = new ShardManifest(template.maxSeqLength(), template.vocabFingerprint(),
          template.parameters(), all);
      byte[] json = manifest.toJson().getBytes(StandardCharsets.UTF_8);
      writeAtomically(directory, ShardManifest.FILE_NAME, stream -> stream.write(json));
      out.output(manifest);
    }
  }

  /** What writes a file's content into the stream it is given. */
  interface Content {
    void writeTo(OutputStream stream) throws IOException;
  }

  /** Writes {@code directory/name} under a temporary name first and renames it, so readers never see half a file. */
  static void writeAtomically(String directory, String name, Content content) throws IOException {
    ResourceId dir = FileSystems.matchNewResource(directory, true);
    ResourceId target = dir.resolve(name, StandardResolveOptions.RESOLVE_FILE);
    ResourceId temporary = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID(), StandardResolveOptions.RESOLVE_FILE);
    try (WritableByteChannel channel = FileSystems.create(temporary, MimeTypes.BINARY);
        OutputStream stream = Channels.newOutputStream(channel)) {
      content.writeTo(stream);
    }
    FileSystems.rename(List.of(temporary), List.of(target), StandardMoveOptions.IGNORE_MISSING_FILES);
  }
}
