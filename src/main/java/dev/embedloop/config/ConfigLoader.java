package dev.embedloop.config;

import dev.embedloop.feedback.FeedbackSettings;
import dev.embedloop.feedback.PropensityModel;
import dev.embedloop.train.AdapterMode;
import dev.embedloop.train.AdapterTrainer;
import dev.embedloop.train.Gate;
import dev.embedloop.train.TrainSettings;
import dev.embedloop.index.IndexSettings;
import java.time.Duration;
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
        Reader r = new Reader(values);
        EmbedloopConfig.Topics topics = new EmbedloopConfig.Topics(
                r.name("topics.documents"), r.name("topics.dead-letter"),
                r.name("topics.impressions"), r.name("topics.clicks"), r.name("topics.training-pairs"),
                r.name("topics.clicks-dead-letter"), r.name("topics.model-updates"),
                r.intIn("topics.partitions", 1, 10_000), (short) r.intIn("topics.replication-factor", 1, 32));
        EmbedloopConfig.Qdrant qdrant = new EmbedloopConfig.Qdrant(
                r.nonBlank("qdrant.host"), r.intIn("qdrant.port", 1, 65_535), r.bool("qdrant.tls"),
                r.optional("qdrant.api-key"), r.name("qdrant.collection"),
                Duration.ofMillis(r.longIn("qdrant.timeout-ms", 1, Long.MAX_VALUE)),
                Duration.ofMillis(r.longIn("qdrant.retry-max-ms", 0, Long.MAX_VALUE)));
        EmbedloopConfig.Encoder encoder = new EmbedloopConfig.Encoder(
                r.intIn("encoder.parallelism", 1, 64), r.intIn("encoder.batch-size", 1, 1024),
                r.intIn("encoder.intra-op-threads", 1, 256), r.bool("encoder.sort-by-length"));
        EmbedloopConfig.Chunking chunking = new EmbedloopConfig.Chunking(
                r.bool("chunk.enabled"), r.intIn("chunk.overlap-tokens", 0, 4096));
        IndexSettings index = new IndexSettings(
                topics.documents(), topics.deadLetter(),
                r.longIn("index.max-text-bytes", 1, Integer.MAX_VALUE),
                r.intIn("index.batch-documents", 1, 10_000),
                Duration.ofMillis(r.longIn("index.flush-interval-ms", 1, 3_600_000)),
                r.intIn("index.upsert-batch-points", 1, 100_000),
                chunking.enabled(), r.bool("index.store-text"),
                Duration.ofMillis(r.longIn("index.retention-ms", 0, Long.MAX_VALUE)),
                r.intIn("index.reindex-batch-points", 1, 100_000));
        EmbedloopConfig.Search search = new EmbedloopConfig.Search(
                r.intIn("search.port", 0, 65_535), r.intIn("search.max-k", 1, 10_000),
                Duration.ofMillis(r.longIn("search.query-ttl-ms", 1, Long.MAX_VALUE)));
        FeedbackSettings feedback = feedback(r, topics);
        r.nonBlank("kafka.bootstrap.servers");
        r.name("kafka.application.id");
        if (new java.util.HashSet<>(java.util.List.of(topics.documents(), topics.deadLetter(), topics.impressions(),
                topics.clicks(), topics.trainingPairs(), topics.clicksDeadLetter(), topics.modelUpdates())).size() != 7) {
            throw new ConfigException("topics.dead-letter", "and the other topics.* names must all differ");
        }
        TrainSettings train = train(r, topics);
        return new EmbedloopConfig(values, topics, qdrant, r.nonBlank("model"), encoder, chunking, index, search, feedback,
                train);
    }

    private static TrainSettings train(Reader r, EmbedloopConfig.Topics topics) {
        AdapterMode mode;
        try {
            mode = TrainSettings.parseMode(r.nonBlank("train.mode"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train.mode", e.getMessage());
        }
        AdapterTrainer.Loss loss;
        try {
            loss = TrainSettings.parseLoss(r.nonBlank("train.loss"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("train.loss", e.getMessage());
        }
        AdapterTrainer.Options trainer = new AdapterTrainer.Options(loss, mode,
                r.doubleIn("train.temperature", 1e-4, 10), r.doubleIn("train.margin", 0, 2),
                r.doubleIn("train.lambda", 0, 1e6), r.doubleIn("train.learning-rate", 1e-9, 10),
                r.intIn("train.epochs", 0, 10_000), r.intIn("train.batch-size", 1, 100_000), 42L, true);
        Gate.Options gate = new Gate.Options(r.doubleIn("train.holdout-fraction", 0.001, 0.9),
                r.intIn("train.min-holdout", 1, 1_000_000), java.util.List.of(1, 5),
                r.doubleIn("train.gate-margin", 0, 1), r.doubleIn("train.gate-alpha", 0, 1));
        return new TrainSettings(topics.trainingPairs(), topics.modelUpdates(), r.name("train.group-id"),
                r.intIn("train.every-examples", 1, 100_000_000), r.millis("train.interval-ms"),
                r.intIn("train.window-examples", 1, 100_000_000), java.nio.file.Path.of(r.nonBlank("train.model-store")),
                trainer, gate);
    }

    private static FeedbackSettings feedback(Reader r, EmbedloopConfig.Topics topics) {
        r.name("feedback.application-id");
        PropensityModel propensity;
        try {
            propensity = PropensityModel.parse(r.nonBlank("feedback.propensity-model"),
                    r.doubleIn("feedback.propensity-eta", 0, 10));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("feedback.propensity-model", e.getMessage());
        }
        try {
            return new FeedbackSettings(
                    topics.impressions(), topics.clicks(), topics.documents(), topics.trainingPairs(), topics.clicksDeadLetter(),
                    r.millis("feedback.window-ms"),
                    r.millis("feedback.punctuation-interval-ms"),
                    r.longIn("feedback.min-dwell-ms", 0, Long.MAX_VALUE),
                    r.bool("feedback.include-below-click"),
                    propensity,
                    r.doubleIn("feedback.max-weight", 1, 1e9),
                    r.intIn("feedback.max-negatives", 0, 1000),
                    Duration.ofMillis(r.longIn("feedback.dedup-window-ms", 0, Long.MAX_VALUE)),
                    r.intIn("feedback.max-examples-per-user", 1, Integer.MAX_VALUE),
                    r.millis("feedback.cap-window-ms"),
                    r.millis("feedback.recent-positive-ttl-ms"),
                    r.millis("feedback.late-click-retention-ms"),
                    r.intIn("feedback.max-text-chars", 1, 10_000_000));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("feedback", e.getMessage());
        }
    }

    private static String checkKnown(String name, String where) {
        if (!ConfigKeys.isKnown(name)) {
            throw new ConfigException(name, "is not a known key (" + where + "); see the configuration reference in README.md");
        }
        return name;
    }

    /** Typed access with messages that name the key and never echo secrets. */
    private record Reader(Map<String, String> values) {

        String raw(String key) {
            String v = values.get(key);
            if (v == null) {
                throw new ConfigException(key, "is required");
            }
            return v.trim();
        }

        String optional(String key) {
            String v = values.get(key);
            return v == null || v.isBlank() ? null : v.trim();
        }

        String nonBlank(String key) {
            String v = raw(key);
            if (v.isEmpty()) {
                throw new ConfigException(key, "must not be empty");
            }
            return v;
        }

        /** Topic, collection and application names: Kafka's and Qdrant's legal characters. */
        String name(String key) {
            String v = nonBlank(key);
            if (!v.matches("[A-Za-z0-9._-]{1,200}")) {
                throw new ConfigException(key, "must use only letters, digits, '.', '_' and '-', was '" + v + "'");
            }
            return v;
        }

        double doubleIn(String key, double min, double max) {
            String v = raw(key);
            double d;
            try {
                d = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw new ConfigException(key, "must be a number, was '" + v + "'");
            }
            if (!(d >= min && d <= max)) {
                throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + v);
            }
            return d;
        }

        Duration millis(String key) {
            return Duration.ofMillis(longIn(key, 1, Long.MAX_VALUE));
        }

        boolean bool(String key) {
            String v = raw(key).toLowerCase(Locale.ROOT);
            return switch (v) {
                case "true", "yes", "on", "1" -> true;
                case "false", "no", "off", "0" -> false;
                default -> throw new ConfigException(key, "must be true or false, was '" + v + "'");
            };
        }

        int intIn(String key, int min, int max) {
            return (int) longIn(key, min, max);
        }

        long longIn(String key, long min, long max) {
            String v = raw(key);
            long n;
            try {
                n = Long.parseLong(v.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new ConfigException(key, "must be an integer, was '" + v + "'");
            }
            if (n < min || n > max) {
                throw new ConfigException(key, "must be between " + min + " and " + max + ", was " + n);
            }
            return n;
        }
    }
}
