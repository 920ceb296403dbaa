package electra.pipelines.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import electra.cli.HelpRequested;
import electra.cli.Job;
import electra.cli.UsageException;
import electra.data.Checksum;
import electra.data.ChecksumMismatchException;
import electra.data.DownloadFixtures;
import electra.data.FileServer;
import electra.data.Mirror;
import electra.pipelines.text.SharedData;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

class DownloadJobsTest extends LocalServerTest {

  static final byte[] DUMP = DownloadFixtures.randomBytes(200_000, 11);
  static final String OTHER_SHA1 = "0123456789abcdef0123456789abcdef01234567";


  static String hex(Checksum.Algorithm algorithm, byte[] bytes) {
    return DownloadFixtures.checksum(algorithm, bytes).hex();
  }

  /** A checksum list as Wikimedia publishes it: dated names, two spaces, several files. */
  static String sums(String date, String hexOfDump, String kind) {
    return OTHER_SHA1 + "  enwiki-" + date + "-pages-articles-multistream-index.txt.bz2\n"
        + hexOfDump + "  enwiki-" + date + "-" + kind + "\n"
        + OTHER_SHA1 + "  enwiki-" + date + "-pages-articles1.xml-p1p41242.bz2\n";
  }

  void runWiki(String... args) throws Exception {
    new DownloadWiki(new PrintStream(out, true, StandardCharsets.UTF_8), DownloadFixtures.FAST, () -> Mirror.NONE)
        .run(args);
  }

  @Test
  void downloadWikiLatestFindsTheDatedLineOfTheLatestSums() throws Exception {
    server.serve("/enwiki/latest/enwiki-latest-pages-articles.xml.bz2", DUMP)
        .serve("/enwiki/latest/enwiki-latest-sha1sums.txt", sums("20240601",
            hex(Checksum.Algorithm.SHA1, DUMP), "pages-articles.xml.bz2").getBytes(StandardCharsets.UTF_8));
    Path output = dir.resolve("wiki");
    runWiki("--base_url=" + server.base() + "/", "--output_dir=" + output, "--multistream=false");
    Path file = output.resolve("enwiki-latest-pages-articles.xml.bz2");
    assertArrayEquals(DUMP, Files.readAllBytes(file));
    assertTrue(out().contains(server.base() + "/enwiki/latest/enwiki-latest-sha1sums.txt:"
        + " enwiki-20240601-pages-articles.xml.bz2 has sha1:" + hex(Checksum.Algorithm.SHA1, DUMP)), out());
    assertTrue(out().contains("sha1:" + hex(Checksum.Algorithm.SHA1, DUMP) + " (verified)"), out());
    assertTrue(out().contains("Next: ./electra IngestWiki --input=" + file + " --output=runs/wikicorpus_en"), out());
    assertEquals(List.of("/enwiki/latest/enwiki-latest-sha1sums.txt",
            "/enwiki/latest/enwiki-latest-pages-articles.xml.bz2"),
        server.requests().stream().map(FileServer.Request::path).toList());
  }

  @Test
  void downloadWikiThroughAMirrorAsksForTheDumpSitesPaths() throws Exception {
    String folder = "/dumps.wikimedia.org/enwiki/latest/";
    server.serve(folder + "enwiki-latest-sha1sums.txt", sums("20240601", hex(Checksum.Algorithm.SHA1, DUMP),
            "pages-articles-multistream.xml.bz2").getBytes(StandardCharsets.UTF_8))
        .serve(folder + "enwiki-latest-pages-articles-multistream.xml.bz2", DUMP);
    new DownloadWiki(new PrintStream(out, true, StandardCharsets.UTF_8), DownloadFixtures.FAST,
        () -> Mirror.parse(server.base())).run(new String[] {"--output_dir=" + dir});
    assertArrayEquals(DUMP, Files.readAllBytes(dir.resolve("enwiki-latest-pages-articles-multistream.xml.bz2")));
    assertEquals(List.of(folder + "enwiki-latest-sha1sums.txt", folder + "enwiki-latest-pages-articles-multistream"
        + ".xml.bz2"), server.requests().stream().map(FileServer.Request::path).toList());
  }

