package dev.embedloop.index;

import dev.embedloop.config.ConfigReader;
import dev.embedloop.config.EmbedloopConfig;
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
        boolean sparse) {

    /** Settings without a re-index rate limit and without sparse vectors. */
    public IndexSettings(String documentsTopic, String deadLetterTopic, long maxTextBytes, int batchDocuments,
            Duration flushInterval, int upsertBatchPoints, boolean chunking, boolean storeText, Duration retention,
            int reindexBatchPoints) {
        this(documentsTopic, deadLetterTopic, maxTextBytes, batchDocuments, flushInterval, upsertBatchPoints, chunking,
                storeText, retention, reindexBatchPoints, 0, false);
    }

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
    }

    /** The indexer's settings from the configuration; a bad value fails naming its key. */
    public static IndexSettings from(EmbedloopConfig cfg) {
        ConfigReader r = cfg.reader();
        return new IndexSettings(
                cfg.topics().documents(), cfg.topics().deadLetter(),
                r.longIn("index.max-text-bytes", 1, Integer.MAX_VALUE),
                r.intIn("index.batch-documents", 1, 10_000),
                Duration.ofMillis(r.longIn("index.flush-interval-ms", 1, 3_600_000)),
                r.intIn("index.upsert-batch-points", 1, 100_000),
                cfg.chunking().enabled(), r.bool("index.store-text"),
                Duration.ofMillis(r.longIn("index.retention-ms", 0, Long.MAX_VALUE)),
                r.intIn("index.reindex-batch-points", 1, 100_000),
                r.intIn("index.reindex-points-per-second", 0, Integer.MAX_VALUE),
                cfg.qdrant().sparse());
    }
}
