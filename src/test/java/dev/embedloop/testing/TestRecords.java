package dev.embedloop.testing;

import java.lang.reflect.Field;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Records that the Java producer's API will not build but that clients in other languages send. */
public final class TestRecords {

    /** What a record batch holds for a record without a timestamp. */
    public static final long NO_TIMESTAMP = -1L;

    private TestRecords() {}

    /**
     * A record without a timestamp ({@code -1} on the wire, as librdkafka-based clients can send
     * it): {@code ProducerRecord} refuses a negative timestamp, the producer and the broker do not.
     */
    public static <K, V> ProducerRecord<K, V> withoutTimestamp(String topic, K key, V value) {
        ProducerRecord<K, V> record = new ProducerRecord<>(topic, null, 0L, key, value);
        try {
            Field timestamp = ProducerRecord.class.getDeclaredField("timestamp");
            timestamp.setAccessible(true);
            timestamp.set(record, NO_TIMESTAMP);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("ProducerRecord has no timestamp field to clear", e);
        }
        return record;
    }
}
