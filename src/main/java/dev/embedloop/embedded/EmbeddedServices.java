package dev.embedloop.embedded;

import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.kafka.KafkaTopics;
import dev.embedloop.qdrant.local.LocalQdrant;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded mode: a real Kafka broker and the Qdrant local mode in this JVM. {@link #configure}
 * points a configuration at them. Both can be stopped and started again on the same ports and data
 * (when they keep their data in directories), for the fault tests and for restarts of the mode itself.
 */
public final class EmbeddedServices implements AutoCloseable {

    private final EmbeddedKafka kafka;
    private final Path qdrantData;
    private final int qdrantPort;
    private final String qdrantApiKey;
    private LocalQdrant qdrant;

    private EmbeddedServices(EmbeddedKafka kafka, LocalQdrant qdrant, Path qdrantData, String qdrantApiKey) {
        this.kafka = kafka;
        this.qdrant = qdrant;
        this.qdrantData = qdrantData;
        this.qdrantPort = qdrant.port();
        this.qdrantApiKey = qdrantApiKey;
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
        return start(cfg, kafkaPort, qdrantPort, qdrantData, kafkaData, null);
    }

    /**
     * @param qdrantApiKey the API key the local mode requires of every client (as Qdrant's
     *     {@code service.api_key}), null for none
     */
    public static EmbeddedServices start(EmbedloopConfig cfg, int kafkaPort, int qdrantPort, Path qdrantData, Path kafkaData,
            String qdrantApiKey) {
        // one broker: replication factor 1 is all there is, so topic creation does not warn about it
        System.setProperty(KafkaTopics.EMBEDDED_PROPERTY, "true");
        int maxMessage = (int) cfg.topics().maxRecordBytes();
        EmbeddedKafka kafka = EmbeddedKafka.start(kafkaPort, maxMessage, kafkaData);
        try {
            LocalQdrant qdrant = localQdrant(qdrantPort, qdrantData, qdrantApiKey).start();
            return new EmbeddedServices(kafka, qdrant, qdrantData, qdrantApiKey);
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
        Map<String, String> overrides = new java.util.HashMap<>(Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "qdrant.host", "localhost",
                "qdrant.port", Integer.toString(qdrantPort),
                "qdrant.tls", "false"));
        if (qdrantApiKey != null) {
            overrides.put("qdrant.api-key", qdrantApiKey);
        }
        return cfg.with(overrides);
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    public int qdrantPort() {
        return qdrantPort;
    }

    /** Stops the Qdrant local mode (an outage, as clients see it); {@link #startQdrant()} brings it back. */
    public synchronized void stopQdrant() {
        if (qdrant != null) {
            qdrant.close();
            qdrant = null;
        }
    }

    /**
     * Starts a stopped Qdrant local mode again on the same port, from its data directory.
     *
     * @throws IllegalStateException when it kept its data in memory (a restart would lose it)
     */
    public synchronized void startQdrant() {
        if (qdrantData == null) {
            throw new IllegalStateException("the Qdrant local mode keeps its data in memory; a restart needs a data directory");
        }
        if (qdrant == null) {
            qdrant = localQdrant(qdrantPort, qdrantData, qdrantApiKey).start();
        }
    }

    private static LocalQdrant localQdrant(int port, Path data, String apiKey) {
        LocalQdrant.Builder builder = LocalQdrant.builder().port(port).dataDir(data);
        if (apiKey != null) {
            builder.apiKey(apiKey);
        }
        return builder.build();
    }

    @Override
    public synchronized void close() {
        try {
            if (qdrant != null) {
                qdrant.close();
            }
        } finally {
            kafka.close();
        }
    }
}
