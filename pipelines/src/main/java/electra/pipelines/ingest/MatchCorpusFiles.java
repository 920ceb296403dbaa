package electra.pipelines.ingest;

import electra.cli.OutputFolder;
import electra.cli.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The corpus files named by {@code --input} (a file, a glob, or a folder meaning every file in it; local, gs://,
 * s3://) or, in continuous mode, the list of files a batch takes,
 * opened with the given decompression ({@link Compression#AUTO} chooses by extension: .bz2, .gz, ...). A job's
 * marker ({@link OutputFolder#MARKER}, e.g. in DownloadWiki's folder) is never a corpus file.
 */
public final class MatchCorpusFiles extends PTransform<PBegin, PCollection<FileIO.ReadableFile>> {

  private final List<String> filepatterns;
  private final Compression compression;

  private MatchCorpusFiles(List<String> filepatterns, Compression compression) {
    this.filepatterns = List.copyOf(filepatterns);
    this.compression = compression;
  }

  /** Every file {@code --input} names. */
  public static MatchCorpusFiles input(String input, Compression compression) {
    return new MatchCorpusFiles(List.of(filepattern(input)), compression);
  }

  /** Exactly these files. */
  public static MatchCorpusFiles files(List<String> files, Compression compression) {
    return new MatchCorpusFiles(files, compression);
  }

  /** A folder becomes "every file in it"; a file or glob stays as it is. */
  static String filepattern(String input) {
    boolean local = !input.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    boolean folder = input.endsWith("/") || (local && !input.contains("*") && Files.isDirectory(Path.of(input)));
    return folder ? input.replaceAll("/+$", "") + "/*" : input;
  }

  /** Fails now, with the pattern in the message, when nothing matches: better than an empty run. */
  public MatchCorpusFiles requireMatches() {
    for (String filepattern : filepatterns) {
      if (list(filepattern).isEmpty()) {
        throw new UsageException("no corpus files match --input " + filepattern);
      }
    }
    return this;
  }

  /** The files a pattern matches now, with their sizes (none when nothing matches). */
  static List<MatchResult.Metadata> list(String filepattern) {
    try {
      MatchResult result = FileSystems.match(filepattern, EmptyMatchTreatment.ALLOW);
      return result.status() == MatchResult.Status.OK
          ? result.metadata().stream().filter(MatchCorpusFiles::isCorpus).toList()
          : List.of();
    } catch (IOException e) {
      throw new UsageException("cannot list --input " + filepattern + ": " + e.getMessage());
    }
  }

  private static boolean isCorpus(MatchResult.Metadata file) {
    return !OutputFolder.MARKER.equals(file.resourceId().getFilename());
  }

  @Override
  public PCollection<FileIO.ReadableFile> expand(PBegin begin) {
    return begin
        .apply("Patterns", Create.of(filepatterns))
        .apply("Match", FileIO.matchAll())
        .apply("SkipMarkers", Filter.by(MatchCorpusFiles::isCorpus))
        .apply("Open", FileIO.readMatches().withCompression(compression));
  }
}
