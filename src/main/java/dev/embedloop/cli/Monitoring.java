package dev.embedloop.cli;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.kafka.KafkaClients;
import dev.embedloop.metrics.LogFormat;
import dev.embedloop.metrics.Management;
import dev.embedloop.metrics.ManagementSettings;
import dev.embedloop.metrics.Meters;
import dev.embedloop.metrics.Readiness;
import dev.embedloop.qdrant.Qdrant;
import io.micrometer.core.instrument.MeterRegistry;
import io.qdrant.client.QdrantClient;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * Wiring of the management port shared by the long-running commands: applies {@code log.format},
 * starts the registry and the management server, and builds the readiness checks that reach Kafka
 * and Qdrant (each at most once per {@link #CHECK_TTL}, so scrapes and probes stay cheap).
 */
final class Monitoring {

    static final Duration CHECK_TTL = Duration.ofSeconds(5);
    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(3);

    private Monitoring() {}

    /** Applies the log format, then starts the metrics of this process on its management port. */
    static Management start(EmbedloopConfig cfg, int defaultPort) {
        LogFormat.apply(ManagementSettings.logFormat(cfg));
        return Management.start(ManagementSettings.from(cfg, defaultPort));
    }

    /** Adds the readiness check "kafka": the cluster answers a describe-cluster with at least one node. */
    static void checkKafka(Management management, EmbedloopConfig cfg) {
        Admin admin = Admin.create(KafkaClients.admin(cfg.kafkaProperties()));
        management.closeOnExit(() -> admin.close(Duration.ofSeconds(5)));
        management.readiness().add("kafka", Readiness.cached(CHECK_TTL, () -> {
            try {
                return !admin.describeCluster().nodes().get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).isEmpty();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                return false;
            }
        }));
    }

    /** Adds the readiness check "qdrant": the server answers its health check. */
    static void checkQdrant(Management management, QdrantClient client) {
        countQdrantCalls(management);
        management.readiness().add("qdrant", Readiness.cached(CHECK_TTL, () -> {
            try {
                client.healthCheckAsync().get(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (Exception e) {
                return false;
            }
        }));
    }

    /**
     * Counts the Qdrant client's retried and failed calls in {@code management}'s registry:
     * {@code embedloop_qdrant_retries_total{operation,status}} and
     * {@code embedloop_qdrant_failures_total{operation,status}}.
     */
    static void countQdrantCalls(Management management) {
        MeterRegistry registry = management.registry();
        Qdrant.listen(new Qdrant.CallListener() {
            @Override
            public void retried(String operation, String status) {
                Meters.counter(registry, "embedloop.qdrant.retries", null, "Qdrant calls retried after a transient failure",
                        "operation", operation, "status", status).increment();
            }

            @Override
            public void failed(String operation, String status) {
                Meters.counter(registry, "embedloop.qdrant.failures", null,
                        "Qdrant calls that failed for good (permanent error or retries exhausted)",
                        "operation", operation, "status", status).increment();
            }
        });
    }
}
