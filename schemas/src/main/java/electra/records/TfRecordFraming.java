package electra.records;

import java.util.zip.CRC32C;

/**
 * The TFRecord frame, as TensorFlow's {@code RecordWriter} writes it:
 * <pre>
 *   uint64 length        (little-endian)
 *   uint32 masked_crc32c(length bytes)
 *   byte   data[length]
 *   uint32 masked_crc32c(data)
 * </pre>
 */
final class TfRecordFraming {

  /** Length field plus its CRC. */
  static final int HEADER_BYTES = 12;
  static final int LENGTH_BYTES = 8;
  static final int CRC_BYTES = 4;

  /** TensorFlow's mask constant (crc32c.h {@code kMaskDelta}). */
  private static final int MASK_DELTA = 0xa282ead8;

  private TfRecordFraming() {}

  /**
   * TensorFlow masks stored CRCs because a CRC computed over data that itself contains CRCs is weak;
   * rotate right by 15 bits and add a constant.
   */
  static int mask(int crc) {
    return ((crc >>> 15) | (crc << 17)) + MASK_DELTA;
  }

  static int maskedCrc32c(byte[] bytes, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(bytes, offset, length);
    return mask((int) crc.getValue());
  }
}
