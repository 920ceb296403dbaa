package electra.trainer.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.trainer.finetune.FinetuneConfig;
import electra.trainer.pretrain.PretrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class PresetsTest {

  private static final String[] SHARDS = {"--pretrain_tfrecords=shards"};

  @Test
  void everyPublishedNameHasAPreTrainingAndASquadFileAndNoFileIsUnlisted() throws IOException {
    for (Presets.Kind kind : Presets.Kind.values()) {
      Path folder = Path.of("src/main/resources/electra/trainer/runtime/presets", kind.name().toLowerCase());
      try (Stream<Path> files = Files.list(folder)) {
        Set<String> names = files.map(f -> f.getFileName().toString().replace(".properties", ""))
            .collect(Collectors.toSet());
        assertEquals(Set.copyOf(Presets.NAMES), names, kind.name());
      }
      for (String name : Presets.NAMES) {
        assertTrue(Presets.load(kind, name, false).flags().size() >= 5, name);
        assertTrue(Presets.FLAG_HELP.contains(name + ",") || Presets.FLAG_HELP.endsWith(name), name);
      }
    }
    UsageException unknown = assertThrows(UsageException.class,
        () -> Presets.load(Presets.Kind.PRETRAINING, "dgx3_8gpu_amp", false));
    assertTrue(unknown.getMessage().contains("not a preset; there are dgxa100_8gpu_amp"), unknown.getMessage());
    assertThrows(UsageException.class, () -> Presets.load(Presets.Kind.SQUAD, "../squad/dgx1_1gpu_amp", false));
  }

  @Test
  void nvidiasA100PresetGivesEachPhaseItsBatchAccumulationAndSchedule() {
    List<String> said = new ArrayList<>();
    Presets.Preset p1 = Presets.load(Presets.Kind.PRETRAINING, "dgxa100_8gpu_amp", false);
    PretrainConfig phase1 = PretrainConfig.parse(Presets.apply(p1, SHARDS, "gradient_accumulation_steps", 8,
        said::add));
    assertEquals(176, phase1.trainBatchSize());
    assertEquals(48, phase1.gradientAccumulationSteps());
    assertEquals(6e-3, phase1.learningRate());
    assertEquals(2000, phase1.numWarmupSteps());
    assertEquals(10000, phase1.numTrainSteps());
    assertEquals(0.3333333, phase1.generatorHiddenSize());
    assertEquals(768, phase1.discriminator().hiddenSize(), "ELECTRA-base");
    assertTrue(phase1.amp() && phase1.xla());
    assertEquals(42, phase1.seed());
    assertEquals(500, phase1.saveCheckpointsSteps());
    assertEquals(1, said.size(), "nothing scaled on the preset's own 8 GPUs: " + said);

    Presets.Preset p2 = Presets.load(Presets.Kind.PRETRAINING, "dgxa100_8gpu_amp", true);
    PretrainConfig phase2 = PretrainConfig.parse(Presets.apply(p2,
        new String[] {"--pretrain_tfrecords=s", "--phase2"}, "gradient_accumulation_steps", 8, said::add));
    assertEquals(24, phase2.trainBatchSize());
    assertEquals(144, phase2.gradientAccumulationSteps());
    assertEquals(4e-3, phase2.learningRate());
    assertEquals(933, phase2.numTrainSteps());
  }

  @Test
  void otherWorkerCountsKeepTheGlobalBatchAndExplicitFlagsWin() {
    Presets.Preset a100 = Presets.load(Presets.Kind.PRETRAINING, "dgxa100_8gpu_amp", false);
    List<String> said = new ArrayList<>();
    PretrainConfig twoNodes = PretrainConfig.parse(Presets.apply(a100, SHARDS, "gradient_accumulation_steps", 16,
        said::add));
    assertEquals(24, twoNodes.gradientAccumulationSteps(), "176 x 48 x 8 = 176 x 24 x 16");
    assertTrue(said.get(0).contains("--gradient_accumulation_steps 48 -> 24 keeps its global batch"), said.get(0));

    String[] explicit = Presets.apply(a100, new String[] {"--pretrain_tfrecords=s", "--learning_rate=1e-3",
        "--gradient_accumulation_steps", "7", "--amp=false"}, "gradient_accumulation_steps", 3, said::add);
    PretrainConfig mine = PretrainConfig.parse(explicit);
    assertEquals(1e-3, mine.learningRate());
    assertEquals(7, mine.gradientAccumulationSteps());
    assertEquals(false, mine.amp());
    assertEquals(176, mine.trainBatchSize(), "what was not given still comes from the preset");

    Presets.Preset dgx1 = Presets.load(Presets.Kind.PRETRAINING, "dgx1_8gpu_fp32", false);
    PretrainConfig odd = PretrainConfig.parse(Presets.apply(dgx1, SHARDS, "gradient_accumulation_steps", 3,
        said::add));
    assertEquals(563, odd.gradientAccumulationSteps(), "211 x 8 / 3 = 562.7, the nearest whole number");
    assertTrue(said.get(said.size() - 2).endsWith("as nearly as a whole number can"), said.toString());
  }

  @Test
  void squadPresetsGiveOneProcessTheGlobalBatch() {
    Presets.Preset a100 = Presets.load(Presets.Kind.SQUAD, "dgxa100_8gpu_amp", false);
    FinetuneConfig c = FinetuneConfig.parse(Presets.apply(a100, new String[] {"--preset=dgxa100_8gpu_amp",
        "--electra_model=m", "--train_file=t.json", "--predict_file=d.json", "--output_dir=o"}, "train_batch_size",
        1, s -> { }));
    assertEquals(256, c.trainBatchSize(), "32 per GPU on 8 GPUs");
    assertEquals(8e-4, c.learningRate());
    assertEquals(2, c.numTrainEpochs());
    assertEquals(1, c.training().seed());
    assertEquals("dgxa100_8gpu_amp", c.preset());
    assertArrayEquals(new String[] {"--a=1"}, Presets.apply(new Presets.Preset("none", 1, java.util.Map.of()),
        new String[] {"--a=1"}, "x", 1, s -> { }));
  }

  @Test
  void theGeneratorIsAsWideAsNvidiaMakesIt() {
    PretrainConfig large = PretrainConfig.parse("--pretrain_tfrecords=s", "--model_size=large",
        "--generator_hidden_size=0.3333333");
    ElectraConfig g = large.generator();
    assertEquals(384, g.hiddenSize(), "round(1024 / 3) = 341, up to a multiple of 64");
    assertEquals(6, g.numAttentionHeads());
    assertEquals(1536, g.intermediateSize());
    ElectraConfig base = PretrainConfig.parse("--pretrain_tfrecords=s", "--model_size=base",
        "--generator_hidden_size=0.3333333").generator();
    assertEquals(256, base.hiddenSize(), "the paper's base generator");
    ElectraConfig small = PretrainConfig.parse("--pretrain_tfrecords=s", "--model_size=small").generator();
    assertEquals(64, small.hiddenSize(), "Google's default 0.25 of 256");
  }
}
