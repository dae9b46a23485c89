package dev.embedloop.embedded;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.qdrant.local.LocalQdrant;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded mode: a real Kafka broker and the Qdrant local mode in this JVM. {@link #configure}
 * points a configuration at them.
 */
public final class EmbeddedServices implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final LocalQdrant qdrant;

    private EmbeddedServices(EmbeddedKafka kafka, LocalQdrant qdrant) {
        this.kafka = kafka;
        this.qdrant = qdrant;
    }

    /**
     * @param kafkaPort broker port, 0 for any free one
     * @param qdrantPort Qdrant gRPC port, 0 for any free one
     * @param qdrantData where the local mode persists its data, null to keep it in memory
     */
    public static EmbeddedServices start(EmbedloopConfig cfg, int kafkaPort, int qdrantPort, Path qdrantData) {
        return start(cfg, kafkaPort, qdrantPort, qdrantData, null);
    }

    /**
     * @param kafkaData where the broker keeps its log across restarts, null for a temporary directory
     */
    public static EmbeddedServices start(EmbedloopConfig cfg, int kafkaPort, int qdrantPort, Path qdrantData, Path kafkaData) {
        int maxMessage = (int) cfg.topics().maxRecordBytes();
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort, maxMessage, kafkaData);
        try {
            LocalQdrant qdrant = LocalQdrant.builder().port(qdrantPort).dataDir(qdrantData).build().start();
            return new EmbeddedServices(kafka, qdrant);
        } catch (RuntimeException e) {
            kafka.close();
            throw e;
        }
    }

    /** The broker, e.g. to restart it. */
    public EmbeddedKafka kafka() {
        return kafka;
    }

    /** {@code cfg} pointed at these services. */
    public EmbedloopConfig configure(EmbedloopConfig cfg) {
        return cfg.with(Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "qdrant.host", "localhost",
                "qdrant.port", Integer.toString(qdrant.port()),
                "qdrant.tls", "false"));
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public int qdrantPort() {
        return qdrant.port();
    }

    @Override
    public void close() {
        try {
            qdrant.close();
        } finally {
            kafka.close();
        }
    }
}
