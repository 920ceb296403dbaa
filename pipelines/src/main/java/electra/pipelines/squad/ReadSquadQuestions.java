package electra.pipelines.squad;

import electra.pipelines.ingest.MatchCorpusFiles;
import electra.squad.SquadDataset;
import electra.squad.SquadExample;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;

/**
 * The questions of one SQuAD JSON file (plain or gzipped, recognised by content; local, gs://, s3://), each with
 * its position in the file, which numbers its features. The file is one JSON document and is parsed by one
 * worker; the questions are then spread over all workers.
 */
public final class ReadSquadQuestions extends PTransform<PBegin, PCollection<KV<Integer, SquadExample>>> {

  /**
   * Groups the questions travel in to the workers: enough to keep a cluster busy, few enough that runners which
   * handle each group as a bundle (the direct runner) do not drown in bundle overhead.
   */
  private static final int SPREAD = 64;

  private final String file;

  public ReadSquadQuestions(String file) {
    this.file = file;
  }

  @Override
  public PCollection<KV<Integer, SquadExample>> expand(PBegin begin) {
    return begin
        // Uncompressed: SquadDataset itself unpacks gzip by its magic number, whatever the file is called.
        .apply("MatchFile", MatchCorpusFiles.input(file, Compression.UNCOMPRESSED))
        .apply("ParseQuestions", ParDo.of(new ParseFn()))
        .setCoder(KvCoder.of(VarIntCoder.of(), SerializableCoder.of(SquadExample.class)))
        .apply("Spread", Reshuffle.<KV<Integer, SquadExample>>viaRandomKey().withNumBuckets(SPREAD));
  }

  static final class ParseFn extends DoFn<FileIO.ReadableFile, KV<Integer, SquadExample>> {
    @ProcessElement
    public void process(@Element FileIO.ReadableFile file, OutputReceiver<KV<Integer, SquadExample>> out)
        throws IOException {
      List<SquadExample> questions;
      try (InputStream in = Channels.newInputStream(file.open())) {
        questions = SquadDataset.read(in, file.getMetadata().resourceId().toString()).examples();
      }
      for (int i = 0; i < questions.size(); i++) {
        out.output(KV.of(i, questions.get(i)));
      }
    }
  }
}
