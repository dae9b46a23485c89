package dev.embedloop.index;

import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.DocumentValidator;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the indexing topology.
 *
 * @param documentsTopic the input topic of document events
 * @param deadLetterTopic where invalid events go, with their reason
 * @param maxTextBytes largest accepted text, in UTF-8 bytes
 * @param batchDocuments how many pending documents are written together
 * @param flushInterval how often (wall-clock) pending documents are written even when fewer
 * @param upsertBatchPoints how many chunks are encoded and upserted in one step
 * @param chunking whether long texts are split into chunks (false: only the first window is indexed)
 * @param storeText whether each point's payload carries its chunk text
 * @param retention how long the previous collection is kept, and kept in step, after a re-index
 * @param reindexBatchPoints chunk points copied into a new collection per re-index step
 * @param reindexPointsPerSecond most chunk points one task copies per second during a re-index
 *     (0: no limit); bounds the extra Qdrant write rate of a fill
 * @param sparse whether each point also carries a BM25 sparse vector ({@code index.sparse=bm25})
 * @param limits what the validator accepts (its text limit is {@code maxTextBytes})
 * @param deadLetterMaxValueBytes the most bytes of a refused value a dead letter keeps
 */
public record IndexSettings(
        String documentsTopic,
        String deadLetterTopic,
        long maxTextBytes,
        int batchDocuments,
        Duration flushInterval,
        int upsertBatchPoints,
        boolean chunking,
        boolean storeText,
        Duration retention,
        int reindexBatchPoints,
        int reindexPointsPerSecond,
        boolean sparse,
        DocumentValidator.Limits limits,
        int deadLetterMaxValueBytes) {

    public IndexSettings {
        Objects.requireNonNull(documentsTopic, "documentsTopic");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        Objects.requireNonNull(flushInterval, "flushInterval");
        Objects.requireNonNull(retention, "retention");
        if (reindexPointsPerSecond < 0) {
            throw new IllegalArgumentException("reindexPointsPerSecond must not be negative");
        }
        if (reindexBatchPoints <= 0) {
            throw new IllegalArgumentException("reindexBatchPoints must be positive");
        }
        if (maxTextBytes <= 0 || batchDocuments <= 0 || upsertBatchPoints <= 0) {
            throw new IllegalArgumentException("sizes must be positive");
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("flushInterval must be positive");
        }
        Objects.requireNonNull(limits, "limits");
        if (limits.maxTextBytes() != maxTextBytes) {
            throw new IllegalArgumentException("limits.maxTextBytes must equal maxTextBytes");
        }
        if (deadLetterMaxValueBytes < 0 || deadLetterMaxValueBytes > DeadLetterFactory.MAX_VALUE_BYTES_LIMIT) {
            throw new IllegalArgumentException("deadLetterMaxValueBytes out of range: " + deadLetterMaxValueBytes);
        }
    }

    /**
     * Settings with the default validation limits and dead-letter size, no re-index rate limit and
     * no sparse vectors (tests and tools).
     */
    public IndexSettings(String documentsTopic, String deadLetterTopic, long maxTextBytes, int batchDocuments,
            Duration flushInterval, int upsertBatchPoints, boolean chunking, boolean storeText, Duration retention,
            int reindexBatchPoints) {
        this(documentsTopic, deadLetterTopic, maxTextBytes, batchDocuments, flushInterval, upsertBatchPoints, chunking,
                storeText, retention, reindexBatchPoints, 0, false, DocumentValidator.Limits.defaults(maxTextBytes),
                DeadLetterFactory.DEFAULT_MAX_VALUE_BYTES);
    }

    /** These settings with other validation limits and dead-letter size. */
    public IndexSettings withLimits(DocumentValidator.Limits newLimits, int newDeadLetterMaxValueBytes) {
        return new IndexSettings(documentsTopic, deadLetterTopic, newLimits.maxTextBytes(), batchDocuments, flushInterval,
                upsertBatchPoints, chunking, storeText, retention, reindexBatchPoints, reindexPointsPerSecond, sparse,
                newLimits, newDeadLetterMaxValueBytes);
    }

    /** The indexer's settings from the configuration; a bad value fails naming its key. */
    public static IndexSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        long maxTextBytes = r.longIn("index.max-text-bytes", 1, Integer.MAX_VALUE);
        DocumentValidator.Limits limits = new DocumentValidator.Limits(maxTextBytes,
                r.intIn("index.max-id-bytes", 1, DeadLetterFactory.MAX_KEY_BYTES),
                r.intIn("index.max-title-bytes", 1, 1_048_576),
                r.intIn("index.max-metadata-bytes", 1, 1_048_576),
                r.intIn("index.max-metadata-depth", 1, DocumentValidator.Limits.MAX_METADATA_DEPTH),
                r.intIn("index.max-metadata-key-bytes", 1, 65_536));
        return new IndexSettings(
                cfg.topics().documents(), cfg.topics().deadLetter(),
                maxTextBytes,
                r.intIn("index.batch-documents", 1, 10_000),
                Duration.ofMillis(r.longIn("index.flush-interval-ms", 1, 3_600_000)),
                r.intIn("index.upsert-batch-points", 1, 100_000),
                cfg.chunking().enabled(), r.bool("index.store-text"),
                Duration.ofMillis(r.longIn("index.retention-ms", 0, Long.MAX_VALUE)),
                r.intIn("index.reindex-batch-points", 1, 100_000),
                r.intIn("index.reindex-points-per-second", 0, Integer.MAX_VALUE),
                cfg.qdrant().sparse(),
                limits,
                r.intIn("index.dead-letter-max-value-bytes", 0, DeadLetterFactory.MAX_VALUE_BYTES_LIMIT));
    }
}