  @Test
  void fetchedDumpsAreTheFinishedDumpsOfTheDefaultFoldersNewestFirst() throws IOException {
    assertEquals(List.of(), DownloadWiki.fetchedDumps(dir), "no data/download folder");
    Path en = Files.createDirectories(dir.resolve("data/download/wikicorpus_en"));
    Path de = Files.createDirectories(dir.resolve("data/download/wikicorpus_de"));
    Path older = Files.write(en.resolve("enwiki-latest-pages-articles-multistream.xml.bz2"), DUMP);
    Path newer = Files.write(de.resolve("dewiki-20240601-pages-articles.xml.bz2"), DUMP);
    Files.setLastModifiedTime(older, FileTime.fromMillis(1_000_000));
    Files.setLastModifiedTime(newer, FileTime.fromMillis(2_000_000));
    Files.write(en.resolve("enwiki-20240701-pages-articles-multistream.xml.bz2.part"), DUMP);
    Files.write(en.resolve("enwiki-latest-sha1sums.txt"), DUMP);
    Files.write(Files.createDirectories(dir.resolve("data/download/books")).resolve(
        "frwiki-latest-pages-articles.xml.bz2"), DUMP);
    assertEquals(List.of(dir.resolve("data/download/wikicorpus_de/dewiki-20240601-pages-articles.xml.bz2"),
        dir.resolve("data/download/wikicorpus_en/enwiki-latest-pages-articles-multistream.xml.bz2")),
        DownloadWiki.fetchedDumps(dir));
  }

  @Test
  void downloadWikiOfADateFallsBackToMd5Sums() throws Exception {
    String folder = "/dewiki/20240601/";
    server.serve(folder + "dewiki-20240601-pages-articles-multistream.xml.bz2", DUMP)
        .serve(folder + "dewiki-20240601-md5sums.txt", sums("20240601", hex(Checksum.Algorithm.MD5, DUMP),
            "pages-articles-multistream.xml.bz2").replace("enwiki", "dewiki").getBytes(StandardCharsets.UTF_8));
    runWiki("--base_url=" + server.base(), "--language=de", "--dump_date=20240601", "--output_dir=" + dir);
    assertArrayEquals(DUMP, Files.readAllBytes(dir.resolve("dewiki-20240601-pages-articles-multistream.xml.bz2")));
    assertEquals(List.of(folder + "dewiki-20240601-sha1sums.txt", folder + "dewiki-20240601-md5sums.txt",
            folder + "dewiki-20240601-pages-articles-multistream.xml.bz2"),
        server.requests().stream().map(FileServer.Request::path).toList());
  }

  @Test
  void downloadWikiRefusesADumpThatDoesNotMatchItsSums() {
    server.serve("/enwiki/latest/enwiki-latest-pages-articles.xml.bz2", DUMP)
        .serve("/enwiki/latest/enwiki-latest-sha1sums.txt",
            sums("20240601", OTHER_SHA1, "pages-articles.xml.bz2").getBytes(StandardCharsets.UTF_8));
    ChecksumMismatchException e = assertThrows(ChecksumMismatchException.class,
        () -> runWiki("--base_url=" + server.base(), "--output_dir=" + dir, "--multistream=false"));
    assertEquals(OTHER_SHA1, e.expected().hex());
    assertFalse(Files.exists(dir.resolve("enwiki-latest-pages-articles.xml.bz2")));
  }

