package electra.pipelines;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The WordPiece flags of every job that tokenizes text into records. */
public interface TokenizerOptions extends PipelineOptions {

  @Description("WordPiece vocabulary: a vocab.txt path, or bert-base-uncased")
  @Default.String("bert-base-uncased")
  String getVocabFile();

  void setVocabFile(String value);

  @Description("Lower-case and strip accents before WordPiece (uncased vocabularies)")
  @Default.Boolean(true)
  boolean getDoLowerCase();

  void setDoLowerCase(boolean value);

  @Description("Words longer than this many characters become [UNK] (100 as NVIDIA/Hugging Face, 200 as Google)")
  @Default.Integer(100)
  int getMaxInputCharsPerWord();

  void setMaxInputCharsPerWord(int value);
}
