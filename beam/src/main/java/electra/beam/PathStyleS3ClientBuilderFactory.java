package electra.beam;

import org.apache.beam.sdk.io.aws2.options.S3ClientBuilderFactory;
import org.apache.beam.sdk.io.aws2.options.S3Options;
import org.apache.beam.sdk.io.aws2.s3.DefaultS3ClientBuilderFactory;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * S3 clients that address buckets by path ({@code http://host:port/bucket/key}) instead of by virtual host
 * ({@code http://bucket.host/key}), for S3-compatible stores such as MinIO, Ceph or a local test server whose
 * bucket host names do not resolve. Use with {@code --s3_client_factory_class=electra.beam.PathStyleS3ClientBuilderFactory
 * --endpoint=http://host:port}.
 */
public final class PathStyleS3ClientBuilderFactory implements S3ClientBuilderFactory {

  @Override
  public S3ClientBuilder createBuilder(S3Options options) {
    return new DefaultS3ClientBuilderFactory().createBuilder(options).forcePathStyle(true);
  }
}