  @Test
  void downloadWikiWithoutSumsFailsUnlessTold() throws Exception {
    server.serve("/enwiki/20240601/enwiki-20240601-pages-articles.xml.bz2", DUMP);
    IOException e = assertThrows(IOException.class,
        () -> runWiki("--base_url=" + server.base(), "--dump_date=20240601", "--output_dir=" + dir,
            "--multistream=false"));
    assertTrue(e.getMessage().startsWith("no checksum list for " + server.base()
        + "/enwiki/20240601/enwiki-20240601-pages-articles.xml.bz2"), e.getMessage());
    assertTrue(e.getMessage().contains("--skip_checksum"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("enwiki-20240601-pages-articles.xml.bz2")));

    runWiki("--base_url=" + server.base(), "--dump_date=20240601", "--output_dir=" + dir, "--skip_checksum",
        "--multistream=false");
    assertArrayEquals(DUMP, Files.readAllBytes(dir.resolve("enwiki-20240601-pages-articles.xml.bz2")));
    assertTrue(out().contains("(not verified: no checksum)"), out());
  }

  @Test
  void downloadWikiSaysWhenTheSumsListLacksTheDump() {
    server.serve("/enwiki/latest/enwiki-latest-sha1sums.txt",
        sums("20240601", OTHER_SHA1, "stub-articles.xml.gz").getBytes(StandardCharsets.UTF_8));
    IOException e = assertThrows(IOException.class,
        () -> runWiki("--base_url=" + server.base(), "--output_dir=" + dir, "--multistream=false"));
    assertEquals(server.base() + "/enwiki/latest/enwiki-latest-sha1sums.txt lists no"
        + " enwiki-latest-pages-articles.xml.bz2; the dump may still be in progress (try an earlier --dump_date) or"
        + " pass --skip_checksum to download it unverified", e.getMessage());
  }

  @Test
  void downloadWikiRejectsBadFlagsInOneLine() {
    UsageException date = assertThrows(UsageException.class, () -> runWiki("--dump_date=2024-06-01"));
    assertEquals("--dump_date must be 'latest' or YYYYMMDD (e.g. 20240601), got '2024-06-01'", date.getMessage());
    UsageException url = assertThrows(UsageException.class, () -> runWiki("--base_url=dumps.wikimedia.org"));
    assertEquals("--base_url: a base URL must look like https://host/path, got 'dumps.wikimedia.org'",
        url.getMessage());
  }

  @Test
  void wikiDefaultsAreTheLatestEnglishMultistreamDumpIntoAFolderNamedForItsLanguage() {
    DownloadWiki.Settings defaults = DownloadWiki.flags().parse().record(DownloadWiki.Settings.class);
    assertEquals(new WikiDump("en", WikiDump.LATEST, BaseUrl.parse("https://dumps.wikimedia.org"), true),
        defaults.dump());
    assertEquals(Path.of("data/download/wikicorpus_en"), defaults.outputDir());
    assertEquals(Path.of("data/download/wikicorpus_de"),
        DownloadWiki.flags().parse("--language= de").record(DownloadWiki.Settings.class).outputDir());
  }

  @Test
  void helpListsEveryFlagWithItsDefault() {
    String wiki = assertThrows(HelpRequested.class, () -> runWiki("--help")).getMessage();
    assertTrue(wiki.contains("--dump_date"), wiki);
    assertTrue(wiki.contains("(default: https://dumps.wikimedia.org)"), wiki);
    assertTrue(wiki.contains("--skip_checksum"), wiki);
    String squad = assertThrows(HelpRequested.class, () -> new DownloadSquad().run(new String[] {"--help"}))
        .getMessage();
    assertTrue(squad.contains("--version") && squad.contains("(default: all)"), squad);
  }

