package electra.glue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import electra.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each task's files read from snippets laid out as the GLUE distribution lays them out; EvalGlue scores them. */
class GlueDataTest {

  @TempDir Path dir;

  private Path write(String name, String... lines) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    return p;
  }

  private static GlueExample only(GlueData.Split s) {
    assertEquals(1, s.examples().size(), s.toString());
    return s.examples().get(0);
  }

  @Test
  void colaHasNoHeaderInDevButOneInTest() throws Exception {
    Path dev = write("dev.tsv", "gj04\t1\t\tThe sailors rode the breeze clear of the rocks.",
        "gj04\t0\t*\tThe more you eat, the more you want the.");
    List<GlueExample> e = GlueData.read(dev, GlueTask.COLA, true).examples();
    assertEquals(List.of(new GlueExample(0, "The sailors rode the breeze clear of the rocks.", null, "1"),
        new GlueExample(1, "The more you eat, the more you want the.", null, "0")), e);
    Path test = write("test.tsv", "index\tsentence", "0\tBill whistled past the house.");
    assertEquals(new GlueExample(0, "Bill whistled past the house.", null, null),
        only(GlueData.read(test, GlueTask.COLA, false)));
  }

  @Test
  void sst2() throws Exception {
    Path dev = write("dev.tsv", "sentence\tlabel", "it 's a charming and often affecting journey . \t1");
    assertEquals(new GlueExample(0, "it 's a charming and often affecting journey . ", null, "1"),
        only(GlueData.read(dev, GlueTask.SST2, true)));
    Path test = write("test.tsv", "index\tsentence", "0\tuneasy mishmash of styles and genres .");
    assertEquals("uneasy mishmash of styles and genres .", only(GlueData.read(test, GlueTask.SST2, false)).textA());
  }

  @Test
  void mrpcQuotesAreText() throws Exception {
    Path dev = write("dev.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String",
        "1\t1355540\t1355592\tHe said \"foodservice pie business\" doesn't fit.\tThe \"pie\" unit doesn't fit.");
    GlueExample e = only(GlueData.read(dev, GlueTask.MRPC, true));
    assertEquals("He said \"foodservice pie business\" doesn't fit.", e.textA());
    assertEquals("The \"pie\" unit doesn't fit.", e.textB());
    assertEquals("1", e.label());
  }

  @Test
  void stsbScoreIsTheLastColumn() throws Exception {
    Path dev = write("dev.tsv",
        "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore",
        "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard hat is dancing.\t"
            + "A man wearing a hard hat is dancing.\t5.000");
    GlueExample e = only(GlueData.read(dev, GlueTask.STSB, true));
    assertEquals("A man with a hard hat is dancing.", e.textA());
    assertEquals("A man wearing a hard hat is dancing.", e.textB());
    assertEquals("5.000", e.label());
    assertEquals(true, GlueTask.STSB.isRegression());
  }

  @Test
  void qqpTestHasOtherColumnsThanDev() throws Exception {
    Path dev = write("dev.tsv", "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate",
        "201359\t303345\t303346\tWhy are African-Americans so beautiful?\tWhy are hispanics so beautiful?\t0",
        "broken row\twith too few columns");
    GlueData.Split split = GlueData.read(dev, GlueTask.QQP, true);
    assertEquals("Why are hispanics so beautiful?", split.examples().get(0).textB());
    assertEquals(1, split.skippedRows(), "the short row is skipped and counted");
    Path test = write("test.tsv", "id\tquestion1\tquestion2", "0\tWhy do rockets look white?\tWhy are rockets white?");
    GlueExample t = only(GlueData.read(test, GlueTask.QQP, false));
    assertEquals("Why do rockets look white?", t.textA());
    assertNull(t.label());
  }

  @Test
  void mnliTakesColumnsEightNineAndTheLast() throws Exception {
    String header = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\t"
        + "sentence1_parse\tsentence2_parse\tsentence1\tsentence2\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\tgold_label";
    Path dev = write("dev_matched.tsv", header, "0\t63735\t63735n\tslate\t(...)\t(...)\t(...)\t(...)\t"
        + "The new rights are nice enough\tEveryone really likes the newest benefits \tneutral\tentailment\tneutral"
        + "\tneutral\tneutral\tneutral");
    GlueExample e = only(GlueData.read(dev, GlueTask.MNLI, true));
    assertEquals("The new rights are nice enough", e.textA());
    assertEquals("neutral", e.label());
    assertEquals(2, GlueTask.MNLI.labelId(e.label()));
    assertEquals(List.of("dev_matched", "dev_mismatched"), GlueTask.MNLI.devSplits());
    assertEquals("MNLI-mm.tsv", GlueTask.MNLI.testSubmissions().get("test_mismatched"));
    // GLUE's diagnostic set, predicted with the MNLI model, has its pair in columns 1 and 2
    Path ax = write("diagnostic.tsv", "index\tsentence1\tsentence2",
        "0\tThe cat sat on the mat.\tThe cat did not sit.");
    assertEquals(new GlueExample(0, "The cat sat on the mat.", "The cat did not sit.", null),
        only(GlueData.read(ax, GlueTask.MNLI, GlueData.DIAGNOSTIC)));
    assertEquals("AX.tsv", GlueTask.MNLI.testSubmissions().get(GlueData.DIAGNOSTIC));
  }

  @Test
  void qnliRteWnliReadColumnsOneTwoThree() throws Exception {
    Path qnli = write("qnli.tsv", "index\tquestion\tsentence\tlabel",
        "0\tWhat came into force after the new constitution?\tThe act was passed.\tentailment");
    assertEquals(0, GlueTask.QNLI.labelId(only(GlueData.read(qnli, GlueTask.QNLI, true)).label()));
    Path rte = write("rte.tsv", "index\tsentence1\tsentence2\tlabel", "0\tDana Reeve died.\tChristopher Reeve had"
        + " an accident.\tnot_entailment");
    assertEquals(1, GlueTask.RTE.labelId(only(GlueData.read(rte, GlueTask.RTE, true)).label()));
    Path wnli = write("wnli.tsv", "index\tsentence1\tsentence2\tlabel", "0\tI stuck a pin through a carrot.\t"
        + "The carrot had a hole.\t1");
    assertEquals("The carrot had a hole.", only(GlueData.read(wnli, GlueTask.WNLI, true)).textB());
    assertEquals(10, GlueTask.RTE.epochs());
  }

  @Test
  void taskNamesAreReadAsUsersWriteThem() {
    assertEquals(GlueTask.SST2, GlueTask.parse("SST-2"));
    assertEquals(GlueTask.SST2, GlueTask.parse("sst2"));
    assertEquals(GlueTask.STSB, GlueTask.parse("sts-b"));
    assertEquals(GlueTask.COLA, GlueTask.parse("CoLA"));
    UsageException e = assertThrows(UsageException.class, () -> GlueTask.parse("squad"));
    assertEquals(true, e.getMessage().contains("MNLI"), e.getMessage());
  }

  @Test
  void evalGluePrintsTheTaskMetricsAsOneJsonObject() throws Exception {
    Path dev = write("dev.tsv", "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String", "1\t1\t2\ta\tb", "0\t3\t4\tc\td",
        "1\t5\t6\te\tf", "1\t7\t8\tg\th");
    Path predictions = write("predictions.tsv", "index\tprediction", "0\t1", "1\t1", "2\t1", "3\t0");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new EvalGlue(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(new String[] {"--task_name=mrpc",
        "--data_file=" + dev, "--predictions_file=" + predictions});
    Map<?, ?> printed = new com.fasterxml.jackson.databind.ObjectMapper().readValue(bytes.toByteArray(), Map.class);
    assertEquals(Map.of("accuracy", 0.5, "f1", 2.0 / 3), printed);

    Path missing = write("short.tsv", "index\tprediction", "0\t1");
    UsageException e = assertThrows(UsageException.class, () -> EvalGlue.evaluate(GlueTask.MRPC, dev, missing));
    assertEquals(true, e.getMessage().contains("no prediction for index 1"), e.getMessage());
  }

  @Test
  void submissionFilesRoundTrip() throws Exception {
    List<GlueExample> examples = List.of(new GlueExample(0, "a", "b", null), new GlueExample(1, "c", "d", null));
    Path file = dir.resolve("RTE.tsv");
    GlueSubmission.write(file, GlueTask.RTE, examples, GluePredictions.ofClasses(new int[] {1, 0}));
    assertEquals("index\tprediction\n0\tnot_entailment\n1\tentailment\n", Files.readString(file));
    assertEquals(Map.of(0, "not_entailment", 1, "entailment"), GlueSubmission.read(file));
  }
}
