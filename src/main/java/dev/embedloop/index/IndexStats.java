package dev.embedloop.index;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the indexing topology, readable while it runs (the CLI prints them, tests assert on
 * them). Thread-safe.
 */
public final class IndexStats {
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong indexed = new AtomicLong();
    private final AtomicLong chunksWritten = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong skippedStale = new AtomicLong();
    private final AtomicLong skippedUnchanged = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong textsEncoded = new AtomicLong();
    private final AtomicLong pointsCopied = new AtomicLong();
    private final AtomicLong reindexes = new AtomicLong();
    private final AtomicLong lastReindexMillis = new AtomicLong(-1);

    void onReceived() { received.incrementAndGet(); }
    void onIndexed(int chunks) { indexed.incrementAndGet(); chunksWritten.addAndGet(chunks); }
    void onDeleted() { deleted.incrementAndGet(); }
    void onSkippedStale() { skippedStale.incrementAndGet(); }
    void onSkippedUnchanged() { skippedUnchanged.incrementAndGet(); }
    void onDeadLettered() { deadLettered.incrementAndGet(); }
    void onEncoded(int texts) { textsEncoded.addAndGet(texts); }
    void onCopied(int points) { pointsCopied.addAndGet(points); }
    void onReindexed(long millis) { reindexes.incrementAndGet(); lastReindexMillis.set(millis); }

    public long received() { return received.get(); }
    public long indexed() { return indexed.get(); }
    public long chunksWritten() { return chunksWritten.get(); }
    public long deleted() { return deleted.get(); }
    public long skippedStale() { return skippedStale.get(); }
    public long skippedUnchanged() { return skippedUnchanged.get(); }
    public long deadLettered() { return deadLettered.get(); }
    public long textsEncoded() { return textsEncoded.get(); }
    /** Points copied into new collections from stored base vectors (re-index without encoding). */
    public long pointsCopied() { return pointsCopied.get(); }
    /** Completed re-indexes (alias moved). */
    public long reindexes() { return reindexes.get(); }
    /** Wall time of the last completed re-index, from its start to the alias move; -1 before any. */
    public long lastReindexMillis() { return lastReindexMillis.get(); }

    @Override
    public String toString() {
        return "received=" + received() + " indexed=" + indexed() + " chunks=" + chunksWritten()
                + " encoded=" + textsEncoded() + " deleted=" + deleted() + " skipped_stale=" + skippedStale()
                + " skipped_unchanged=" + skippedUnchanged() + " dead_lettered=" + deadLettered()
                + (reindexes() > 0 || pointsCopied() > 0 ? " reindexes=" + reindexes() + " points_copied=" + pointsCopied() : "");
    }
}
