package electra.trainer.export;

import electra.export.ExportCheck;
import electra.export.ExportMetadata;
import electra.export.ModelEvaluation;
import electra.export.ModelRepository;
import electra.export.HeadOutputs;
import electra.export.QaHead;
import electra.trainer.runtime.Checkpoints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import electra.cli.UsageException;
import electra.model.ElectraConfig;
import electra.squad.AnswerDecoder;
import electra.squad.QaFeaturizer;
import electra.squad.SquadVersion;
import electra.tokenization.BertTokenizer;
import electra.tokenization.Vocabulary;
import electra.trainer.finetune.Batch;
import electra.trainer.finetune.FinetuneConfig;
import electra.trainer.finetune.FinetunedHead;
import electra.trainer.finetune.QaGraph;
import electra.trainer.onnx.OnnxRuntimeSession;
import electra.trainer.onnx.proto.Model;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class ExportModelTest {

  @TempDir
  Path tmp;

  static Path shared(String relative) {
    String shared = System.getProperty("electra.shared.dir");
    assumeTrue(shared != null, "skipped: system property electra.shared.dir is not set (golden models live there)");
    Path p = Path.of(shared, relative);
    assumeTrue(Files.exists(p), "skipped: " + p + " not found");
    return p;
  }

  @Test
  void goldenQaModelExportsAndTheSavedModelAndTheOnnxModelReproduceItsLogits() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    Path out = tmp.resolve("export");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    new ExportModel(new PrintStream(log, true, StandardCharsets.UTF_8)).run(new String[] {
        "--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + out, "--max_seq_length=96"});
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("exported"), log.toString(StandardCharsets.UTF_8));
    for (String f : new String[] {"saved_model.pb", "variables", "model.onnx", "vocab.txt", "config.json",
        "export.json"}) {
      assertTrue(Files.exists(out.resolve(f)), f);
    }
    try (var siblings = Files.list(tmp)) {
      assertEquals(1, siblings.count(), "no staging folder is left behind");
    }
    ExportMetadata meta = ExportMetadata.read(out);
    assertEquals(QaHead.SIMPLE, meta.head());
    assertEquals(96, meta.maxSeqLength());
    assertEquals(128, meta.docStride());
    assertTrue(meta.doLowerCase());
    assertFalse(meta.version2WithNegative());
    assertEquals(AnswerDecoder.Options.defaults(SquadVersion.V1_1), meta.decoding());
    assertEquals(Vocabulary.load(vocab).fingerprint(), meta.vocabFingerprint());
    assertEquals(meta.vocabFingerprint(), Vocabulary.load(out.resolve("vocab.txt")).fingerprint());
    assertEquals("model.onnx", meta.onnxFile());

    JsonNode cases = new ObjectMapper().readTree(golden.resolve("expected.json").toFile()).get("cases");
    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve")) {
      for (JsonNode c : cases) {
        try (TInt32 ids = row(c.get("input_ids")); TInt32 mask = row(c.get("attention_mask"));
            TInt32 seg = row(c.get("token_type_ids"));
            Result r = bundle.function("serving_default").call(Map.<String, Tensor>of(
                "input_ids", ids, "input_mask", mask, "segment_ids", seg))) {
          for (String key : new String[] {"start_logits", "end_logits"}) {
            TFloat32 t = (TFloat32) r.get(key).orElseThrow();
            float[] actual = new float[Math.toIntExact(t.size())];
            t.copyTo(DataBuffers.of(actual, false, false));
            double max = 0;
            for (int i = 0; i < actual.length; i++) {
              max = Math.max(max, Math.abs(actual[i] - c.get(key).get(i).asDouble()));
            }
            assertTrue(max <= 1e-4, key + " max error " + max);
          }
        }
      }
    }
    Model onnx = Model.parseFrom(Files.readAllBytes(out.resolve(meta.onnxFile())));
    try (OnnxRuntimeSession session = new OnnxRuntimeSession(onnx, 1)) {
      for (JsonNode c : cases) {
        int[] ids = ints(c.get("input_ids"));
        for (String key : new String[] {"start_logits", "end_logits"}) {
          float[] actual = session.run(1, ids.length, ids, ints(c.get("attention_mask")),
              ints(c.get("token_type_ids")), outputs -> outputs.floats(key));
          double max = 0;
          for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs(actual[i] - c.get(key).get(i).asDouble()));
          }
          assertTrue(max <= 1e-4, "model.onnx " + key + " max error " + max);
        }
      }
    }

    // A second export into the same, now full, folder is refused.
    UsageException e = assertThrows(UsageException.class, () -> new ExportModel(new PrintStream(log)).run(
        new String[] {"--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + out}));
    assertTrue(e.getMessage().startsWith(out + " holds an earlier ExportModel run's output; --overwrite replaces it"),
        e.getMessage());
  }

  @Test
  void unknownHeadJointHeadFromHuggingFaceAndFolderWithoutWeightsAreRefused() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    UsageException unknown = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + tmp.resolve("u"), "--head=xlnet"}));
    assertTrue(unknown.getMessage().contains("unknown QA head 'xlnet'"), unknown.getMessage());
    UsageException head = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + golden, "--vocab_file=" + vocab, "--output_dir=" + tmp.resolve("x"), "--head=joint"}));
    assertTrue(head.getMessage().contains("no Hugging Face counterpart"), head.getMessage());
    UsageException folder = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + tmp, "--output_dir=" + tmp.resolve("y")}));
    assertTrue(folder.getMessage().contains("config.json"), folder.getMessage());
  }

  @Test
  void version2FlagsAreRecordedForTheDecoder() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    Path out = tmp.resolve("v2");
    new ExportModel(new PrintStream(new ByteArrayOutputStream())).run(new String[] {"--electra_model=" + golden,
        "--vocab_file=" + vocab, "--output_dir=" + out, "--max_seq_length=96", "--version_2_with_negative",
        "--null_score_diff_threshold=-1.5", "--max_answer_length=12"});
    JsonNode json = new ObjectMapper().readTree(out.resolve(ExportMetadata.FILE).toFile());
    assertTrue(json.get("version_2_with_negative").asBoolean(), json.toString());
    assertEquals(-1.5, json.get("null_score_diff_threshold").asDouble(), json.toString());
    assertFalse(json.has("beam_size"), "the simple head has no beam: " + json);
    assertEquals(new AnswerDecoder.Options(20, 12, SquadVersion.V2_0, -1.5), ExportMetadata.read(out).decoding());

    // Without a threshold, the simple head's default (BERT's 0.0 on null minus best span logits).
    Path defaults = tmp.resolve("v2-default");
    new ExportModel(new PrintStream(new ByteArrayOutputStream())).run(new String[] {"--electra_model=" + golden,
        "--vocab_file=" + vocab, "--output_dir=" + defaults, "--max_seq_length=96", "--version_2_with_negative"});
    assertEquals(0.0, ExportMetadata.read(defaults).decoding().nullScoreDiffThreshold());
  }

  /**
   * A joint-head FinetuneSquad checkpoint (random tiny weights, saved as FinetuneSquad saved them before it recorded
   * the head) exports with its beam outputs, which the SavedModel computes as the fine-tuning graph does; a wrong head
   * or vocabulary is refused. Once the checkpoint records its head, ExportModel needs no --head and refuses another.
   */
  @Test
  void jointHeadCheckpointExportsItsBeams() throws Exception {
    Path vocabFile = shared("data/vocab/bert-base-uncased-vocab.txt");
    Vocabulary vocab = Vocabulary.load(vocabFile);
    ElectraConfig config = new ElectraConfig(ElectraConfig.BERT_VOCAB_SIZE, 64, 128, 2, 4, 256, "gelu", 0, 0, 512,
        2, 0.02, 1e-12);
    Path checkpoints = tmp.resolve("run/checkpoints");
    int beam = 4;
    Batch batch;
    List<AnswerDecoder.WindowOutput> expected;
    Path ckpt;
    try (QaGraph graph = new QaGraph(config, QaHead.JOINT, beam, null, null)) {
      graph.initialize();
      ckpt = new Checkpoints(checkpoints, "ckpt-", 1).save(Checkpoints.State.fineTuning(7, 1, 64, 1, 0,
          vocab.fingerprint()), graph::save);
      config.writeJson(checkpoints.resolve("config.json"), "ElectraForPreTraining");
      QaFeaturizer featurizer = new QaFeaturizer(new BertTokenizer(vocab, true, 100), new QaFeaturizer.Options(64,
          32, 16));
      batch = Batch.ofFeatures(featurizer.features("q", "Who founded the city of Rome?",
          "Legend says Romulus founded Rome after killing his brother Remus, in the year 753 BC."));
      expected = graph.predict(batch);
    }

    Path out = tmp.resolve("joint");
    new ExportModel(new PrintStream(new ByteArrayOutputStream())).run(new String[] {"--electra_model=" + ckpt,
        "--vocab_file=" + vocabFile, "--output_dir=" + out, "--head=joint", "--beam_size=" + beam,
        "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16", "--version_2_with_negative"});
    ExportMetadata meta = ExportMetadata.read(out);
    assertEquals(QaHead.JOINT, meta.head());
    assertEquals(beam, meta.beamSize());
    assertEquals(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, -2.75), meta.decoding());
    assertEquals(QaHead.JOINT.outputRoles().size(), meta.outputs().size());

    try (SavedModelBundle bundle = SavedModelBundle.load(out.toString(), "serve");
        TInt32 ids = tokens(batch, batch.inputIds()); TInt32 mask = tokens(batch, batch.inputMask());
        TInt32 seg = tokens(batch, batch.segmentIds());
        Result r = bundle.function("serving_default").call(Map.<String, Tensor>of(
            "input_ids", ids, "input_mask", mask, "segment_ids", seg))) {
      List<AnswerDecoder.WindowOutput> actual = HeadOutputs.windows(QaHead.JOINT,
          QaGraph.headOutputs(name -> r.get(name).orElseThrow()), batch.size(), batch.length());
      assertEquals(expected.size(), actual.size());
      for (int w = 0; w < expected.size(); w++) {
        AnswerDecoder.WindowBeams e = (AnswerDecoder.WindowBeams) expected.get(w);
        AnswerDecoder.WindowBeams a = (AnswerDecoder.WindowBeams) actual.get(w);
        assertEquals(beam, a.startIndex().length);
        assertArrayEquals(e.startIndex(), a.startIndex());
        assertArrayEquals(e.startLogProb(), a.startLogProb());
        assertArrayEquals(e.endIndex(), a.endIndex());
        assertArrayEquals(e.endLogProb(), a.endLogProb());
        assertEquals(e.answerableLogit(), a.answerableLogit());
      }
    }

    UsageException simple = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + ckpt, "--vocab_file=" + vocabFile, "--output_dir=" + tmp.resolve("s"),
        "--max_seq_length=64", "--max_query_length=16"}));
    assertTrue(simple.getMessage().contains("has no simple head"), "without a record, --head defaults to simple: "
        + simple.getMessage());
    assertTrue(simple.getMessage().contains("--head must name the head FinetuneSquad trained"), simple.getMessage());

    FinetunedHead.write(ckpt, QaHead.JOINT);
    Path recorded = tmp.resolve("recorded");
    new ExportModel(new PrintStream(new ByteArrayOutputStream())).run(new String[] {"--electra_model=" + ckpt,
        "--vocab_file=" + vocabFile, "--output_dir=" + recorded, "--beam_size=" + beam, "--max_seq_length=64",
        "--doc_stride=32", "--max_query_length=16"});
    assertEquals(QaHead.JOINT, ExportMetadata.read(recorded).head(), "the recorded head, without --head");
    UsageException disagrees = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + ckpt, "--vocab_file=" + vocabFile, "--output_dir=" + tmp.resolve("d"),
        "--head=simple", "--max_seq_length=64", "--max_query_length=16"}));
    assertEquals("--head simple disagrees with the joint head FinetuneSquad recorded in "
        + ckpt.resolve("finetune.json") + ": leave --head out", disagrees.getMessage());
    assertFalse(Files.exists(tmp.resolve("d")), "nothing written");
    Path otherVocab = tmp.resolve("other-vocab.txt");
    Files.writeString(otherVocab, Files.readString(vocabFile).replace("[unused0]", "[unused_zero]"));
    UsageException wrongVocab = assertThrows(UsageException.class, () -> new ExportModel().run(new String[] {
        "--electra_model=" + ckpt, "--vocab_file=" + otherVocab, "--output_dir=" + tmp.resolve("v"),
        "--head=joint", "--max_seq_length=64", "--max_query_length=16"}));
    assertTrue(wrongVocab.getMessage().contains("trained with the vocabulary"), wrongVocab.getMessage());

    // The run's scores belong to its newest checkpoint, if written after it; else the version is unevaluated.
    Path results = tmp.resolve("run/" + ExportModel.EVAL_RESULTS);
    Files.writeString(results, "{\"exact\": 40.0, \"f1\": 45.5, \"total\": 12, \"HasAns_total\": 6}");
    ModelEvaluation scored = ExportModel.evaluationOf(ckpt);
    assertEquals(Map.of("exact", 40.0, "f1", 45.5, "total", 12.0, "HasAns_total", 6.0), scored.scores());
    assertEquals(12, scored.questions());
    assertTrue(scored.data().contains(results.toString()), scored.data());
    Files.setLastModifiedTime(results, FileTime.fromMillis(Files.getLastModifiedTime(ckpt).toMillis() - 60_000));
    assertEquals(Map.of(), ExportModel.evaluationOf(ckpt).scores(), "scores older than the checkpoint");

    // what continuous evaluation calls: the run's newest checkpoint, served as the run evaluated it
    FinetuneConfig run = FinetuneConfig.parse(new String[] {"--mode=eval", "--init_checkpoint=" + ckpt,
        "--predict_file=dev.json", "--output_dir=" + tmp.resolve("run"), "--head=joint", "--beam_size=" + beam,
        "--max_seq_length=64", "--doc_stride=32", "--max_query_length=16", "--version_2_with_negative",
        "--null_score_diff_threshold=-1.0"});
    ModelRepository repository = ModelRepository.at(tmp.resolve("models"), "joint");
    ModelRepository.Version published = ExportModel.publishFinetuned(run, vocab, repository, scored);
    assertEquals(1, published.number());
    assertEquals(new AnswerDecoder.Options(20, 30, SquadVersion.V2_0, -1.0), published.metadata().decoding());
    assertEquals(beam, published.metadata().beamSize());
    assertEquals(scored, published.evaluation());
    assertEquals(Set.of(ExportMetadata.START_TOP_INDEX, ExportMetadata.END_TOP_INDEX),
        ExportCheck.read(published.dir()).orElseThrow().indexOutputs().keySet());
  }

  /**
   * --models and --name publish numbered versions, each a complete export with its check and eval.json (scores from
   * the model folder's eval_results.json when there is one); exactly one of --output_dir and --models is taken.
   */
  @Test
  void publishesNumberedVersionsIntoAModelRepository() throws Exception {
    Path golden = shared("golden/tiny-discriminator-qa");
    Path vocab = shared("data/vocab/bert-base-uncased-vocab.txt");
    Path models = tmp.resolve("models");
    String[] common = {"--vocab_file=" + vocab, "--max_seq_length=64", "--max_query_length=16"};
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    ExportModel job = new ExportModel(new PrintStream(log, true, StandardCharsets.UTF_8));
    job.run(concat(common, "--electra_model=" + golden, "--models=" + models, "--name=tiny-qa"));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("as version 1 of " + models.resolve("tiny-qa")
        + " in "), log.toString(StandardCharsets.UTF_8));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("not evaluated"), log.toString(StandardCharsets.UTF_8));

    // a Hugging Face folder with FinetuneSquad's scores and predictions in it
    Path scoredModel = Files.createDirectories(tmp.resolve("scored"));
    try (var files = Files.list(golden)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, scoredModel.resolve(f.getFileName()));
      }
    }
    Files.writeString(scoredModel.resolve(ExportModel.EVAL_RESULTS), "{\"exact_match\": 50.0, \"f1\": 62.5}");
    Files.writeString(scoredModel.resolve("predictions.json"), "{\"q1\": \"Rome\", \"q2\": \"\", \"q3\": \"x\"}");
    job.run(concat(common, "--electra_model=" + scoredModel, "--models=" + models, "--name=tiny-qa"));

    ModelRepository repository = ModelRepository.at(models, "tiny-qa");
    List<ModelRepository.Version> versions = repository.versions();
    assertEquals(List.of(1L, 2L), versions.stream().map(ModelRepository.Version::number).toList());
    assertEquals(Map.of(), versions.get(0).evaluation().scores());
    ModelEvaluation second = versions.get(1).evaluation();
    assertEquals(Map.of("exact_match", 50.0, "f1", 62.5), second.scores());
    assertEquals(3, second.questions());
    assertTrue(second.source().contains(scoredModel.toString()), second.source());
    for (ModelRepository.Version v : versions) {
      assertEquals(64, v.metadata().maxSeqLength());
      ExportCheck check = ExportCheck.read(v.dir()).orElseThrow();
      assertEquals(Set.of(ExportMetadata.START_LOGITS, ExportMetadata.END_LOGITS), check.outputs().keySet());
      assertEquals(check.rows() * check.length(), check.outputs().get(ExportMetadata.START_LOGITS).length);
    }
    try (var left = Files.list(repository.dir())) {
      assertEquals(List.of("1", "2"), left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no staging folder left");
    }

    UsageException both = assertThrows(UsageException.class, () -> job.run(concat(common,
        "--electra_model=" + golden, "--models=" + models, "--name=x", "--output_dir=" + tmp.resolve("o"))));
    assertTrue(both.getMessage().contains("not both"), both.getMessage());
    UsageException neither = assertThrows(UsageException.class, () -> job.run(concat(common,
        "--electra_model=" + golden)));
    assertTrue(neither.getMessage().contains("not neither"), neither.getMessage());
    UsageException nameless = assertThrows(UsageException.class, () -> job.run(concat(common,
        "--electra_model=" + golden, "--models=" + models)));
    assertTrue(nameless.getMessage().contains("--models needs --name"), nameless.getMessage());
    UsageException badName = assertThrows(UsageException.class, () -> job.run(concat(common,
        "--electra_model=" + golden, "--models=" + models, "--name=../up")));
    assertTrue(badName.getMessage().contains("must be letters"), badName.getMessage());
    assertEquals(2, repository.versions().size(), "refused runs publish nothing");
  }

  private static String[] concat(String[] common, String... more) {
    String[] out = java.util.Arrays.copyOf(common, common.length + more.length);
    System.arraycopy(more, 0, out, common.length, more.length);
    return out;
  }

  private static TInt32 tokens(Batch b, int[] values) {
    return TInt32.tensorOf(Shape.of(b.size(), b.length()), DataBuffers.of(values, true, false));
  }

  private static TInt32 row(JsonNode values) {
    int[] v = ints(values);
    return TInt32.tensorOf(Shape.of(1, v.length), DataBuffers.of(v, true, false));
  }

  private static int[] ints(JsonNode values) {
    int[] v = new int[values.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = values.get(i).asInt();
    }
    return v;
  }
}
