package electra.pipelines.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.data.Checksum;
import electra.data.ChecksumMismatchException;
import electra.data.DownloadFixtures;
import electra.data.FileServer;
import electra.data.Mirror;
import electra.glue.GlueData;
import electra.glue.GlueExample;
import electra.glue.GlueTask;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * DownloadGlue against a local server standing in for dl.fbaipublicfiles.com through ELECTRA_MIRROR: task zips
 * (one named otherwise than its folder, as QNLIv2.zip holds QNLI/), MRPC's three files and the diagnostic set, with
 * their checksums;
 * an interrupted download resumes, a wrong digest or a broken zip leaves no task folder, a finished task is kept.
 */
class DownloadGlueTest extends LocalServerTest {

  final Map<String, Checksum> checksums = new HashMap<>();

  static final String RTE_DEV = "index\tsentence1\tsentence2\tlabel\n0\tDana Reeve died.\tReeve had an accident.\t"
      + "not_entailment\n";

  static byte[] zip(String folder, Map<String, String> files) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(bytes)) {
      z.putNextEntry(new ZipEntry(folder + "/"));
      for (Map.Entry<String, String> f : files.entrySet()) {
        z.putNextEntry(new ZipEntry(folder + "/" + f.getKey()));
        z.write(f.getValue().getBytes(StandardCharsets.UTF_8));
      }
    }
    return bytes.toByteArray();
  }

  static Map<String, String> pairTask(String dev) {
    Map<String, String> files = new LinkedHashMap<>();
    files.put("train.tsv", dev.repeat(1));
    files.put("dev.tsv", dev);
    files.put("test.tsv", "index\tsentence1\tsentence2\n0\tA.\tB.\n");
    // padding so that a download cut halfway has something to resume
    files.put("original/notes.txt", new String(DownloadFixtures.randomBytes(50_000, 3), StandardCharsets.ISO_8859_1));
    return files;
  }

  void serve(String file, byte[] content) {
    server.serve("/dl.fbaipublicfiles.com/" + file, content);
    checksums.put(file, DownloadFixtures.sha256(content));
  }

  void run(String... args) throws Exception {
    new DownloadGlue(new PrintStream(out, true, StandardCharsets.UTF_8), DownloadFixtures.FAST,
        () -> Mirror.parse(server.base()), checksums).run(args);
  }

  @Test
  void tasksAreLaidOutAsTheGlueDistributionAndAnInterruptedDownloadResumes() throws Exception {
    serve("glue/data/RTE.zip", zip("RTE", pairTask(RTE_DEV)));
    serve("glue/data/QNLIv2.zip", zip("QNLI", pairTask("index\tquestion\tsentence\tlabel\n0\tWho?\tHim.\t"
        + "entailment\n")));
    String header = "\ufeffQuality\t#1 ID\t#2 ID\t#1 String\t#2 String";
    serve(DownloadGlue.MRPC_TRAIN, (header + "\r\n1\t10\t11\tHe said so.\tHe told us.\r\n0\t12\t13\tA cat.\tA dog.\r\n"
        + "1\t14\t15\tIt rains.\tRain falls.\r\n").getBytes(StandardCharsets.UTF_8));
    serve(DownloadGlue.MRPC_TEST, (header + "\n1\t20\t21\tOne.\tTwo.\n0\t22\t23\tThree.\tFour.\n")
        .getBytes(StandardCharsets.UTF_8));
    serve(DownloadGlue.MRPC_DEV_IDS, "12\t13\n".getBytes(StandardCharsets.UTF_8));
    Map<String, String> mnli = new LinkedHashMap<>();
    for (String split : List.of("train", "dev_matched", "dev_mismatched", "test_matched", "test_mismatched")) {
      mnli.put(split + ".tsv", "index\t" + split + "\n");
    }
    serve("glue/data/MNLI.zip", zip("MNLI", mnli));
    String ax = "index\tsentence1\tsentence2\n0\tThe cat sat.\tNo cat sat.\n";
    serve("glue/data/AX.tsv", ax.getBytes(StandardCharsets.UTF_8));
    server.fail("/dl.fbaipublicfiles.com/glue/data/RTE.zip", FileServer.Fault.DROP_HALFWAY);

    run("--tasks=rte,qnli,mrpc,mnli", "--output_dir=" + dir);

    assertEquals(RTE_DEV, Files.readString(dir.resolve("RTE/dev.tsv")));
    assertTrue(Files.isRegularFile(dir.resolve("RTE/original/notes.txt")));
    assertTrue(Files.isRegularFile(dir.resolve("QNLI/test.tsv")), "QNLIv2.zip's QNLI/ folder");
    assertEquals("bytes=", server.requests("/dl.fbaipublicfiles.com/glue/data/RTE.zip").get(1).range()
        .replaceAll("\\d+-$", ""), "the second request resumes where the first broke off");
    // MRPC: the dev ids' pair goes to dev.tsv, the rest to train.tsv; test.tsv is indexed
    List<GlueExample> dev = GlueData.read(dir.resolve("MRPC/dev.tsv"), GlueTask.MRPC, true).examples();
    assertEquals(List.of(new GlueExample(0, "A cat.", "A dog.", "0")), dev);
    assertEquals(2, GlueData.read(dir.resolve("MRPC/train.tsv"), GlueTask.MRPC, true).examples().size());
    assertEquals("index\t#1 ID\t#2 ID\t#1 String\t#2 String\n0\t20\t21\tOne.\tTwo.\n1\t22\t23\tThree.\tFour.\n",
        Files.readString(dir.resolve("MRPC/test.tsv")));
    assertTrue(out().contains("(verified)"), out());
    assertEquals("index\tdev_mismatched\n", Files.readString(dir.resolve("MNLI/dev_mismatched.tsv")));
    assertEquals(ax, Files.readString(dir.resolve("MNLI/diagnostic.tsv")), "AX.tsv where Google's code reads it");
    assertTrue(out().endsWith("GLUE tasks (verified):\n  " + dir.resolve("RTE") + "\n  " + dir.resolve("QNLI")
        + "\n  " + dir.resolve("MRPC") + "\n  " + dir.resolve("MNLI") + "\n"), out());

    // run again: every task is there, nothing is fetched
    int requests = server.requests().size();
    out.reset();
    run("--tasks=rte,qnli,mrpc,mnli", "--output_dir=" + dir);
    assertEquals(requests, server.requests().size());
    assertTrue(out().contains(dir.resolve("RTE") + ": already there"), out());
  }

  @Test
  void aWrongDigestOrABrokenZipLeavesNoTaskFolder() throws Exception {
    byte[] rte = zip("RTE", pairTask(RTE_DEV));
    serve("glue/data/RTE.zip", rte);
    checksums.put("glue/data/RTE.zip", DownloadFixtures.sha256(new byte[] {1, 2, 3}));
    assertThrows(ChecksumMismatchException.class, () -> run("--tasks=rte", "--output_dir=" + dir));
    assertFalse(Files.exists(dir.resolve("RTE")));

    byte[] broken = rte.clone();
    int data = new String(rte, StandardCharsets.ISO_8859_1).indexOf("RTE/train.tsv") + "RTE/train.tsv".length();
    broken[data + 5] ^= 0x55; // inside train.tsv's compressed bytes: they no longer inflate to its CRC
    serve("glue/data/RTE.zip", broken);
    IOException e = assertThrows(IOException.class, () -> run("--tasks=rte", "--output_dir=" + dir));
    assertTrue(e.getMessage().contains("is not a sound zip"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("RTE")));
    assertFalse(Files.exists(dir.resolve("downloads/RTE.zip")), "deleted, so that the next run fetches it anew");

    serve("glue/data/RTE.zip", zip("RTE", Map.of("train.tsv", RTE_DEV, "dev.tsv", RTE_DEV)));
    IOException missing = assertThrows(IOException.class, () -> run("--tasks=rte", "--output_dir=" + dir));
    assertTrue(missing.getMessage().contains("lacks RTE's [test.tsv]"), missing.getMessage());
    assertFalse(Files.exists(dir.resolve("RTE")));
  }

  @Test
  void everyTaskHasAFileWithAKnownChecksum() {
    for (GlueTask task : GlueTask.values()) {
      List<String> files = task == GlueTask.MRPC
          ? List.of(DownloadGlue.MRPC_TRAIN, DownloadGlue.MRPC_TEST, DownloadGlue.MRPC_DEV_IDS)
          : List.of(DownloadGlue.ZIPS.get(task));
      files.forEach(f -> assertTrue(DownloadGlue.OFFICIAL_SHA256.containsKey(f), task + ": " + f));
    }
    assertTrue(DownloadGlue.OFFICIAL_SHA256.containsKey(DownloadGlue.DIAGNOSTIC));
    assertEquals(List.of("train.tsv", "dev_matched.tsv", "dev_mismatched.tsv", "test_matched.tsv",
        "test_mismatched.tsv"), DownloadGlue.expectedFiles(GlueTask.MNLI));
  }
}
