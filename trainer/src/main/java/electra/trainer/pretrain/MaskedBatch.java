package electra.trainer.pretrain;

/**
 * One masked micro-batch as the training graph is fed (row-major int arrays): the masked ids the generator
 * reads, the input mask and segment ids, and for each of N slots per sequence the masked position, its original
 * id and a weight (1 for a used slot, 0 for padding slots).
 */
public record MaskedBatch(int batch, int length, int maxPredictions, int[] maskedInputIds, int[] inputMask,
    int[] segmentIds, int[] maskedLmPositions, int[] maskedLmIds, float[] maskedLmWeights) {}
