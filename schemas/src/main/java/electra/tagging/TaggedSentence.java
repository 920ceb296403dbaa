package electra.tagging;

import java.util.List;

/** One sentence of a CoNLL file: its words and their tags (null when the file has no tag column). */
public record TaggedSentence(List<String> words, List<String> tags) {

  public TaggedSentence {
    words = List.copyOf(words);
    tags = tags == null ? null : List.copyOf(tags);
    if (tags != null && tags.size() != words.size()) {
      throw new IllegalArgumentException(words.size() + " words but " + tags.size() + " tags");
    }
  }
}
