package dev.embedloop.config;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Loads the configuration by a pure function of its sources, with this precedence:
 * defaults &lt; properties file &lt; environment ({@code EMBEDLOOP_*}) &lt; command-line flags.
 *
 * <p>Environment names: {@code EMBEDLOOP_} + the key upper-cased with {@code .} and {@code -} as
 * {@code _} ({@code qdrant.api-key} → {@code EMBEDLOOP_QDRANT_API_KEY}). An {@code EMBEDLOOP_KAFKA_*}
 * variable that is no documented key becomes a Kafka client property with {@code _} as {@code .}
 * ({@code EMBEDLOOP_KAFKA_SECURITY_PROTOCOL} → {@code kafka.security.protocol}).
 *
 * <p>Unknown keys in the file or the flags, and values that do not parse, fail with a
 * {@link ConfigException} that names the key.
 */
public final class ConfigLoader {

    public static final String ENV_PREFIX = "EMBEDLOOP_";

    private ConfigLoader() {}

    public static EmbedloopConfig load(Properties file, Map<String, String> env, Map<String, String> flags) {
        Map<String, String> values = new TreeMap<>();
        for (ConfigKey key : ConfigKeys.ALL) {
            if (key.defaultValue() != null) {
                values.put(key.name(), key.defaultValue());
            }
        }
        if (file != null) {
            for (String name : file.stringPropertyNames()) {
                values.put(checkKnown(name, "in the properties file"), file.getProperty(name).trim());
            }
        }
        values.putAll(fromEnvironment(env));
        flags.forEach((name, value) -> values.put(checkKnown(name, "given as a flag"), value));
        return fromValues(values);
    }

    /** Defaults only: what the embedded mode and tests start from. */
    public static EmbedloopConfig defaults() {
        return load(null, Map.of(), Map.of());
    }

    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> byEnvName = new TreeMap<>();
        for (ConfigKey key : ConfigKeys.ALL) {
            byEnvName.put(key.envName(), key.name());
        }
        Map<String, String> values = new TreeMap<>();
        env.forEach((name, value) -> {
            if (!name.startsWith(ENV_PREFIX)) {
                return;
            }
            String key = byEnvName.get(name);
            if (key == null && name.startsWith(ENV_PREFIX + "KAFKA_")) {
                key = "kafka." + name.substring(ENV_PREFIX.length() + "KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
            }
            if (key != null) {
                values.put(key, value);
            }
        });
        return values;
    }

    static EmbedloopConfig fromValues(Map<String, String> values) {
        ConfigReader r = new ConfigReader(values);
        EmbedloopConfig.Topics topics = new EmbedloopConfig.Topics(
                r.name("topics.documents"), r.name("topics.dead-letter"),
                r.name("topics.impressions"), r.name("topics.clicks"), r.name("topics.training-pairs"),
                r.name("topics.clicks-dead-letter"), r.name("topics.model-updates"),
                r.name("topics.fill-progress"),
                r.intIn("topics.partitions", 1, 10_000), (short) r.intIn("topics.replication-factor", 1, 32),
                EmbedloopConfig.Topics.recordBytesFor(r.longIn("index.max-text-bytes", 1, Integer.MAX_VALUE)));
        EmbedloopConfig.Qdrant qdrant = new EmbedloopConfig.Qdrant(
                r.nonBlank("qdrant.host"), r.intIn("qdrant.port", 1, 65_535), r.bool("qdrant.tls"),
                r.optional("qdrant.api-key"), r.name("qdrant.collection"),
                Duration.ofMillis(r.longIn("qdrant.timeout-ms", 1, Long.MAX_VALUE)),
                Duration.ofMillis(r.longIn("qdrant.retry-max-ms", 0, Long.MAX_VALUE)),
                r.parse("index.sparse", ConfigLoader::sparse));
        EmbedloopConfig.Encoder encoder = new EmbedloopConfig.Encoder(
                r.intIn("encoder.parallelism", 1, 64), r.intIn("encoder.batch-size", 1, 1024),
                r.intIn("encoder.intra-op-threads", 1, 256), r.bool("encoder.sort-by-length"));
        EmbedloopConfig.Chunking chunking = new EmbedloopConfig.Chunking(
                r.bool("chunk.enabled"), r.intIn("chunk.overlap-tokens", 0, 4096));
        r.nonBlank("kafka.bootstrap.servers");
        r.name("kafka.application.id");
        if (new HashSet<>(List.of(topics.documents(), topics.deadLetter(), topics.impressions(),
                topics.clicks(), topics.trainingPairs(), topics.clicksDeadLetter(), topics.modelUpdates(),
                topics.fillProgress())).size() != 8) {
            throw new ConfigException("topics.dead-letter", "and the other topics.* names must all differ");
        }
        return new EmbedloopConfig(values, topics, qdrant, r.nonBlank("model"), encoder, chunking);
    }

    private static boolean sparse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "none", "off", "false" -> false;
            case "bm25" -> true;
            default -> throw new IllegalArgumentException("must be none or bm25, was '" + value + "'");
        };
    }

    private static String checkKnown(String name, String where) {
        if (!ConfigKeys.isKnown(name)) {
            throw new ConfigException(name, "is not a known key (" + where + "); see the configuration reference in README.md");
        }
        return name;
    }
}
