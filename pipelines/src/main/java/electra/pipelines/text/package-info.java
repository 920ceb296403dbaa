/**
 * Plain-Java text extraction for the pre-training corpora, called by the Beam {@code DoFn}s: MediaWiki dumps
 * to articles ({@link electra.pipelines.text.WikiDumpReader}), wikitext to paragraphs
 * ({@link electra.pipelines.text.WikiTextCleaner}), books and other text files to documents
 * ({@link electra.pipelines.text.TextFormat}), and paragraphs to sentences
 * ({@link electra.pipelines.text.SentenceSplitter}). Nothing here depends on Beam.
 */
package electra.pipelines.text;
