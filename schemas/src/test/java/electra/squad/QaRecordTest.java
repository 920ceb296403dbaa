package electra.squad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import electra.proto.Example;
import electra.records.PretrainingExample;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The tf.Example form of SQuAD features: names, unique ids, round trips and deterministic bytes. */
class QaRecordTest {

  private static final QaFeaturizer FEATURIZER = new QaFeaturizer(TinyVocab.tokenizer(), QaFeaturizerTest.SMALL);

  @Test
  void trainingRecordsHoldTheBertFeatureNamesAndReadBack() {
    QaFeature second = FEATURIZER.features(QaFeaturizerTest.THE_DOG, true).get(1);
    QaRecord record = QaRecord.of(second, 7);
    assertEquals(7001, record.uniqueId());
    Example example = record.toExample();
    assertEquals(List.of("end_positions", "example_index", "input_ids", "input_mask", "is_impossible",
        "segment_ids", "start_positions", "unique_ids"), List.copyOf(example.getFeatures().getFeatureMap().keySet()));
    assertEquals(List.of(7001L), example.getFeatures().getFeatureMap().get("unique_ids").getInt64List().getValueList());
    assertEquals(List.of(7L), example.getFeatures().getFeatureMap().get("start_positions").getInt64List()
        .getValueList());
    QaRecord back = QaRecord.fromBytes(record.toBytes());
    assertEquals(record, back);
    assertEquals(1, back.windowIndex());
    assertArrayEquals(second.inputIds(), back.inputs().inputIds());
    assertEquals(Optional.of(new QaFeature.Label(7, 8, false)), back.label());
  }

  @Test
  void predictionRecordsHaveNoLabels() {
    QaRecord record = QaRecord.of(FEATURIZER.features("q", "Where?", QaFeaturizerTest.CONTEXT).get(2), 12);
    assertEquals(List.of("example_index", "input_ids", "input_mask", "segment_ids", "unique_ids"),
        List.copyOf(record.toExample().getFeatures().getFeatureMap().keySet()));
    QaRecord back = QaRecord.fromBytes(record.toBytes());
    assertEquals(12002, back.uniqueId());
    assertEquals(Optional.empty(), back.label());
  }

  @Test
  void bytesAreProtobufsDeterministicSerialization() throws IOException {
    QaRecord record = QaRecord.of(FEATURIZER.features(QaFeaturizerTest.THE_DOG, true).get(0), 3);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    record.toExample().writeTo(out);
    out.flush();
    assertArrayEquals(bytes.toByteArray(), record.toBytes());
  }

  @Test
  void uniqueIdsAllowAThousandWindowsPerQuestion() {
    PretrainingExample inputs = new PretrainingExample(new int[] {2, 3}, new int[] {1, 1}, new int[2]);
    assertEquals(5999, new QaRecord(5, 999, inputs, Optional.empty()).uniqueId());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new QaRecord(5, 1000, inputs, Optional.empty()));
    assertTrue(e.getMessage().contains("at most 1000 windows"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new QaRecord(-1, 0, inputs, Optional.empty()));
  }
}
