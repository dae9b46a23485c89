package dev.embedloop.config;

import dev.embedloop.feedback.FeedbackSettings;
import dev.embedloop.index.IndexSettings;
import dev.embedloop.train.TrainSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The whole configuration, immutable and validated. Built only by {@link ConfigLoader}.
 *
 * @param values every effective key and value (defaults included), for reference and passthrough
 */
public record EmbedloopConfig(
        Map<String, String> values,
        Topics topics,
        Qdrant qdrant,
        String model,
        Encoder encoder,
        Chunking chunking,
        IndexSettings index,
        Search search,
        FeedbackSettings feedback,
        TrainSettings train) {

    public EmbedloopConfig {
        values = Map.copyOf(values);
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(qdrant, "qdrant");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(chunking, "chunking");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(search, "search");
        Objects.requireNonNull(feedback, "feedback");
        Objects.requireNonNull(train, "train");
    }

    /** Topic names and how Embedloop creates missing topics. */
    public record Topics(String documents, String deadLetter, String impressions, String clicks, String trainingPairs,
            String clicksDeadLetter, String modelUpdates, int partitions, short replicationFactor) {}

    /**
     * The search service.
     *
     * @param port HTTP port
     * @param maxK largest k a request may ask for
     * @param queryTtl how long a query id accepts clicks
     */
    public record Search(int port, int maxK, Duration queryTtl) {}

    /** How to reach Qdrant. {@code toString} masks the API key. */
    public record Qdrant(String host, int port, boolean tls, String apiKey, String collection, Duration timeout,
            Duration retryMax) {
        @Override
        public String toString() {
            return "Qdrant[host=" + host + ", port=" + port + ", tls=" + tls + ", apiKey=" + (apiKey == null ? "none" : "****")
                    + ", collection=" + collection + ", timeout=" + timeout + ", retryMax=" + retryMax + "]";
        }
    }

    /** How texts are grouped for the model. */
    public record Encoder(int parallelism, int batchSize, int intraOpThreads, boolean sortByLength) {}

    /** Token-aware chunking. */
    public record Chunking(boolean enabled, int overlapTokens) {}

    /** Properties for Kafka clients: every {@code kafka.*} key without its prefix. */
    public Properties kafkaProperties() {
        Properties props = new Properties();
        values.forEach((k, v) -> {
            if (k.startsWith(ConfigKeys.KAFKA_PREFIX)) {
                props.put(k.substring(ConfigKeys.KAFKA_PREFIX.length()), v);
            }
        });
        return props;
    }

    public String bootstrapServers() {
        return values.get("kafka.bootstrap.servers");
    }

    /** A copy with some keys replaced, validated again (e.g. the embedded broker's address). */
    public EmbedloopConfig with(Map<String, String> overrides) {
        Map<String, String> merged = new TreeMap<>(values);
        merged.putAll(overrides);
        return ConfigLoader.fromValues(merged);
    }

    /** Every effective key and value, secrets masked: safe to print or log. */
    public Map<String, String> describe() {
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> out.put(k, ConfigKeys.isSecret(k) ? "****" : v));
        return out;
    }

    @Override
    public String toString() {
        return "EmbedloopConfig" + describe();
    }
}
