package dev.embedloop.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.embedloop.config.ConfigLoader;
import dev.embedloop.config.EmbedloopConfig;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link KafkaFeedbackLog} without a broker: it says so, in bounded time, instead of hanging. */
class KafkaFeedbackLogTest {

    @Test
    void shouldReportKafkaNotReadyWithinItsTimeoutWhenNoBrokerAnswers() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort(); // closed again: nothing listens there
        }
        EmbedloopConfig cfg = ConfigLoader.defaults().with(Map.of("kafka.bootstrap.servers", "127.0.0.1:" + port));
        try (KafkaFeedbackLog log = new KafkaFeedbackLog(cfg.kafkaProperties(), cfg.topics(), Duration.ofSeconds(1))) {
            long t0 = System.nanoTime();
            String problem = log.problem();
            Duration took = Duration.ofNanos(System.nanoTime() - t0);

            assertThat(problem).isNotNull();
            assertThat(took).isLessThan(KafkaFeedbackLog.READY_TIMEOUT.plusSeconds(2));
        }
    }
}