  @Test
  void wikiDumpLayout() {
    WikiDump dated = new WikiDump("en", "20240601", BaseUrl.parse("https://dumps.wikimedia.org/"), true);
    assertEquals("enwiki-20240601-pages-articles-multistream.xml.bz2", dated.fileName());
    assertEquals(URI.create("https://dumps.wikimedia.org/enwiki/20240601/enwiki-20240601-pages-articles-multistream.xml.bz2"),
        dated.fileUrl());
    assertEquals(List.of(URI.create("https://dumps.wikimedia.org/enwiki/20240601/enwiki-20240601-sha1sums.txt"),
        URI.create("https://dumps.wikimedia.org/enwiki/20240601/enwiki-20240601-md5sums.txt")), dated.checksumUrls());
    // A dated dump takes only its own date's line, never another dump's or the plain variant's.
    String list = sums("20240501", OTHER_SHA1, "pages-articles-multistream.xml.bz2")
        + sums("20240601", "ab".repeat(20), "pages-articles.xml.bz2")
        + "cd".repeat(20) + "  enwiki-20240601-pages-articles-multistream.xml.bz2\n";
    assertEquals(Optional.of(new WikiDump.Published("enwiki-20240601-pages-articles-multistream.xml.bz2",
        Checksum.sha1("cd".repeat(20)))), dated.findChecksum(list));
    WikiDump latest = new WikiDump("en", "latest", BaseUrl.parse("https://dumps.wikimedia.org"), false);
    assertEquals(Optional.of(new WikiDump.Published("enwiki-20240601-pages-articles.xml.bz2",
        Checksum.sha1("ab".repeat(20)))), latest.findChecksum(list));
    assertEquals(Optional.empty(), latest.findChecksum("xyz  enwiki-latest-pages-articles.xml.bz2\n"));
  }

  @Test
  void downloadSquadVerifiesTheRealDevSetAgainstItsOfficialSha256() throws Exception {
    byte[] dev;
    try (InputStream in = new GZIPInputStream(Files.newInputStream(SharedData.file("data/squad/dev-v1.1.json.gz")))) {
      dev = in.readAllBytes();
    }
    byte[] train = "{\"version\": \"1.1\", \"data\": []}".getBytes(StandardCharsets.UTF_8);
    // Through a mirror that keeps the official site's paths under its host name.
    String site = "/rajpurkar.github.io/SQuAD-explorer/dataset/";
    server.serve(site + "dev-v1.1.json", dev).serve(site + "train-v1.1.json", train);
    // The real training set is not available here: its expected digest is that of the stand-in served above.
    Map<String, Checksum> checksums = new HashMap<>(DownloadSquad.OFFICIAL_SHA256);
    checksums.put("train-v1.1.json", Checksum.sha256(hex(Checksum.Algorithm.SHA256, train)));
    new DownloadSquad(new PrintStream(out, true, StandardCharsets.UTF_8), DownloadFixtures.FAST,
        () -> Mirror.parse(server.base()), checksums).run(new String[] {"--version=1.1", "--output_dir=" + dir});
    assertArrayEquals(dev, Files.readAllBytes(dir.resolve("dev-v1.1.json")));
    assertArrayEquals(train, Files.readAllBytes(dir.resolve("train-v1.1.json")));
    assertTrue(out().contains("sha256:95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9 (verified)"),
        out());
    assertTrue(out().endsWith("SQuAD files (verified):\n  " + dir.resolve("train-v1.1.json") + "\n  "
        + dir.resolve("dev-v1.1.json") + "\n"), out());
  }

  @Test
  void squadVersionsAndTheirFiles() {
    assertEquals(List.of("train-v1.1.json", "dev-v1.1.json", "train-v2.0.json", "dev-v2.0.json"),
        DownloadSquad.files("all"));
    assertEquals(List.of("train-v2.0.json", "dev-v2.0.json"), DownloadSquad.files("2.0"));
    assertEquals(DownloadSquad.OFFICIAL_SHA256.keySet(), Set.copyOf(DownloadSquad.files("all")));
    UsageException e = assertThrows(UsageException.class, () -> DownloadSquad.files("3.0"));
    assertEquals("--version must be 1.1, 2.0 or all, got '3.0'", e.getMessage());
  }

  @Test
  void theJobsAreRegistered() {
    List<String> names = ServiceLoader.load(Job.class).stream().map(p -> p.get().name()).toList();
    assertTrue(names.containsAll(List.of("DownloadWiki", "DownloadSquad")), names.toString());
  }
}
