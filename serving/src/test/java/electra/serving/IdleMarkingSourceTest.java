package electra.serving;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.io.UnboundedSource;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.io.kafka.KafkaRecordCoder;
import org.apache.beam.sdk.io.kafka.KafkaTimestampType;
import org.apache.beam.sdk.util.CoderUtils;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** The idle mark: where Kafka's reader has nothing, the wrapped reader emits a mark instead of "no data". */
class IdleMarkingSourceTest {

  private static KafkaRecord<byte[], byte[]> request(long offset, String json) {
    return new KafkaRecord<>("qa-requests", 0, offset, 1000 + offset, KafkaTimestampType.CREATE_TIME, null,
        ("id" + offset).getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8));
  }

  /** A Kafka reader that plays a script: a record, or null for "nothing right now". */
  private static final class ScriptedReader extends UnboundedSource.UnboundedReader<KafkaRecord<byte[], byte[]>> {
    private final List<KafkaRecord<byte[], byte[]>> script;
    private final UnboundedSource.CheckpointMark checkpoint = () -> { };
    private final long millisOnNothing;
    private int next;
    int calls;
    private KafkaRecord<byte[], byte[]> current;
    boolean closed;

    ScriptedReader(List<KafkaRecord<byte[], byte[]>> script) {
      this(script, 0);
    }

    /** {@code millisOnNothing}: how long "nothing right now" takes, like Kafka's reader waiting for records. */
    ScriptedReader(List<KafkaRecord<byte[], byte[]>> script, long millisOnNothing) {
      this.millisOnNothing = millisOnNothing;
      this.script = script;
    }

    @Override
    public boolean start() {
      return advance();
    }

    /** Without {@code millisOnNothing}, answers at once, also when there is nothing: like a reader not started yet. */
    @Override
    public boolean advance() {
      calls++;
      KafkaRecord<byte[], byte[]> r = next < script.size() ? script.get(next) : null;
      next++;
      if (r == null) {
        if (millisOnNothing > 0) {
          try {
            Thread.sleep(millisOnNothing);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return false;
      }
      current = r;
      return true;
    }

    @Override
    public KafkaRecord<byte[], byte[]> getCurrent() {
      if (current == null) {
        throw new NoSuchElementException();
      }
      return current;
    }

    @Override
    public Instant getCurrentTimestamp() {
      return new Instant(getCurrent().getTimestamp());
    }

    @Override
    public byte[] getCurrentRecordId() {
      return ("offset " + getCurrent().getOffset()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      closed = true;
    }

    @Override
    public Instant getWatermark() {
      return new Instant(42);
    }

    @Override
    public UnboundedSource.CheckpointMark getCheckpointMark() {
      return checkpoint;
    }

    @Override
    public UnboundedSource<KafkaRecord<byte[], byte[]>, ?> getCurrentSource() {
      throw new UnsupportedOperationException("the wrapper must answer this itself");
    }
  }

  @Test
  void aMarkTakesThePlaceOfEveryNoDataAndRecordsPassUnchanged() throws Exception {
    KafkaRecord<byte[], byte[]> a = request(7, "{\"id\":\"a\"}");
    KafkaRecord<byte[], byte[]> b = request(8, "{\"id\":\"b\"}");
    KafkaRecord<byte[], byte[]> c = request(9, "{\"id\":\"c\"}");
    List<KafkaRecord<byte[], byte[]>> script = new ArrayList<>();
    script.add(a);
    script.add(b);
    script.add(null);
    script.add(null);
    script.add(c);
    ScriptedReader kafka = new ScriptedReader(script);
    IdleMarkingSource source = new IdleMarkingSource(null, "test-job");
    IdleMarkingSource.Reader reader = new IdleMarkingSource.Reader(source, kafka);

    List<String> seen = new ArrayList<>();
    long t0 = System.nanoTime();
    assertTrue(reader.start());
    seen.add(describe(reader));
    for (int i = 0; i < 5; i++) {
      assertTrue(reader.advance(), "the wrapped reader never reports 'no data'");
      seen.add(describe(reader));
    }
    double elapsedMs = (System.nanoTime() - t0) / 1e6;
    assertEquals(List.of("request 7", "request 8", "mark", "mark", "request 9", "mark"), seen);
    // three instant "no data" answers became marks, each after the minimum poll interval: no busy loop
    assertTrue(elapsedMs >= 3 * 2, "elapsed " + elapsedMs + " ms");

    assertEquals(new Instant(42), reader.getWatermark(), "watermark is Kafka's");
    assertSame(kafka.getCheckpointMark(), reader.getCheckpointMark(), "checkpoints (offsets) are Kafka's");
    assertSame(source, reader.getCurrentSource(), "a restored checkpoint re-creates the marking source");
    reader.close();
    assertTrue(kafka.closed);
  }

  /**
   * A Kafka reader that waits for records (as KafkaIO's does, a millisecond or so per call): an idle reader stays
   * inside it rather than sleeping between calls, so a record that arrives meanwhile is taken at once; the first mark
   * after a record still comes after about 2 ms (it ends a micro-batch), later ones only every 20 ms or so.
   */
  @Test
  void whileKafkasReaderWaitsTheReaderWaitsInsideItAndMarksIdlenessSparingly() throws Exception {
    List<KafkaRecord<byte[], byte[]>> script = new ArrayList<>();
    script.add(request(1, "{\"id\":\"a\"}"));
    script.add(null);
    script.add(null);
    script.add(null);
    script.add(request(2, "{\"id\":\"b\"}"));
    ScriptedReader kafka = new ScriptedReader(script, 1);
    IdleMarkingSource.Reader reader = new IdleMarkingSource.Reader(new IdleMarkingSource(null, "waiting-job"), kafka);
    assertTrue(reader.start());
    assertEquals("request 1", describe(reader));
    assertTrue(reader.advance());
    assertEquals("mark", describe(reader), "the first mark after a record comes within a few ms");
    int callsForFirstMark = kafka.calls - 1;
    assertTrue(reader.advance());
    assertEquals("request 2", describe(reader), "a record arriving while the reader waits is taken, no mark first");

    // Nothing more: each mark now stands for about 20 ms of Kafka's reader waiting, not for one call of it.
    int before = kafka.calls;
    long t0 = System.nanoTime();
    for (int i = 0; i < 5; i++) {
      assertTrue(reader.advance());
      assertEquals("mark", describe(reader));
    }
    double elapsedMs = (System.nanoTime() - t0) / 1e6;
    assertTrue(callsForFirstMark <= 3, "first mark after " + callsForFirstMark + " calls of Kafka's reader");
    assertTrue(elapsedMs >= 2 + 4 * 20, "5 idle marks in " + elapsedMs + " ms");
    assertTrue(kafka.calls - before > 5, (kafka.calls - before) + " calls of Kafka's reader for 5 marks");
  }
  @Test
  void aQuiescedReaderLeavesKafkaAloneAndOnlyMarksUntilReleased() throws Exception {
    List<KafkaRecord<byte[], byte[]>> script = new ArrayList<>();
    script.add(request(1, "{\"id\":\"a\"}"));
    script.add(request(2, "{\"id\":\"b\"}"));
    ScriptedReader kafka = new ScriptedReader(script);
    IdleMarkingSource.Reader reader = new IdleMarkingSource.Reader(new IdleMarkingSource(null, "quiet-job"), kafka);
    IdleMarkingSource.Reader other = new IdleMarkingSource.Reader(new IdleMarkingSource(null, "other-job"),
        new ScriptedReader(new ArrayList<>(List.of(request(5, "{\"id\":\"x\"}"), request(6, "{\"id\":\"y\"}")))));
    assertTrue(reader.start());
    assertTrue(other.start());
    assertEquals("request 1", describe(reader));
    IdleMarkingSource.quiesce("quiet-job");
    try {
      for (int i = 0; i < 3; i++) {
        assertTrue(reader.advance());
        assertEquals("mark", describe(reader), "a quiesced reader does not take request 2 from Kafka");
      }
      assertTrue(other.advance());
      assertEquals("request 6", describe(other), "another job's reader goes on reading");
    } finally {
      IdleMarkingSource.release("quiet-job");
    }
    assertTrue(reader.advance());
    assertEquals("request 2", describe(reader), "request 2 was left in Kafka, not lost");
  }

  @Test
  void marksSurviveTheCoderTheRunnerCopiesElementsWith() throws Exception {
    KafkaRecordCoder<byte[], byte[]> coder = KafkaRecordCoder.of(NullableCoder.of(ByteArrayCoder.of()),
        NullableCoder.of(ByteArrayCoder.of()));
    KafkaRecord<byte[], byte[]> mark = CoderUtils.clone(coder, IdleMarkingSource.idleMark(1234));
    assertTrue(IdleMarkingSource.isIdleMark(mark));
    assertEquals(1234, mark.getTimestamp());

    KafkaRecord<byte[], byte[]> tombstone = new KafkaRecord<>("qa-requests", 0, 3, 5,
        KafkaTimestampType.CREATE_TIME, null, null, null);
    KafkaRecord<byte[], byte[]> copy = CoderUtils.clone(coder, tombstone);
    assertFalse(IdleMarkingSource.isIdleMark(copy));
    assertArrayEquals(null, copy.getKV().getValue(), "a null value (tombstone) is carried, not a coder failure");
  }

  private static String describe(IdleMarkingSource.Reader reader) {
    KafkaRecord<byte[], byte[]> r = reader.getCurrent();
    if (IdleMarkingSource.isIdleMark(r)) {
      assertEquals(0, reader.getCurrentRecordId().length);
      return "mark";
    }
    assertArrayEquals(("offset " + r.getOffset()).getBytes(StandardCharsets.UTF_8), reader.getCurrentRecordId());
    assertEquals(new Instant(r.getTimestamp()), reader.getCurrentTimestamp());
    return "request " + r.getOffset();
  }
}
