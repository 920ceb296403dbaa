package electra.beam;

import electra.cli.OutputFolder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.util.MimeTypes;

/**
 * The output folders of the Beam jobs, wherever they write: a local folder exactly as every other job has it
 * ({@link OutputFolder#LOCAL}), a {@code gs://} or {@code s3://} one through Beam's file systems, as the job's options
 * set them up ({@code FileSystems.setDefaultPipelineOptions}). An object store has no folders, only names: a folder
 * is every object whose name starts with the folder's, so emptying it deletes those objects and nothing else.
 */
public final class BeamStorage implements OutputFolder.Storage {

  public static final BeamStorage INSTANCE = new BeamStorage();

  private BeamStorage() {}

  @Override
  public boolean holdsOtherThan(String folder, String name) throws IOException {
    if (OutputFolder.isLocal(folder)) {
      return OutputFolder.LOCAL.holdsOtherThan(folder, name);
    }
    String file = resolve(folder, name).toString();
    return objects(folder).stream().anyMatch(object -> !object.toString().equals(file));
  }

  @Override
  public Optional<String> read(String folder, String name) throws IOException {
    if (OutputFolder.isLocal(folder)) {
      return OutputFolder.LOCAL.read(folder, name);
    }
    ResourceId file = resolve(folder, name);
    if (FileSystems.match(file.toString()).status() == MatchResult.Status.NOT_FOUND) {
      return Optional.empty();
    }
    try (InputStream in = Channels.newInputStream(FileSystems.open(file))) {
      return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Override
  public void write(String folder, String name, String text) throws IOException {
    if (OutputFolder.isLocal(folder)) {
      OutputFolder.LOCAL.write(folder, name, text);
      return;
    }
    try (WritableByteChannel channel = FileSystems.create(resolve(folder, name), MimeTypes.TEXT)) {
      channel.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Override
  public void deleteContents(String folder) throws IOException {
    if (OutputFolder.isLocal(folder)) {
      OutputFolder.LOCAL.deleteContents(folder);
      return;
    }
    FileSystems.delete(objects(folder), StandardMoveOptions.IGNORE_MISSING_FILES);
  }

  /** Every object under the folder's name followed by a slash, so {@code s3://b/out} never reaches {@code out2/}. */
  private static List<ResourceId> objects(String folder) throws IOException {
    String prefix = FileSystems.matchNewResource(folder, true).toString();
    MatchResult match = FileSystems.match(prefix + "**", EmptyMatchTreatment.ALLOW);
    return match.status() == MatchResult.Status.OK
        ? match.metadata().stream().map(MatchResult.Metadata::resourceId).toList()
        : List.of();
  }

  private static ResourceId resolve(String folder, String name) {
    return FileSystems.matchNewResource(folder, true).resolve(name, StandardResolveOptions.RESOLVE_FILE);
  }
}
