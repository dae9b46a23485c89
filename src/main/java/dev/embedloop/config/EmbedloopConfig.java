package dev.embedloop.config;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The whole configuration, immutable, with the infrastructure settings every module shares
 * (topics, Qdrant connection, model, encoder, chunking) already validated. Built only by
 * {@link ConfigLoader}. Services read their own keys through {@link #reader()} into their own
 * settings records; {@code config} knows no service.
 *
 * @param values every effective key and value (defaults included), for reference and passthrough
 */
public record EmbedloopConfig(
        Map<String, String> values,
        Topics topics,
        Qdrant qdrant,
        String model,
        Encoder encoder,
        Chunking chunking) {

    public EmbedloopConfig {
        values = Map.copyOf(values);
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(qdrant, "qdrant");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(encoder, "encoder");
        Objects.requireNonNull(chunking, "chunking");
    }

    /**
     * Topic names and how Embedloop creates missing topics.
     *
     * @param maxRecordBytes the largest record the documents and dead-letter topics (and every
     *     producer and consumer of them) must accept: room for the largest accepted document text
     *     ({@code index.max-text-bytes}) twice (JSON escapes) plus its other fields
     */
    public record Topics(String documents, String deadLetter, String impressions, String clicks, String trainingPairs,
            String clicksDeadLetter, String modelUpdates, String fillProgress, int partitions, short replicationFactor, long maxRecordBytes) {

        /** The record size that holds a document event whose text is at most {@code maxTextBytes}. */
        public static long recordBytesFor(long maxTextBytes) {
            return Math.min(Integer.MAX_VALUE, Math.max(1_048_588L, maxTextBytes * 2 + 65_536));
        }
    }

    /**
     * How to reach Qdrant and how its collections are laid out. {@code toString} masks the API key.
     *
     * @param sparse whether every point also carries a BM25 sparse vector ({@code index.sparse=bm25}) and
     *     searches fuse dense and sparse results (hybrid retrieval)
     */
    public record Qdrant(String host, int port, boolean tls, String apiKey, String collection, Duration timeout,
            Duration retryMax, boolean sparse) {

        public Qdrant(String host, int port, boolean tls, String apiKey, String collection, Duration timeout,
                Duration retryMax) {
            this(host, port, tls, apiKey, collection, timeout, retryMax, false);
        }

        @Override
        public String toString() {
            return "Qdrant[host=" + host + ", port=" + port + ", tls=" + tls + ", apiKey=" + (apiKey == null ? "none" : "****")
                    + ", collection=" + collection + ", timeout=" + timeout + ", retryMax=" + retryMax
                    + ", sparse=" + sparse + "]";
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

    /**
     * Typed access to every value, for the modules that read the keys they own into their own
     * settings records (each fails with a {@link ConfigException} naming the key).
     */
    public ConfigReader reader() {
        return new ConfigReader(values);
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
