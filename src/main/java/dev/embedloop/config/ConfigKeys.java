package dev.embedloop.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every configuration key Embedloop knows, with its default: the single source of the reference. */
public final class ConfigKeys {

    public static final String KAFKA_PREFIX = "kafka.";

    public static final List<ConfigKey> ALL = List.of(
            key("kafka.bootstrap.servers", "localhost:9092", "Kafka bootstrap servers; every other kafka.* key is passed to the Kafka clients as is (security settings too)"),
            key("kafka.application.id", "embedloop-indexer", "Kafka Streams application id of the indexer (consumer group and changelog prefix)"),
            key("kafka.state.dir", "data/kafka-streams", "Kafka Streams state directory"),
            key("topics.documents", "documents", "input topic of document events"),
            key("topics.dead-letter", "documents.dlq", "dead-letter topic for invalid document events"),
            key("topics.partitions", "2", "partitions of the topics Embedloop creates when they are missing"),
            key("topics.replication-factor", "1", "replication factor of the topics Embedloop creates"),
            key("qdrant.host", "localhost", "Qdrant host (gRPC)"),
            key("qdrant.port", "6334", "Qdrant gRPC port"),
            key("qdrant.tls", "false", "use TLS to reach Qdrant"),
            secret("qdrant.api-key", "Qdrant API key (never logged)"),
            key("qdrant.collection", "documents", "alias that names the live collection; collections are <alias>__<model version>"),
            key("qdrant.timeout-ms", "30000", "timeout of one Qdrant call"),
            key("qdrant.retry-max-ms", "300000", "how long transient Qdrant errors are retried before the stream thread fails (and is replaced)"),
            key("model", "all-minilm-l6-v2", "bundled model name (all-minilm-l6-v2, all-minilm-l6-v2-q) or path of a model directory"),
            key("encoder.parallelism", "2", "parallel predictors (one text per call each by default: fastest on 2 cores)"),
            key("encoder.batch-size", "1", "texts per model call"),
            key("encoder.intra-op-threads", "1", "ONNX Runtime intra-op threads per predictor"),
            key("encoder.sort-by-length", "true", "group texts of similar length when batching"),
            key("chunk.enabled", "true", "split texts longer than the model window into chunks (false: index the first window only)"),
            key("chunk.overlap-tokens", "32", "tokens shared by consecutive chunks"),
            key("index.max-text-bytes", "10485760", "largest accepted text in UTF-8 bytes; larger documents are dead-lettered"),
            key("index.batch-documents", "16", "pending documents written together"),
            key("index.flush-interval-ms", "100", "wall-clock interval at which pending documents are written anyway"),
            key("index.upsert-batch-points", "64", "chunks encoded and upserted in one step"),
            key("index.store-text", "true", "store each chunk's text in the point payload"));

    private static final Map<String, ConfigKey> BY_NAME = new LinkedHashMap<>();

    static {
        for (ConfigKey key : ALL) {
            BY_NAME.put(key.name(), key);
        }
    }

    private ConfigKeys() {}

    public static ConfigKey get(String name) {
        return BY_NAME.get(name);
    }

    public static boolean isKnown(String name) {
        return BY_NAME.containsKey(name) || name.startsWith(KAFKA_PREFIX);
    }

    /** Whether the value of {@code name} must be masked (declared secret, or a Kafka password/JAAS setting). */
    public static boolean isSecret(String name) {
        ConfigKey key = BY_NAME.get(name);
        if (key != null) {
            return key.secret();
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return lower.contains("password") || lower.contains("jaas") || lower.contains("secret")
                || lower.contains("api-key") || lower.contains("apikey") || lower.contains("token");
    }

    private static ConfigKey key(String name, String defaultValue, String description) {
        return new ConfigKey(name, defaultValue, description, false);
    }

    private static ConfigKey secret(String name, String description) {
        return new ConfigKey(name, null, description, true);
    }
}
