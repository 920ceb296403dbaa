package electra.pipelines.ingest;

import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The corpus files named by {@code --input} (a file, a glob, or a folder meaning every file in it; local, gs://,
 * s3://), opened with the given decompression ({@link Compression#AUTO} chooses by extension: .bz2, .gz, ...).
 */
public final class MatchCorpusFiles extends PTransform<PBegin, PCollection<FileIO.ReadableFile>> {

  private final String filepattern;
  private final Compression compression;

  public MatchCorpusFiles(String input, Compression compression) {
    this.filepattern = filepattern(input);
    this.compression = compression;
  }

  /** A folder becomes "every file in it"; a file or glob stays as it is. */
  static String filepattern(String input) {
    boolean local = !input.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    boolean folder = input.endsWith("/") || (local && !input.contains("*") && Files.isDirectory(Path.of(input)));
    return folder ? input.replaceAll("/+$", "") + "/*" : input;
  }

  /** Fails now, with the pattern in the message, when nothing matches: better than an empty run. */
  public MatchCorpusFiles requireMatches() {
    try {
      MatchResult result = FileSystems.match(filepattern, EmptyMatchTreatment.ALLOW);
      if (result.status() != MatchResult.Status.OK || result.metadata().isEmpty()) {
        throw new UsageException("no corpus files match --input " + filepattern);
      }
    } catch (IOException e) {
      throw new UsageException("cannot list --input " + filepattern + ": " + e.getMessage());
    }
    return this;
  }

  @Override
  public PCollection<FileIO.ReadableFile> expand(PBegin begin) {
    return begin
        .apply("Match", FileIO.match().filepattern(filepattern))
        .apply("Open", FileIO.readMatches().withCompression(compression));
  }
}
