package electra.tokenization;

import java.util.Arrays;

/** A growable list of primitive ints, so token ids are collected without boxing. */
final class IntArray {

  private int[] values = new int[32];
  private int size;

  void add(int value) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = value;
  }

  int size() {
    return size;
  }

  /** Forgets everything from {@code newSize} on: WordPiece takes back the pieces of a word that became [UNK]. */
  void truncate(int newSize) {
    size = newSize;
  }

  int[] toArray() {
    return Arrays.copyOf(values, size);
  }
}
