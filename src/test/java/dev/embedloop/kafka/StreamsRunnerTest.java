package dev.embedloop.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.DisconnectException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class StreamsRunnerTest {

    @Test
    void shouldTreatABrokerThatIsAwayAsTransient() {
        assertThat(StreamsRunner.isBrokerAway(new MissingSourceTopicException("documents missing"))).isTrue();
        assertThat(StreamsRunner.isBrokerAway(new StreamsException(new TimeoutException("no metadata")))).isTrue();
        assertThat(StreamsRunner.isBrokerAway(new StreamsException("task", new DisconnectException()))).isTrue();
        assertThat(StreamsRunner.isBrokerAway(new StreamsException(new SerializationException("bad")))).isFalse();
        assertThat(StreamsRunner.isBrokerAway(new IllegalStateException("bug"))).isFalse();
    }

    @Test
    void shouldBackOffDoublingUpToThirtySeconds() {
        assertThat(StreamsRunner.backoffMs(1)).isEqualTo(1_000);
        assertThat(StreamsRunner.backoffMs(2)).isEqualTo(2_000);
        assertThat(StreamsRunner.backoffMs(5)).isEqualTo(16_000);
        assertThat(StreamsRunner.backoffMs(6)).isEqualTo(30_000);
        assertThat(StreamsRunner.backoffMs(1_000)).isEqualTo(30_000);
    }

    @Test
    void shouldSetStaticMembershipOnlyForAnInstanceId() {
        assertThat(StreamsRunner.staticMembership(new Properties(), null)).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        assertThat(StreamsRunner.staticMembership(new Properties(), " ")).doesNotContainKey(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        assertThat(StreamsRunner.staticMembership(new Properties(), "indexer-0"))
                .containsEntry(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "indexer-0");
    }
}
