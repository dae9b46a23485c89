package dev.embedloop.kafka;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The timestamp extractor of every stream source of Embedloop's topologies: a record's own
 * timestamp when it is valid, else the time of its partition, else the wall clock.
 *
 * <p>A broker takes records without a timestamp ({@code -1}, which clients in other languages can
 * send) and with other negative ones. Kafka Streams' default extractor ({@code
 * FailOnInvalidTimestamp}) stops the stream thread on such a record, and {@code
 * UsePartitionTimeOnInvalidTimestamp} does too when its partition has no time yet (the first
 * record read after a start): the thread is stopped again on every restart, so one record would
 * stop the application. Nothing in Embedloop windows on record time (every punctuator runs on
 * the wall clock), so a substitute is harmless: the record goes on to be indexed, skipped or
 * dead-lettered like any other. Each substitution is logged with the record's coordinates, never
 * its value.
 *
 * <p>Global stores take no extractor: Kafka Streams (4.3) builds their records with the raw
 * timestamp and its global thread dies on a negative one. {@link ForGlobalConsumer} mends the
 * records as the global consumer returns them ({@link #mendGlobalConsumer}).
 */
public final class RecordTimestamps implements TimestampExtractor {

    private static final Logger LOG = LoggerFactory.getLogger(RecordTimestamps.class);

    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        long timestamp = record.timestamp();
        return timestamp >= 0 ? timestamp : substitute(record, partitionTime);
    }

    private static long substitute(ConsumerRecord<?, ?> record, long partitionTime) {
        long substitute = partitionTime >= 0 ? partitionTime : System.currentTimeMillis();
        LOG.warn("record {}-{}@{} has the invalid timestamp {}: it takes {} ({})", record.topic(), record.partition(),
                record.offset(), record.timestamp(), substitute,
                partitionTime >= 0 ? "the partition's time" : "the wall clock");
        return substitute;
    }

    /**
     * Adds {@link ForGlobalConsumer} to the global consumer's interceptors in Kafka Streams
     * settings, after any the settings already give it (with the {@code consumer.} or {@code
     * global.consumer.} prefix).
     */
    public static Properties mendGlobalConsumer(Properties streams) {
        String key = StreamsConfig.GLOBAL_CONSUMER_PREFIX + ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG;
        Object given = streams.getOrDefault(key,
                streams.get(StreamsConfig.CONSUMER_PREFIX + ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG));
        String mine = ForGlobalConsumer.class.getName();
        String before = given == null ? "" : given.toString().trim();
        streams.put(key, before.isEmpty() ? mine : before + "," + mine);
        return streams;
    }

    /**
     * A consumer interceptor that gives every record with a negative timestamp the wall clock's
     * time, for the global consumer of Kafka Streams (see the class comment).
     */
    public static final class ForGlobalConsumer implements ConsumerInterceptor<Object, Object> {

        @Override
        public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
            boolean any = false;
            for (ConsumerRecord<Object, Object> r : records) {
                if (r.timestamp() < 0) {
                    any = true;
                    break;
                }
            }
            if (!any) {
                return records;
            }
            Map<TopicPartition, List<ConsumerRecord<Object, Object>>> mended = new LinkedHashMap<>();
            for (TopicPartition tp : records.partitions()) {
                List<ConsumerRecord<Object, Object>> out = new ArrayList<>();
                for (ConsumerRecord<Object, Object> r : records.records(tp)) {
                    out.add(r.timestamp() >= 0 ? r : new ConsumerRecord<>(r.topic(), r.partition(), r.offset(),
                            substitute(r, -1), r.timestampType(), r.serializedKeySize(), r.serializedValueSize(),
                            r.key(), r.value(), r.headers(), r.leaderEpoch(), r.deliveryCount()));
                }
                mended.put(tp, out);
            }
            return new ConsumerRecords<>(mended, records.nextOffsets());
        }

        @Override
        public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {}

        @Override
        public void close() {}

        @Override
        public void configure(Map<String, ?> configs) {}
    }
}
