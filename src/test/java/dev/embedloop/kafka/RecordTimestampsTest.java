package dev.embedloop.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

class RecordTimestampsTest {

    private final RecordTimestamps extractor = new RecordTimestamps();

    private static ConsumerRecord<Object, Object> at(long timestamp) {
        return new ConsumerRecord<>("documents", 0, 7L, timestamp, TimestampType.CREATE_TIME, 0, 0, "k", "v",
                new RecordHeaders(), Optional.empty());
    }

    @Test
    void shouldKeepAValidTimestamp() {
        assertThat(extractor.extract(at(0L), 500L)).isZero();
        assertThat(extractor.extract(at(1_700_000_000_000L), -1L)).isEqualTo(1_700_000_000_000L);
    }

    @Test
    void shouldGiveARecordWithoutATimestampItsPartitionsTime() {
        assertThat(extractor.extract(at(-1L), 500L)).isEqualTo(500L);
        assertThat(extractor.extract(at(Long.MIN_VALUE), 500L)).isEqualTo(500L);
    }

    @Test
    void shouldGiveItTheWallClockWhenThePartitionHasNoTimeYet() {
        // the first record read after a start: UsePartitionTimeOnInvalidTimestamp stops the thread here
        long before = System.currentTimeMillis();
        long extracted = extractor.extract(at(-1L), -1L);
        assertThat(extracted).isBetween(before, System.currentTimeMillis());
        assertThat(extractor.extract(at(-1000L), -1L)).isGreaterThanOrEqualTo(before);
    }

    @Test
    void shouldMendOnlyTheRecordsWithoutATimestampForTheGlobalConsumer() {
        TopicPartition p0 = new TopicPartition("documents", 0);
        TopicPartition p1 = new TopicPartition("documents", 1);
        ConsumerRecord<Object, Object> valid = at(42L);
        ConsumerRecord<Object, Object> invalid = new ConsumerRecord<>("documents", 1, 9L, -1L, TimestampType.CREATE_TIME,
                1, 1, "k", "v", new RecordHeaders(), Optional.of(3));
        ConsumerRecords<Object, Object> clean = new ConsumerRecords<>(Map.of(p0, List.of(valid)));
        RecordTimestamps.ForGlobalConsumer interceptor = new RecordTimestamps.ForGlobalConsumer();
        assertThat(interceptor.onConsume(clean)).isSameAs(clean);

        long before = System.currentTimeMillis();
        ConsumerRecords<Object, Object> mended = interceptor.onConsume(new ConsumerRecords<>(
                Map.of(p0, List.of(valid), p1, List.of(invalid)), Map.of(p1, new OffsetAndMetadata(10L))));
        assertThat(mended.records(p0)).containsExactly(valid);
        ConsumerRecord<Object, Object> m = mended.records(p1).get(0);
        assertThat(m.timestamp()).isBetween(before, System.currentTimeMillis());
        assertThat(m.offset()).isEqualTo(9L);
        assertThat(m.key()).isEqualTo("k");
        assertThat(m.value()).isEqualTo("v");
        assertThat(m.leaderEpoch()).contains(3);
        assertThat(mended.nextOffsets()).containsEntry(p1, new OffsetAndMetadata(10L));
    }

    @Test
    void shouldAddTheGlobalConsumersInterceptorAfterTheUsersOwn() {
        String key = "global.consumer.interceptor.classes";
        String mine = RecordTimestamps.ForGlobalConsumer.class.getName();
        assertThat(RecordTimestamps.mendGlobalConsumer(new Properties()).getProperty(key)).isEqualTo(mine);
        Properties consumerWide = new Properties();
        consumerWide.put("consumer.interceptor.classes", "com.example.Audit");
        assertThat(RecordTimestamps.mendGlobalConsumer(consumerWide).getProperty(key)).isEqualTo("com.example.Audit," + mine);
        Properties globalOnly = new Properties();
        globalOnly.put(key, "com.example.Global");
        assertThat(RecordTimestamps.mendGlobalConsumer(globalOnly).getProperty(key)).isEqualTo("com.example.Global," + mine);
    }
}
