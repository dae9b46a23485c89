package dev.embedloop.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.qdrant.Qdrant;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MonitoringTest {

    @Test
    void qdrantRetriesAndFailuresAreCountedByOperationAndStatus() {
        try (Management management = Management.start(new ManagementSettings("127.0.0.1", -1))) {
            Monitoring.countQdrantCalls(management);
            AtomicInteger calls = new AtomicInteger();
            int result = Qdrant.retrying(() -> {
                if (calls.incrementAndGet() == 1) {
                    throw new Qdrant.QdrantException("upsert failed", null, Qdrant.Failure.TRANSIENT, "UNAVAILABLE");
                }
                return 7;
            }, Duration.ofSeconds(10), "upsert");
            assertThat(result).isEqualTo(7);
            assertThatThrownBy(() -> Qdrant.retrying(() -> {
                throw new Qdrant.QdrantException("bad request", null, Qdrant.Failure.FATAL, "INVALID_ARGUMENT");
            }, Duration.ofSeconds(10), "delete")).isInstanceOf(Qdrant.QdrantException.class);

            assertThat(management.scrape())
                    .contains("embedloop_qdrant_retries_total{operation=\"upsert\",status=\"UNAVAILABLE\"} 1.0")
                    .contains("embedloop_qdrant_failures_total{operation=\"delete\",status=\"INVALID_ARGUMENT\"} 1.0");
        } finally {
            Qdrant.listen(new Qdrant.CallListener() {
                @Override
                public void retried(String operation, String status) { }

                @Override
                public void failed(String operation, String status) { }
            });
        }
    }
}
