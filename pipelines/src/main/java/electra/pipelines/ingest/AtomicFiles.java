package electra.pipelines.ingest;

import java.io.FileNotFoundException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * Whole-file writes that readers never see half done, and reads, on any Beam file system (local, gs://, s3://):
 * the content goes to a temporary name in the same folder, then is renamed over the target.
 */
public final class AtomicFiles {

  private AtomicFiles() {}

  /** What writes a file's content into the stream it is given. */
  public interface Content {
    void writeTo(OutputStream stream) throws IOException;
  }

  public static void write(String directory, String name, Content content) throws IOException {
    ResourceId dir = FileSystems.matchNewResource(directory, true);
    ResourceId target = dir.resolve(name, StandardResolveOptions.RESOLVE_FILE);
    ResourceId temporary = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID(), StandardResolveOptions.RESOLVE_FILE);
    // Closed exactly once, here: a second close would complete an S3 multipart upload twice (and fail), so the
    // content writer gets a view whose close() only flushes.
    try (OutputStream stream = Channels.newOutputStream(FileSystems.create(temporary, MimeTypes.BINARY))) {
      content.writeTo(new FilterOutputStream(stream) {
        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
          out.write(bytes, offset, length);
        }

        @Override
        public void close() throws IOException {
          flush();
        }
      });
    }
    FileSystems.rename(List.of(temporary), List.of(target), StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  public static void writeText(String directory, String name, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    write(directory, name, stream -> stream.write(bytes));
  }

  /** The file's text, or empty when it does not exist. */
  public static Optional<String> readText(String directory, String name) throws IOException {
    ResourceId file = FileSystems.matchNewResource(directory, true).resolve(name, StandardResolveOptions.RESOLVE_FILE);
    try (InputStream in = Channels.newInputStream(FileSystems.open(file))) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (FileNotFoundException | NoSuchFileException e) {
      return Optional.empty();
    }
  }
}
