package electra.pipelines.download;

import electra.cli.Flag;
import electra.cli.Flags;
import electra.cli.Overwrite;
import electra.cli.UsageException;
import electra.data.Checksum;
import electra.data.DownloadSettings;
import electra.data.Downloader;
import electra.data.Mirror;
import electra.glue.GlueData;
import electra.glue.GlueTask;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * {@code DownloadGlue}: the GLUE tasks from the files the GLUE download script ({@code download_glue_data.py})
 * fetches, each verified against the SHA-256 Hugging Face's {@code datasets} records for it ({@code glue}'s
 * {@code dataset_infos.json}), laid out as the distribution is: {@code <output_dir>/<Task>/train.tsv, dev.tsv,
 * test.tsv}. A task's zip is read whole (every entry's CRC) and must hold the task's splits before its folder
 * appears, by one rename; MRPC is built from Microsoft's files and GLUE's dev ids as the script builds it, and
 * GLUE's diagnostic set (AX.tsv) goes into the MNLI folder as {@code diagnostic.tsv}, where Google's code reads it.
 */
public final class DownloadGlue extends VerifiedDownloadJob {

  static final String SITE = "https://dl.fbaipublicfiles.com";

  /** Each file and its SHA-256, by file name under {@link #SITE}. */
  public static final Map<String, Checksum> OFFICIAL_SHA256 = Map.ofEntries(
      Map.entry("glue/data/CoLA.zip", sha("f212fcd832b8f7b435fb991f101abf89f96b933ab400603bf198960dfc32cbff")),
      Map.entry("glue/data/SST-2.zip", sha("d67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa")),
      Map.entry("glue/data/QQP-clean.zip", sha("40e7c862c04eb26ee04b67fd900e76c45c6ba8e6d8fab4f8f1f8072a1a3fbae0")),
      Map.entry("glue/data/STS-B.zip", sha("e60a6393de5a8b5b9bac5020a1554b54e3691f9d600b775bd131e613ac179c85")),
      Map.entry("glue/data/MNLI.zip", sha("e7c1d896d26ed6caf700110645df426cc2d8ebf02a5ab743d5a5c68ac1c83633")),
      Map.entry("glue/data/QNLIv2.zip", sha("e634e78627a29adaecd4f955359b22bf5e70f2cbd93b493f2d624138a0c0e5f5")),
      Map.entry("glue/data/RTE.zip", sha("6bf86de103ecd335f3441bd43574d23fef87ecc695977a63b82d5efb206556ee")),
      Map.entry("glue/data/WNLI.zip", sha("ae0e8e4d16f4d46d4a0a566ec7ecceccfd3fbfaa4a7a4b4e02848c0f2561ac46")),
      Map.entry("glue/data/AX.tsv", sha("0e13510b1bb14436ff7e2ee82338f0efb0133ecf2e73507a697dc210db3f05fd")),
      Map.entry("glue/data/mrpc_dev_ids.tsv",
          sha("971d7767d81b997fd9060ade0ec23c4fc31cbb226a55d1bd4a1bac474eb81dc7")),
      Map.entry("senteval/senteval_data/msr_paraphrase_train.txt",
          sha("60a9b09084528f0673eedee2b69cb941920f0b8cd0eeccefc464a98768457f89")),
      Map.entry("senteval/senteval_data/msr_paraphrase_test.txt",
          sha("a04e271090879aaba6423d65b94950c089298587d9c084bf9cd7439bd785f784")));

  /** The zip of every task but MRPC, as the GLUE script names them (QQP and QNLI in their later versions). */
  static final Map<GlueTask, String> ZIPS = Map.of(GlueTask.COLA, "glue/data/CoLA.zip",
      GlueTask.SST2, "glue/data/SST-2.zip", GlueTask.QQP, "glue/data/QQP-clean.zip",
      GlueTask.STSB, "glue/data/STS-B.zip", GlueTask.MNLI, "glue/data/MNLI.zip",
      GlueTask.QNLI, "glue/data/QNLIv2.zip", GlueTask.RTE, "glue/data/RTE.zip", GlueTask.WNLI, "glue/data/WNLI.zip");

  static final String MRPC_TRAIN = "senteval/senteval_data/msr_paraphrase_train.txt";
  static final String MRPC_TEST = "senteval/senteval_data/msr_paraphrase_test.txt";
  static final String MRPC_DEV_IDS = "glue/data/mrpc_dev_ids.tsv";
  /** GLUE's diagnostic set, predicted with the MNLI model; kept as MNLI/diagnostic.tsv, where Google reads it. */
  static final String DIAGNOSTIC = "glue/data/AX.tsv";

  private static Checksum sha(String hex) {
    return Checksum.sha256(hex);
  }

