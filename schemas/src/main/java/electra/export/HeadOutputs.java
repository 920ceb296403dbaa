package electra.export;

import electra.squad.AnswerDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One run of a QA head over a batch of windows, its outputs read by role ({@link QaHead#outputRoles()}) as flat
 * row-major arrays: from a training session or from an exported SavedModel, whichever engine ran it.
 */
public interface HeadOutputs {

  float[] floats(String role);

  int[] ints(String role);

  /**
   * The outputs of {@code head} over {@code rows} windows as the decoder reads them, one per window. A run may be cut
   * shorter than the windows' {@code length}; span logits are then padded with -infinity, which no decoder picks,
   * and beams only ever point at the run's positions.
   */
  static List<AnswerDecoder.WindowOutput> windows(QaHead head, HeadOutputs outputs, int rows, int length) {
    List<AnswerDecoder.WindowOutput> out = new ArrayList<>(rows);
    if (head == QaHead.SIMPLE) {
      float[] start = outputs.floats(ExportMetadata.START_LOGITS);
      float[] end = outputs.floats(ExportMetadata.END_LOGITS);
      int used = start.length / rows;
      for (int i = 0; i < rows; i++) {
        out.add(AnswerDecoder.WindowLogits.of(padded(start, i * used, used, length),
            padded(end, i * used, used, length)));
      }
      return out;
    }
    float[] startLogProb = outputs.floats(ExportMetadata.START_TOP_LOG_PROBS);
    int[] startIndex = outputs.ints(ExportMetadata.START_TOP_INDEX);
    float[] endLogProb = outputs.floats(ExportMetadata.END_TOP_LOG_PROBS);
    int[] endIndex = outputs.ints(ExportMetadata.END_TOP_INDEX);
    float[] answerable = outputs.floats(ExportMetadata.ANSWERABLE_LOGIT);
    int k = startIndex.length / rows;
    for (int i = 0; i < rows; i++) {
      int[][] ends = new int[k][];
      float[][] endLogProbs = new float[k][];
      for (int j = 0; j < k; j++) {
        int from = (i * k + j) * k;
        ends[j] = Arrays.copyOfRange(endIndex, from, from + k);
        endLogProbs[j] = Arrays.copyOfRange(endLogProb, from, from + k);
      }
      out.add(new AnswerDecoder.WindowBeams(Arrays.copyOfRange(startIndex, i * k, (i + 1) * k),
          Arrays.copyOfRange(startLogProb, i * k, (i + 1) * k), ends, endLogProbs, answerable[i]));
    }
    return out;
  }

  private static float[] padded(float[] values, int from, int used, int length) {
    float[] row = new float[length];
    System.arraycopy(values, from, row, 0, used);
    Arrays.fill(row, used, length, Float.NEGATIVE_INFINITY);
    return row;
  }
}
