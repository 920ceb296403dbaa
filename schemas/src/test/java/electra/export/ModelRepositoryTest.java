package electra.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {

  @TempDir
  Path models;

  private static Path stageVersion(ModelRepository repo, double f1) throws IOException {
    Path staged = repo.stage();
    ExportMetadata.standard(QaHead.SIMPLE, 0, QaFeaturizer.Options.DEFAULTS, true, 100,
        AnswerDecoder.Options.defaults(SquadVersion.V1_1), "fingerprint", 10, "test").write(staged);
    new ModelEvaluation(Map.of(ModelEvaluation.EXACT_MATCH, f1 - 5, ModelEvaluation.F1, f1), "dev.json (sha256 ab)",
        50, "model.ckpt-100", 100, "test").write(staged);
    return staged;
  }

  @Test
  void versionsAreNumberedInOrderAndStagingFoldersAreNeverListed() throws IOException {
    ModelRepository repo = ModelRepository.at(models, "squad");
    assertTrue(repo.versions().isEmpty(), "a model with no folder yet has no versions");
    assertTrue(repo.latest().isEmpty());

    ModelRepository.Version first = repo.publish(stageVersion(repo, 40));
    Path inProgress = stageVersion(repo, 99);
    ModelRepository.Version second = repo.publish(stageVersion(repo, 50));

    assertEquals(1, first.number());
    assertEquals(2, second.number());
    assertEquals(models.resolve("squad").resolve("2"), second.dir());
    assertEquals(List.of(1L, 2L), repo.versions().stream().map(ModelRepository.Version::number).toList());
    assertEquals(50.0, repo.latest().orElseThrow().evaluation().f1().orElseThrow());
    assertEquals(100, repo.version(1).evaluation().pretrainingStep());
    assertTrue(Files.isDirectory(inProgress), "a staging folder is not a version");
    IOException missing = assertThrows(IOException.class, () -> repo.version(7));
    assertTrue(missing.getMessage().contains("has no version 7 (it has [1, 2])"), missing.getMessage());

    // version 10 sorts after 9, not after 1
    for (int i = 3; i <= 10; i++) {
      repo.publish(stageVersion(repo, i));
    }
    assertEquals(10, repo.latest().orElseThrow().number());
  }

  @Test
  void anIncompleteFolderIsNotPublishedAndANameMustBeAFolderName() throws IOException {
    ModelRepository repo = ModelRepository.at(models, "squad");
    Path noEval = repo.stage();
    ExportMetadata.standard(QaHead.SIMPLE, 0, QaFeaturizer.Options.DEFAULTS, true, 100,
        AnswerDecoder.Options.defaults(SquadVersion.V1_1), "fingerprint", 10, "test").write(noEval);
    IOException e = assertThrows(IOException.class, () -> repo.publish(noEval));
    assertTrue(e.getMessage().contains("has no eval.json"), e.getMessage());
    assertThrows(IOException.class, () -> repo.publish(repo.stage()));
    assertTrue(repo.versions().isEmpty());

    Path elsewhere = Files.createDirectories(models.resolve("elsewhere"));
    assertThrows(IllegalArgumentException.class, () -> repo.publish(elsewhere));
    for (String bad : List.of("", "../up", ".hidden", "a/b", "with space")) {
      assertThrows(IllegalArgumentException.class, () -> ModelRepository.at(models, bad), bad);
    }
  }

  @Test
  void concurrentPublishersNeverShareOrSkipANumber() throws Exception {
    ModelRepository repo = ModelRepository.at(models, "squad");
    List<Path> staged = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      staged.add(stageVersion(repo, i));
    }
    Set<Long> numbers = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> all = new ArrayList<>();
      for (Path s : staged) {
        all.add(pool.submit(() -> numbers.add(repo.publish(s).number())));
      }
      for (Future<Boolean> f : all) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(12, numbers.size());
    assertEquals(12, repo.versions().size());
    assertEquals(12, repo.latest().orElseThrow().number());
  }

  @Test
  void stagingOfADeadProcessIsRemovedAndALiveOnesIsKept() throws Exception {
    ModelRepository repo = ModelRepository.at(models, "squad");
    Path mine = stageVersion(repo, 1);
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path dead = Files.createDirectories(repo.dir().resolve(".staging-" + gone.pid() + "-x").resolve("variables"));
    Files.writeString(dead.resolve("variables.index"), "half");

    List<Path> removed = repo.removeAbandonedStaging();

    assertEquals(List.of(dead.getParent()), removed);
    assertFalse(Files.exists(dead.getParent()));
    assertTrue(Files.isDirectory(mine));
    try (Stream<Path> left = Files.list(repo.dir())) {
      assertEquals(1, left.count());
    }
  }

  @Test
  void anExportFolderIsPublishedAsACopyWithoutItsOutputMarker() throws IOException {
    Path export = Files.createDirectories(models.resolve("export/variables"));
    Path exportDir = export.getParent();
    ExportMetadata.standard(QaHead.SIMPLE, 0, QaFeaturizer.Options.DEFAULTS, true, 100,
        AnswerDecoder.Options.defaults(SquadVersion.V1_1), "fingerprint", 10, "test").write(exportDir);
    Files.writeString(export.resolve("variables.index"), "weights");
    Files.writeString(exportDir.resolve(electra.cli.OutputFolder.MARKER), "{}");
    ModelRepository repo = ModelRepository.at(models, "squad");
    ModelEvaluation unevaluated = ModelEvaluation.unevaluated("", -1, "a copy");
    ModelRepository.Version first = repo.publishCopy(exportDir, unevaluated);
    ModelRepository.Version second = repo.publishCopy(exportDir, unevaluated);
    assertEquals(List.of(1L, 2L), List.of(first.number(), second.number()));
    assertEquals("weights", Files.readString(second.dir().resolve("variables/variables.index")));
    assertEquals(unevaluated, second.evaluation());
    assertFalse(Files.exists(second.dir().resolve(electra.cli.OutputFolder.MARKER)));
    assertTrue(Files.exists(exportDir.resolve(electra.cli.OutputFolder.MARKER)), "the export is left as it was");
    assertThrows(IOException.class, () -> repo.publishCopy(models.resolve("nothing"), unevaluated));
    assertEquals(2, repo.versions().size());
  }

  @Test
  void anExportFolderIsToldApartFromAModelsVersions() throws IOException {
    ModelRepository repo = ModelRepository.at(models, "squad");
    ModelRepository.Version v = repo.publish(stageVersion(repo, 1));
    assertTrue(ModelRepository.isExportFolder(v.dir()));
    assertFalse(ModelRepository.isExportFolder(repo.dir()));
    assertEquals(1, ModelRepository.of(repo.dir()).versions().size());
  }

  @Test
  void evaluationsRoundTripAndScoresNeedTheirData() throws IOException {
    ModelEvaluation e = new ModelEvaluation(Map.of("f1", 12.5, "exact_match", 10.0), "dev (sha256 x), 20 questions",
        20, "runs/p/model.ckpt-40", 40, "EvaluateCheckpoints");
    e.write(models);
    assertEquals(e, ModelEvaluation.read(models));
    assertTrue(ModelEvaluation.unevaluated("", -1, "ExportModel").f1().isEmpty());
    assertThrows(IllegalArgumentException.class,
        () -> new ModelEvaluation(Map.of("f1", 1.0), "", 0, "", -1, "x"));
  }
}
