package electra.pipelines.vocab;

import electra.beam.OverwriteOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/** Flags of {@code BuildVocab}. */
public interface BuildVocabOptions extends OverwriteOptions {

  @Description("Corpus files: a file, a glob or a folder (every file in it); local, gs:// or s3://")
  @Validation.Required
  String getInput();

  void setInput(String value);

  @Description("What the corpus files hold, as the ingest job reading them: text (IngestText: documents separated by"
      + " blank lines, .jsonl with a \"text\" field), books (IngestBooks: one book per file) or wikipedia (IngestWiki:"
      + " XML dumps)")
  @Default.String("text")
  String getInputFormat();

  void setInputFormat(String value);

  @Description("Output folder: vocab.txt, vocab_info.json (settings, corpus, fingerprint) and word_counts/")
  @Validation.Required
  String getOutput();

  void setOutput(String value);

  @Description("Entries of the vocabulary, special tokens and alphabet included (fewer when the corpus runs out of"
      + " pairs to merge)")
  @Default.Integer(30522)
  int getVocabSize();

  void setVocabSize(int value);

  @Description("Words occurring fewer times take no part in merges, and no rarer pair is merged; their characters"
      + " still enter the alphabet")
  @Default.Long(2)
  long getMinFrequency();

  void setMinFrequency(long value);

  @Description("Lower-case and strip accents before counting words (an uncased vocabulary); false keeps case and"
      + " accents: ingest, pre-train and fine-tune with the same --do_lower_case")
  @Default.Boolean(true)
  boolean getDoLowerCase();

  void setDoLowerCase(boolean value);
}
