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
            optional("instance.id", "stable id of this instance (e.g. the pod name of a StatefulSet), unique per instance: the indexer and the feedback topology use it as group.instance.id (static membership), so a restart within the session timeout resumes without a rebalance; unset: dynamic membership, and a stopped instance leaves its group at once"),
            key("topics.documents", "documents", "input topic of document events"),
            key("topics.dead-letter", "documents.dlq", "dead-letter topic for invalid document events"),
            key("topics.impressions", "search-impressions", "impression events: every answered search with its ranked results"),
            key("topics.clicks", "clicks", "click events on search results"),
            key("topics.training-pairs", "training-pairs", "training examples made from impressions and clicks"),
            key("topics.clicks-dead-letter", "clicks.dlq", "dead-letter topic for bad impressions and clicks (unknown, late, malformed)"),
            key("topics.interleaving-outcomes", "interleaving-outcomes", "per interleaved impression with clicks: which team (live or candidate model) got more clicks"),
            key("topics.model-updates", "model-updates", "compacted topic of promoted and rolled-back models (key = model version)"),
            key("topics.fill-progress", "index-fill-progress", "compacted topic where indexer instances record which documents partitions a re-index has filled"),
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
            key("model.local-store", "data/models-local", "directory where this instance rebuilds promoted models from their model-updates record (adapter + checksums); shared with no other host"),
            key("encoder.parallelism", "2", "parallel predictors (one text per call each by default: fastest on 2 cores)"),
            key("encoder.batch-size", "1", "texts per model call"),
            key("encoder.intra-op-threads", "1", "ONNX Runtime intra-op threads per predictor"),
            key("encoder.sort-by-length", "true", "group texts of similar length when batching"),
            key("chunk.enabled", "true", "split texts longer than the model window into chunks (false: index the first window only)"),
            key("chunk.overlap-tokens", "32", "tokens shared by consecutive chunks"),
            key("index.max-text-bytes", "10485760", "largest accepted text in UTF-8 bytes; larger documents are dead-lettered"),
            key("index.max-id-bytes", "1024", "longest document id (record key) in bytes; longer keys are dead-lettered (KEY_TOO_LARGE)"),
            key("index.max-title-bytes", "8192", "longest title in UTF-8 bytes (it is copied into every chunk's payload); longer ones are dead-lettered (TITLE_TOO_LARGE)"),
            key("index.max-metadata-bytes", "65536", "largest metadata object as JSON (copied into every chunk's payload); larger ones are dead-lettered (METADATA_TOO_LARGE)"),
            key("index.max-metadata-depth", "20", "deepest metadata nesting, the object itself being level 1 (at most 32: Qdrant's protobuf decoder refuses deeper payloads); deeper ones are dead-lettered (METADATA_TOO_DEEP)"),
            key("index.max-metadata-key-bytes", "256", "longest metadata field name in UTF-8 bytes; longer ones are dead-lettered (METADATA_KEY_TOO_LONG)"),
            key("index.dead-letter-max-value-bytes", "65536", "bytes of a refused value a dead letter keeps (at most 524288); beyond them it keeps the value's length and SHA-256"),
            key("index.batch-documents", "32", "pending documents written together"),
            key("index.flush-interval-ms", "100", "longest wait of a pending document while input keeps arriving (a partial batch is written at once when input goes quiet)"),
            key("index.upsert-batch-points", "128", "chunks encoded and upserted in one step"),
            key("index.store-text", "true", "store each chunk's text in the point payload"),
            key("index.retention-ms", "3600000", "how long the previous collection is kept (and kept in step) after a re-index, so that rollback is one step"),
            key("index.sparse", "none", "none, or bm25: every point also carries an in-process BM25 sparse vector and searches fuse dense and BM25 results (reciprocal rank fusion); a collection made without it must be re-created"),
            key("index.reindex-batch-points", "512", "chunk points copied into a new collection per re-index step"),
            key("index.reindex-points-per-second", "0", "most chunk points one indexer task copies per second into a new collection during a re-index (0: no limit)"),
            key("search.port", "8080", "HTTP port of the search service (serve)"),
            key("search.max-k", "100", "largest k a search may ask for"),
            key("search.query-ttl-ms", "600000", "how long a search's click token accepts clicks (keep it at most feedback.window-ms)"),
            key("search.threads", "8", "worker threads of the search service (requests run on them once their body is in)"),
            key("search.queue-capacity", "256", "complete requests waiting for a worker; beyond this the search service answers 503"),
            key("search.idle-timeout-ms", "30000", "a search-service connection without traffic this long is closed (between requests, mid-header or mid-body)"),
            key("search.read-timeout-ms", "10000", "a request body must arrive within this time after its headers; later: 408 and the connection is closed"),
            key("search.interleave-fraction", "0.5", "fraction of searches answered with a team-draft interleaving of the live model and the candidate under test, when there is one and the query is not one it was trained on (its outcomes would not count; 0: never, and the candidate is then never decided online)"),
            secret("search.click-key", "HMAC-SHA256 key signing click tokens, at least 32 bytes, the same on every search instance (unset: a random key per process, clicks then only work on that instance until it restarts)"),
            secret("search.click-key-previous", "a second key accepted (never signed with) when verifying click tokens: the old or the next key during a rotation"),
            key("feedback.application-id", "embedloop-feedback", "Kafka Streams application id of the feedback topology"),
            key("feedback.window-ms", "600000", "how long after an impression its clicks are collected before its pairs are decided (wall clock)"),
            key("feedback.punctuation-interval-ms", "1000", "how often closed impression windows are looked for"),
            key("feedback.min-dwell-ms", "10000", "a click with a dwell time below this is not a positive (clicks without dwell count)"),
            key("feedback.include-below-click", "false", "also use the unclicked result right below a click as a negative"),
            key("feedback.propensity-model", "power-law", "position-bias model for example weights: power-law ((1/rank)^eta) or none"),
            key("feedback.propensity-eta", "0.7", "exponent of the power-law propensity model"),
            key("feedback.max-weight", "10", "clip of the inverse-propensity weight"),
            key("feedback.max-negatives", "10", "most negatives per example"),
            key("feedback.dedup-window-ms", "3600000", "examples of the same (query, positive) within this window are dropped (0: every example is kept)"),
            key("feedback.max-examples-per-user", "100", "cap of examples per user (or session) per cap window"),
            key("feedback.cap-window-ms", "3600000", "window of the per-user cap"),
            key("feedback.recent-positive-ttl-ms", "86400000", "how long a positive of a query is never used as a negative of the same query"),
            key("feedback.late-click-retention-ms", "3600000", "how long a closed query id is remembered to tell late clicks from unknown ones"),
            key("feedback.max-text-chars", "2000", "document text cut to this many characters in training examples"),
            key("train.group-id", "embedloop-trainer", "consumer group of the trainer on the training-pairs topic"),
            key("train.mode", "symmetric", "symmetric (adapter on documents and queries: re-index on promotion) or query-only (queries only: no re-index)"),
            key("train.every-examples", "200", "train a candidate after this many new training examples"),
            key("train.interval-ms", "600000", "or after this long, when there is at least one new example"),
            key("train.window-examples", "50000", "most recent training examples kept for training"),
            key("train.model-store", "data/models", "directory where promoted model directories and the base-embedding cache live"),
            key("train.loss", "mnrl", "mnrl (softmax over in-batch and hard negatives, InfoNCE) or triplet"),
            key("train.temperature", "0.1", "softmax temperature of the mnrl loss"),
            key("train.margin", "0.2", "margin of the triplet loss"),
            key("train.lambda", "0.1", "pull of the adapter towards the identity (squared Frobenius distance)"),
            key("train.learning-rate", "0.001", "Adam learning rate"),
            key("train.epochs", "1", "passes over the training examples per candidate (few: more overfits the clicked queries)"),
            key("train.batch-size", "32", "examples per training step (in-batch negatives grow with it)"),
            key("train.holdout-fraction", "0.1", "most recent fraction of examples held out for the gate"),
            key("train.min-holdout", "50", "fewest held-out examples the gate decides on (fewer: no promotion)"),
            key("train.min-holdout-queries", "10", "fewest distinct held-out queries the gate decides on (fewer: no promotion); the gate holds out whole queries until it has both this many and train.min-holdout examples"),
            key("train.gate-margin", "0.01", "MRR improvement on the held-out examples a candidate needs to be promoted"),
            key("train.gate-alpha", "0.05", "significance level of the gate's one-sided paired bootstrap on the MRR improvement"),
            key("train.online-gate", "true", "a candidate that passes the offline screen (not significantly worse on held-out queries, by train.gate-margin and train.gate-alpha) goes under_test and is promoted or abandoned by team-draft interleaving on live traffic (a symmetric one once its shadow collection is filled); false: the offline gate alone promotes (better by train.gate-margin, significantly)"),
            key("train.online-alpha", "0.05", "significance level of the online gate's two-sided test on interleaving wins and losses (a sign-flip test by query: each query weighs once however often it repeats)"),
            key("train.online-min-preferences", "20", "fewest interleaved impressions with a preference (a win or a loss) before the online gate decides"),
            key("train.online-max-impressions", "5000", "a candidate under test shown in this many interleaved impressions (counted or not) without a significant result is abandoned"),
            key("train.online-untrained-queries", "50", "with the online gate, every candidate leaves at least this many distinct queries untrained (at most half of the window's), the same ones for every candidate (a stable hash of the query picks them): the interleaving counts only untrained and new queries, and a by-query sign test needs about 50 queries with a preference to see a 70 % preference with 80 % power at alpha 0.05"),
            key("train.online-untrained-fraction", "0.25", "with the online gate, every candidate also leaves at least this fraction of the window's distinct queries untrained (the larger of this and train.online-untrained-queries, at most half): a look tests at train.online-alpha shared among the looks (0.00625), where a sign test needs about 77 queries with a preference to see a 70 % preference with 80 % power (142 for 65 %), and only some of the untrained queries show one; on a window of hundreds of queries 50 are too few, and a quarter keeps three quarters of the clicks for training; 0: the count alone"),
            key("train.online-futility-queries", "30", "a candidate under test that is not ahead (wins not above losses, over the counted queries) once this many queries have a preference is abandoned, and the trainer goes on with more clicks (a candidate 70 % of queries prefer is behind or level after 30 with probability about 2 %); 0: never"),
            key("train.online-supersede", "true", "a candidate under test still undecided when as many training examples have arrived after its training as it was trained on is abandoned (superseded), and the next candidate trains on all of them; not one that is ahead with a running p-value below the level of its next look (train.online-alpha shared among the looks), which waits for that look"),
            key("train.online-max-duration-ms", "86400000", "a candidate under test this long without a significant result is abandoned"),
            key("management.port", "auto", "port of /metrics (Prometheus), /health and /ready, one per process (auto: 9401 index, 9402 serve, 9403 feedback, 9404 train, 9405 embedded; 0: any free port; -1: off)"),
            key("management.host", "0.0.0.0", "address the management port binds to"),
            key("log.format", "text", "log layout on stderr: text, or json (one JSON object per line, with stage, document id and model version fields; never document text)"),
            key("train.search.enabled", "true", "choose temperature, lambda, learning rate, epochs and warm or cold start for every candidate on a validation slice of its training window (false: use the train.* values as they are)"),
            key("train.validation-fraction", "0.2", "fraction of the training examples (whole queries, the most recent) held out to choose the settings"),
            key("train.min-validation", "30", "fewest validation examples the search needs (fewer: the train.* values are used)"),
            key("train.min-validation-queries", "30", "fewest validation queries (at most half of the window's): whole queries are held out until there are this many, however many examples each has; the search averages nDCG@10 over them, and over fewer than about 30 a setting's score is uncertain by more than the gains it chooses between"),
            key("train.search.temperatures", "0.05,0.1", "softmax temperatures the search tries"),
            key("train.search.lambdas", "0.01,0.1,1", "identity pulls the search tries"),
            key("train.search.learning-rates", "0.001,0.01,0.05", "Adam learning rates the search tries"),
            key("train.search.max-epochs", "30", "most epochs the search trains a configuration (the best scored epoch count up to it is chosen; a configuration stops early at the first scored epoch that does not improve on its best)"),
            key("train.search.warm-start", "true", "also try starting from the live adapter (otherwise from the identity only)"),
            key("train.search.average-top", "3", "the candidate is the average of the adapters of this many best configurations of the search, each trained with its own settings (a uniform model soup: it hedges the validation slice's chance pick among close settings); 1: the best configuration alone"),
            key("train.search.max-examples", "2000", "most fitting examples the search trains each setting on: a larger window is sampled down to this many, and the chosen epochs are scaled to as many optimiser steps on the whole window (the search then costs the same however large the window grows)"),
            key("train.min-promotion-interval-ms", "600000", "least time between two promotions"),
            key("train.min-new-examples-between-promotions", "200", "least number of training examples from pages the live model served before another promotion"),
            key("train.min-new-examples-after-rollback", "200", "least number of training examples newer than the last rollback before anything is promoted again"));

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

    /**
     * Every Kafka client setting (producer, consumer, admin, streams) that Kafka's own
     * {@code ConfigDef}s declare as {@code Type.PASSWORD} in Kafka 4.3. Kafka types the PEM
     * certificate chain and trusted certificates as passwords too; they are masked like Kafka masks
     * them in its own logs. {@code config/} knows no Kafka class, so the list is written out here;
     * {@code KafkaSecretsTest} checks it against Kafka's {@code ConfigDef}s, so a Kafka upgrade that
     * adds one fails the build instead of leaking it.
     */
    public static final java.util.Set<String> KAFKA_PASSWORDS = java.util.Set.of(
            "sasl.jaas.config",
            "sasl.oauthbearer.assertion.private.key.passphrase",
            "sasl.oauthbearer.client.credentials.client.secret",
            "ssl.key.password",
            "ssl.keystore.certificate.chain",
            "ssl.keystore.key",
            "ssl.keystore.password",
            "ssl.truststore.certificates",
            "ssl.truststore.password");

    /**
     * Parts of a key name that mark a secret: passwords, passphrases, secrets, tokens and JAAS
     * texts (which embed passwords), API keys, credentials and key material (private keys, key
     * stores' keys). Public material (certificate locations, truststore types, key-store files'
     * paths) stays visible.
     */
    private static final List<String> SECRET_PARTS = List.of(
            "password", "passphrase", "secret", "jaas", "token", "credential", "api-key", "apikey", "api_key",
            "private.key", "private-key", "keystore.key", "hmac");

    /**
     * Whether the value of {@code name} must be masked wherever it is printed or logged: a key
     * declared secret (or declared with a name that says password, passphrase, secret, HMAC, API
     * key, private key or key), any Kafka {@code PASSWORD} setting (also behind a client or listener prefix
     * such as {@code kafka.producer.} or {@code kafka.listener.name.x.}), and any undeclared key
     * whose name marks a secret or ends in {@code .key}/{@code -key}/{@code _key} (key material).
     */
    public static boolean isSecret(String name) {
        ConfigKey key = BY_NAME.get(name);
        if (key != null && key.secret()) {
            return true;
        }
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        if (key != null) {
            // a declared key forgotten as secret() is still masked when its name says key material
            // or a password (a declared key named like "chunk.overlap-tokens" is not a token)
            return lower.contains("password") || lower.contains("passphrase") || lower.contains("secret")
                    || lower.contains("hmac") || lower.contains("api-key") || lower.contains("private")
                    || lower.endsWith(".key") || lower.endsWith("-key") || lower.endsWith("_key");
        }
        String kafka = lower.startsWith(KAFKA_PREFIX) ? lower.substring(KAFKA_PREFIX.length()) : lower;
        for (String password : KAFKA_PASSWORDS) {
            if (kafka.equals(password) || kafka.endsWith("." + password)) {
                return true;
            }
        }
        for (String part : SECRET_PARTS) {
            if (lower.contains(part)) {
                return true;
            }
        }
        return lower.endsWith(".key") || lower.endsWith("-key") || lower.endsWith("_key");
    }

    private static ConfigKey key(String name, String defaultValue, String description) {
        return new ConfigKey(name, defaultValue, description, false);
    }

    private static ConfigKey optional(String name, String description) {
        return new ConfigKey(name, null, description, false);
    }

    private static ConfigKey secret(String name, String description) {
        return new ConfigKey(name, null, description, true);
    }
}
