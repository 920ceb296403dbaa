package electra.trainer.finetune;

import electra.squad.QaFeature;
import java.util.List;

/**
 * A batch of SQuAD windows as flat row-major arrays ([size, length] for the inputs, [size] for the labels), the
 * form the graph is fed in. Windows without a label (prediction) get start = end = 0 and not impossible.
 */
public record Batch(int size, int length, int[] inputIds, int[] inputMask, int[] segmentIds, int[] startPositions,
    int[] endPositions, float[] isImpossible) {

  /** The one-window training view: model inputs and label. */
  public record Window(int[] inputIds, int[] inputMask, int[] segmentIds, int start, int end, boolean impossible) {

    public static Window of(QaFeature f) {
      QaFeature.Label label = f.label().orElse(new QaFeature.Label(0, 0, false));
      return new Window(f.inputIds(), f.inputMask(), f.segmentIds(), label.startPosition(), label.endPosition(),
          label.isImpossible());
    }
  }

  public static Batch of(List<Window> windows) {
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int size = windows.size();
    int length = windows.get(0).inputIds().length;
    int[] ids = new int[size * length];
    int[] mask = new int[size * length];
    int[] seg = new int[size * length];
    int[] starts = new int[size];
    int[] ends = new int[size];
    float[] impossible = new float[size];
    for (int i = 0; i < size; i++) {
      Window w = windows.get(i);
      if (w.inputIds().length != length) {
        throw new IllegalArgumentException("windows of " + length + " and " + w.inputIds().length + " tokens in one batch");
      }
      System.arraycopy(w.inputIds(), 0, ids, i * length, length);
      System.arraycopy(w.inputMask(), 0, mask, i * length, length);
      System.arraycopy(w.segmentIds(), 0, seg, i * length, length);
      starts[i] = w.start();
      ends[i] = w.end();
      impossible[i] = w.impossible() ? 1f : 0f;
    }
    return new Batch(size, length, ids, mask, seg, starts, ends, impossible);
  }

  public static Batch ofFeatures(List<QaFeature> features) {
    return of(features.stream().map(Window::of).toList());
  }
}
