package org.apache.beam.sdk.io.kafka;

import org.apache.beam.sdk.io.UnboundedSource;

/**
 * Opens KafkaIO's own {@code UnboundedSource} (package-private in Beam 2.62) so that {@code electra.serving} can
 * wrap it; everything else about reading Kafka stays KafkaIO's. This is the source that KafkaIO itself uses on the
 * Flink runner ({@code Read.from(makeSource())}).
 */
public final class KafkaUnboundedSources {

  private KafkaUnboundedSources() {}

  /** KafkaIO's unbounded source for {@code read}, whose key and value coders must be set. */
  public static <K, V> UnboundedSource<KafkaRecord<K, V>, KafkaCheckpointMark> of(KafkaIO.Read<K, V> read) {
    if (read.getKeyCoder() == null || read.getValueCoder() == null) {
      throw new IllegalArgumentException("set the key and value coders (withKeyDeserializerAndCoder, ...)");
    }
    return read.makeSource();
  }
}