  public DownloadGlue() {
    super(OFFICIAL_SHA256);
  }

  /** @param checksums the digest each file must have, by its path under the site */
  public DownloadGlue(PrintStream out, DownloadSettings patience, Supplier<Mirror> mirror,
      Map<String, Checksum> checksums) {
    super(out, patience, mirror, checksums);
  }

  @Override
  public String name() {
    return "DownloadGlue";
  }

  @Override
  public String description() {
    return "the GLUE tasks' TSV files (CoLA, SST-2, MRPC, STS-B, QQP, MNLI, QNLI, RTE, WNLI), verified by SHA-256";
  }

  /** The tasks {@code DownloadGlue} fetches and where to. */
  record Settings(
      @Flag(value = "comma-separated task names (cola, sst-2, mrpc, sts-b, qqp, mnli, qnli, rte, wnli) or all",
          defaultValue = "all")
      List<String> tasks,
      @Flag(value = "folder for the task folders (CoLA/, SST-2/, ...) and downloads/ (the files as fetched)",
          defaultValue = "data/glue")
      Path outputDir,
      Overwrite overwrite,
      List<GlueTask> chosen) { // derived from tasks

    Settings {
      if (outputDir == null) {
        throw new UsageException("--output_dir is required");
      }
      chosen = tasks.size() == 1 && tasks.get(0).equalsIgnoreCase("all") ? List.of(GlueTask.values())
          : tasks.stream().map(GlueTask::parse).distinct().toList();
      if (chosen.isEmpty()) {
        throw new UsageException("--tasks names no task");
      }
    }
  }

  static Flags flags() {
    return Flags.forJob("DownloadGlue", "downloads the GLUE tasks from the files the GLUE download script fetches "
            + "(dl.fbaipublicfiles.com; MRPC from SentEval's copy of Microsoft's files and GLUE's dev ids), checks "
            + "each against the SHA-256 Hugging Face datasets publishes for it, checks every zip entry's CRC and "
            + "that the task's train/dev/test files are there, and lays the tasks out as the GLUE distribution: "
            + "<output_dir>/<Task>/*.tsv. Interrupted downloads resume; finished tasks are kept. ELECTRA_MIRROR "
            + "redirects every file")
        .example("./electra DownloadGlue")
        .example("./electra DownloadGlue --tasks=mrpc,rte,sts-b --output_dir=data/glue")
        .record(Settings.class);
  }

  @Override
  public void run(String[] args) throws IOException, InterruptedException {
    Settings settings = flags().parse(args).record(Settings.class);
    // a task folder already there is kept; a partial download is resumed
    Downloader downloader = start(settings.outputDir(), settings.overwrite());
    List<Path> done = new ArrayList<>();
    for (GlueTask task : settings.chosen()) {
      Path folder = settings.outputDir().resolve(task.folder());
      if (complete(folder, task)) {
        out.println(folder + ": already there");
      } else if (task == GlueTask.MRPC) {
        buildMrpc(downloader, settings.outputDir(), folder);
      } else {
        Path zip = fetch(downloader, settings.outputDir(), ZIPS.get(task));
        unpack(zip, task, folder);
      }
      Path diagnostic = GlueData.file(folder, GlueData.DIAGNOSTIC);
      if (task == GlueTask.MNLI && !Files.isRegularFile(diagnostic)) {
        Files.copy(fetch(downloader, settings.outputDir(), DIAGNOSTIC), diagnostic);
      }
      done.add(folder);
    }
    printVerified("GLUE tasks (verified):", done);
  }

  /** The files a task's zip must hold: train, the dev split(s), the test split(s) (the diagnostic set comes apart). */
  static List<String> expectedFiles(GlueTask task) {
    List<String> splits = new ArrayList<>(List.of("train"));
    splits.addAll(task.devSplits());
    splits.addAll(task.testSubmissions().keySet());
    splits.remove(GlueData.DIAGNOSTIC);
    return splits.stream().map(s -> s + ".tsv").toList();
  }

  private static boolean complete(Path folder, GlueTask task) {
    return expectedFiles(task).stream().allMatch(f -> Files.isRegularFile(folder.resolve(f)));
  }

  private Path fetch(Downloader downloader, Path outputDir, String file) throws IOException, InterruptedException {
    return download(downloader, file, URI.create(SITE + "/" + file),
        outputDir.resolve("downloads").resolve(file.substring(file.lastIndexOf('/') + 1)));
  }

