package electra.records;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import electra.proto.Example;
import electra.proto.Feature;
import electra.proto.Features;
import electra.proto.Int64List;
import org.junit.jupiter.api.Test;

/** Our tf.Example classes against bytes written out by hand from the protobuf wire format. */
class TfExampleBytesTest {

  /** Example{features{feature{"ids": int64_list{1, 2, 300}}}}, field by field. A tag is (field << 3) | wire type 2. */
  private static final byte[] IDS_1_2_300 = {
      0x0A, 0x11,                   // Example.features: field 1, 17 bytes
      0x0A, 0x0F,                   //   Features.feature map entry: field 1, 15 bytes
      0x0A, 0x03, 'i', 'd', 's',    //     entry key: field 1, 3 bytes, "ids"
      0x12, 0x08,                   //     entry value (a Feature): field 2, 8 bytes
      0x1A, 0x06,                   //       Feature.int64_list: field 3, 6 bytes
      0x0A, 0x04,                   //         Int64List.value, packed: field 1, 4 bytes of varints
      0x01, 0x02,                   //           1, 2: one byte each
      (byte) 0xAC, 0x02,            //           300 = 0b10_0101100: low 7 bits 0x2C with continuation bit, then 0x02
  };

  @Test
  void int64FeatureSerializesToTheHandWrittenBytes() throws Exception {
    Example example = Example.newBuilder()
        .setFeatures(Features.newBuilder().putFeature("ids",
            Feature.newBuilder().setInt64List(Int64List.newBuilder().addValue(1).addValue(2).addValue(300)).build()))
        .build();

    assertArrayEquals(IDS_1_2_300, example.toByteArray());
    assertEquals(example, Example.parseFrom(IDS_1_2_300));
  }
}
