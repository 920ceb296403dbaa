package electra.data;

import java.net.URI;

/**
 * The reference files jobs read when given no data of their own, each known by where it is published and the
 * SHA-256 of the published bytes, and by its name and SHA-256 in a developer checkout's {@code shared/data} folder,
 * which holds the same content (for SQuAD, gzipped). Identities are those recorded in {@code shared/data/README.md}.
 */
public enum SampleFile {

  /** The uncased English BERT WordPiece vocabulary (30522 entries) that every released ELECTRA model uses. */
  BERT_VOCABULARY("the bert-base-uncased vocabulary",
      "https://huggingface.co/bert-base-uncased/resolve/main/vocab.txt",
      "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
      "vocab/bert-base-uncased-vocab.txt",
      "vocab/bert-base-uncased-vocab.txt",
      "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"),

  /** The official SQuAD v1.1 dev set: 48 articles, 10570 questions. */
  SQUAD_DEV_V1_1("the SQuAD v1.1 dev set",
      SampleFile.SQUAD_SITE + "/dev-v1.1.json",
      "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9",
      "squad/dev-v1.1.json",
      "squad/dev-v1.1.json.gz",
      "5ef5752d50566ab538501116de1508326eefb6bf70026def7915309f30822727"),

  /**
   * 206 pages (106 articles) of a real English Wikipedia export (MediaWiki XML, one bzip2 stream, 1.7 MB), as
   * gensim keeps it for its tests. A commit-pinned file, not the first streams of the latest dump: every user and
   * the checkout's copy then ingest the same bytes, verified by one SHA-256, and the file cannot change or vanish
   * with the monthly dumps.
   */
  WIKIPEDIA_SAMPLE("the Wikipedia sample",
      "https://raw.githubusercontent.com/piskvorky/gensim/37f90ec121eb7cd401448a947e80953e0c53ccdc/gensim/test/"
          + "test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
      "a53f4648dec40467ebdcbc7a1307eddb51fe6e28e9309f6ebde81ba0d04bea2d",
      "wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
      "wikipedia/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2",
      "a53f4648dec40467ebdcbc7a1307eddb51fe6e28e9309f6ebde81ba0d04bea2d");

  /** The folder that serves the official SQuAD files. */
  public static final String SQUAD_SITE = "https://rajpurkar.github.io/SQuAD-explorer/dataset";

  private final String description;
  private final URI url;
  private final Checksum sha256;
  private final String cachePath;
  private final String sharedPath;
  private final Checksum sharedSha256;

  SampleFile(String description, String url, String sha256, String cachePath, String sharedPath,
      String sharedSha256) {
    this.description = description;
    this.url = URI.create(url);
    this.sha256 = Checksum.sha256(sha256);
    this.cachePath = cachePath;
    this.sharedPath = sharedPath;
    this.sharedSha256 = Checksum.sha256(sharedSha256);
  }

  /** For messages: {@code the SQuAD v1.1 dev set}. */
  public String description() {
    return description;
  }

  /** Where the file is published. */
  public URI url() {
    return url;
  }

  /** The published file's digest. */
  public Checksum sha256() {
    return sha256;
  }

  /** The downloaded copy's path under the cache folder. */
  public String cachePath() {
    return cachePath;
  }

  /** The copy's path under a checkout's {@code shared/data}. */
  public String sharedPath() {
    return sharedPath;
  }

  /** The digest of the copy in {@code shared/data}. */
  public Checksum sharedSha256() {
    return sharedSha256;
  }
}
