package electra.serving;

import electra.export.QaHead;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import electra.cli.Directories;
import electra.cli.Overwrite;
import electra.export.ExportMetadata;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.squad.AnswerDecoder;
import electra.squad.SquadVersion;
import electra.tokenization.Vocabulary;
import electra.trainer.export.ExportModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The golden tiny QA model (shared/golden), exported once per test JVM with {@link ExportModel}. */
final class TestModels {

  /** Window size of the test export: the golden cases are padded to 96. */
  static final int MAX_SEQ_LENGTH = 96;

  private static Path exported;

  private TestModels() {}

  static Path shared(String relative) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (golden models live there)");
    Path p = Path.of(shared, relative);
    assumeTrue(Files.exists(p), "skipped: " + p + " not found (electra.shared.dir=" + shared + ")");
    return p;
  }

  static Path golden() {
    return shared("golden/tiny-discriminator-qa");
  }

  /**
   * Publishes a copy of {@link #export} as the next version of {@code repository}: every version computes the same
   * answers, which the version number in each answer tells apart.
   */
  static ModelRepository.Version publishCopy(ModelRepository repository) throws IOException {
    Path from = export();
    return repository.publishCopy(from, ModelEvaluation.unevaluated("", -1, "a copy of " + from));
  }

  /**
   * A copy of {@link #export} in {@code dir} (which must not exist yet) as ExportModel wrote it before
   * {@code model.onnx}: no ONNX file, and {@code export.json} without {@code onnx_file}.
   */
  static Path exportWithoutOnnx(Path dir) throws IOException {
    Path from = export();
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (!f.getFileName().toString().equals(ExportMetadata.ONNX_FILE)) {
          Files.copy(f, dir.resolve(from.relativize(f).toString()));
        }
      }
    }
    Path json = dir.resolve(ExportMetadata.FILE);
    Files.writeString(json, Files.readString(json).replaceAll(",\\s*\"onnx_file\" : \"model.onnx\"", ""));
    if (ExportMetadata.read(dir).onnxFile() != null) {
      throw new IllegalStateException(json + " still names an ONNX file: " + Files.readString(json));
    }
    return dir;
  }

  static synchronized Path export() throws IOException {
    Path golden = golden();
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    if (exported == null) {
      Path temp = Files.createTempDirectory("electra-serving-test-");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          Directories.deleteRecursively(temp);
        } catch (IOException e) {
          System.err.println("could not delete " + temp + ": " + e);
        }
      }));
      Path dir = temp.resolve("tiny-qa");
      ExportModel.export(golden, Vocabulary.load(vocab), dir, new Overwrite(false), new ExportModel.Settings(
          MAX_SEQ_LENGTH, 32, 24, true, 100, QaHead.SIMPLE, 0, AnswerDecoder.Options.defaults(SquadVersion.V1_1)));
      exported = dir;
    }
    return exported;
  }
}