  /**
   * Extracts the task's folder from its zip (whatever the zip calls it: QNLIv2.zip holds QNLI/) into a hidden
   * folder, checks it, and renames it into place.
   */
  static void unpack(Path zip, GlueTask task, Path folder) throws IOException {
    Path staging = folder.resolveSibling("." + task.folder() + ".unpacking");
    deleteTree(staging);
    Files.createDirectories(staging);
    String root = null;
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        String name = e.getName();
        if (name.startsWith("__MACOSX/")) {
          continue;
        }
        int slash = name.indexOf('/');
        if (slash <= 0) {
          throw new IOException(zip + ": entry " + name + " is not inside a task folder");
        }
        if (root == null) {
          root = name.substring(0, slash);
        } else if (!root.equals(name.substring(0, slash))) {
          throw new IOException(zip + ": entries of two folders, " + root + " and " + name.substring(0, slash));
        }
        Path target = staging.resolve(name.substring(slash + 1)).normalize();
        if (!target.startsWith(staging)) {
          throw new IOException(zip + ": entry " + name + " points outside its folder");
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING); // ZipInputStream checks each entry's CRC
        }
      }
    } catch (java.util.zip.ZipException e) {
      deleteTree(staging);
      Files.deleteIfExists(zip);
      throw new IOException(zip + " is not a sound zip (" + e.getMessage() + "); deleted, run again to fetch it anew",
          e);
    }
    List<String> missing = expectedFiles(task).stream().filter(f -> !Files.isRegularFile(staging.resolve(f)))
        .toList();
    if (!missing.isEmpty()) {
      deleteTree(staging);
      throw new IOException(zip + " lacks " + task.folder() + "'s " + missing);
    }
    Files.move(staging, folder, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * MRPC as the GLUE script builds it: Microsoft's training file split into train.tsv and dev.tsv by GLUE's dev
   * ids, and the test file with an index column instead of the quality.
   */
  private void buildMrpc(Downloader downloader, Path outputDir, Path folder)
      throws IOException, InterruptedException {
    List<String> train = Files.readAllLines(fetch(downloader, outputDir, MRPC_TRAIN), StandardCharsets.UTF_8);
    List<String> test = Files.readAllLines(fetch(downloader, outputDir, MRPC_TEST), StandardCharsets.UTF_8);
    Set<String> devIds = new HashSet<>();
    for (String line : Files.readAllLines(fetch(downloader, outputDir, MRPC_DEV_IDS), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        devIds.add(String.join("\t", Arrays.copyOf(line.strip().split("\t"), 2)));
      }
    }
    Path staging = folder.resolveSibling(".MRPC.building");
    deleteTree(staging);
    Files.createDirectories(staging);
    String header = train.get(0);
    int inDev = 0;
    try (BufferedWriter trainOut = Files.newBufferedWriter(staging.resolve("train.tsv"), StandardCharsets.UTF_8);
        BufferedWriter devOut = Files.newBufferedWriter(staging.resolve("dev.tsv"), StandardCharsets.UTF_8)) {
      trainOut.write(header + "\n");
      devOut.write(header + "\n");
      for (String row : train.subList(1, train.size())) {
        String[] f = mrpcRow(row, MRPC_TRAIN);
        if (f == null) {
          continue;
        }
        boolean dev = devIds.contains(f[1] + "\t" + f[2]);
        inDev += dev ? 1 : 0;
        (dev ? devOut : trainOut).write(String.join("\t", f) + "\n");
      }
    }
    if (inDev != devIds.size()) {
      deleteTree(staging);
      throw new IOException(MRPC_TRAIN + " holds " + inDev + " of GLUE's " + devIds.size() + " MRPC dev pairs");
    }
    try (BufferedWriter testOut = Files.newBufferedWriter(staging.resolve("test.tsv"), StandardCharsets.UTF_8)) {
      testOut.write("index\t#1 ID\t#2 ID\t#1 String\t#2 String\n");
      int index = 0;
      for (String row : test.subList(1, test.size())) {
        String[] f = mrpcRow(row, MRPC_TEST);
        if (f != null) {
          testOut.write(index++ + "\t" + f[1] + "\t" + f[2] + "\t" + f[3] + "\t" + f[4] + "\n");
        }
      }
    }
    Files.move(staging, folder, StandardCopyOption.ATOMIC_MOVE);
    out.println(folder + ": " + (train.size() - 1 - inDev) + " train, " + inDev + " dev pairs");
  }

  /** Quality, #1 ID, #2 ID, #1 String, #2 String; null for a blank line; a malformed row is an error. */
  private static String[] mrpcRow(String row, String file) throws IOException {
    if (row.isBlank()) {
      return null;
    }
    String[] f = row.split("\t", -1);
    if (f.length != 5) {
      throw new IOException(file + ": a row of " + f.length + " fields, not MRPC's 5: " + row);
    }
    return f;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
