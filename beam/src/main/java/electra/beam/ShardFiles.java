package electra.beam;

import electra.cli.Flag;
import electra.records.ShardManifest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * A shard set's files read outside a pipeline (the trainer reads its input this way), from a local folder,
 * {@code gs://} or {@code s3://}, through Beam's file systems, so they are found exactly where the ingest jobs wrote
 * them.
 */
public final class ShardFiles {

  private ShardFiles() {}

  private static final Pattern SCHEME = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*)://");

  /**
   * How to reach the object stores, as the Beam jobs take it ({@code --endpoint}, {@code --aws_region},
   * {@code --s3_client_factory_class}); null fields keep Beam's defaults (AWS's region and credential chains,
   * Google's application default credentials).
   */
  public record ObjectStores(
      @Flag("s3:// only: the S3 API endpoint of an S3-compatible store (MinIO, Ceph), e.g. http://host:9000; "
          + "default AWS")
      String endpoint,
      @Flag("s3:// only: the bucket's AWS region (default: AWS_REGION or the AWS profile)")
      String awsRegion,
      @Flag(value = "s3:// only: electra.beam.PathStyleS3ClientBuilderFactory addresses buckets by path, as "
          + "S3-compatible stores need", name = "s3_client_factory_class")
      String s3ClientFactoryClass) {
    public static final ObjectStores DEFAULTS = new ObjectStores(null, null, null);
  }

  /** Sets up Beam's file systems (process-wide, as a pipeline run does) for the locations read next. */
  public static void use(ObjectStores stores) {
    PipelineOptionsFactory.register(S3Options.class);
    PipelineOptionsFactory.register(GcsOptions.class);
    List<String> args = new ArrayList<>();
    if (present(stores.endpoint())) {
      args.add("--endpoint=" + stores.endpoint());
    }
    if (present(stores.awsRegion())) {
      args.add("--awsRegion=" + stores.awsRegion());
    }
    if (present(stores.s3ClientFactoryClass())) {
      args.add("--s3ClientFactoryClass=" + stores.s3ClientFactoryClass());
    }
    FileSystems.setDefaultPipelineOptions(PipelineOptionsFactory.fromArgs(args.toArray(String[]::new)).create());
  }

  /**
   * Whether the file systems read {@code location}: a local path, {@code gs://} or {@code s3://}; null when they do,
   * otherwise the unsupported scheme.
   */
  public static String unsupportedScheme(String location) {
    Matcher m = SCHEME.matcher(location);
    if (!m.find()) {
      return null;
    }
    String scheme = m.group(1).toLowerCase(Locale.ROOT);
    return scheme.equals("gs") || scheme.equals("s3") || scheme.equals("file") ? null : scheme;
  }

  /** {@code directory/manifest.json}; a {@link NoSuchFileException} naming it when there is none. */
  public static ShardManifest readManifest(String directory) throws IOException {
    ResourceId file = resolve(directory, ShardManifest.FILE_NAME);
    MatchResult match = FileSystems.match(file.toString());
    if (match.status() == MatchResult.Status.NOT_FOUND) {
      throw new NoSuchFileException(file.toString());
    }
    try (InputStream in = Channels.newInputStream(FileSystems.open(file))) {
      return ShardManifest.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** The shard {@code file} of {@code directory}, read from byte {@code offset} on (unbuffered). */
  public static InputStream open(String directory, String file, long offset) throws IOException {
    ReadableByteChannel channel = FileSystems.open(resolve(directory, file));
    if (offset > 0) {
      // local files, GCS and S3 channels are all seekable; S3 and GCS then fetch from the offset on
      ((SeekableByteChannel) channel).position(offset);
    }
    return Channels.newInputStream(channel);
  }

  /** Where {@code file} of {@code directory} is, for messages. */
  public static String describe(String directory, String file) {
    return resolve(directory, file).toString();
  }

  private static ResourceId resolve(String directory, String file) {
    return FileSystems.matchNewResource(directory, true).resolve(file, StandardResolveOptions.RESOLVE_FILE);
  }

  private static boolean present(String s) {
    return s != null && !s.isBlank();
  }
}
