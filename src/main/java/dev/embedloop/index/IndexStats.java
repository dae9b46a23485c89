package dev.embedloop.index;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the indexing topology, readable while it runs (the CLI prints them, tests assert on
 * them). Thread-safe.
 *
 * <p>Every received record ends in exactly one outcome: {@link #indexed()} (Qdrant acknowledged its
 * points), {@link #deleted()}, {@link #skipped()} (stale, unchanged, or superseded by a newer event
 * of the same document before it was written) or {@link #deadLettered()}. Changes still waiting in
 * the pending store are {@link #inFlight()}; changes pending from before a restart count as
 * {@link #resumed()} when a task picks them up, and as {@link #released()} when a task closes
 * with them still pending. So at any time
 * {@code received + resumed = indexed + deleted + skipped + deadLettered + released + inFlight}.
 */
public final class IndexStats {
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong indexed = new AtomicLong();
    private final AtomicLong chunksWritten = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private final AtomicLong skippedStale = new AtomicLong();
    private final AtomicLong skippedUnchanged = new AtomicLong();
    private final AtomicLong skippedSuperseded = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final Map<String, AtomicLong> deadLetteredByError = new ConcurrentHashMap<>();
    private final AtomicLong resumed = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong textsEncoded = new AtomicLong();
    private final AtomicLong pointsCopied = new AtomicLong();
    private final AtomicLong reindexes = new AtomicLong();
    private final AtomicLong lastReindexMillis = new AtomicLong(-1);
    private final AtomicLong writeRetries = new AtomicLong();

    void onReceived() { received.incrementAndGet(); }
    /** A document whose points every target acknowledged. */
    void onIndexed(int chunks) { indexed.incrementAndGet(); chunksWritten.addAndGet(chunks); }
    void onDeleted() { deleted.incrementAndGet(); }
    void onSkippedStale() { skippedStale.incrementAndGet(); }
    void onSkippedUnchanged() { skippedUnchanged.incrementAndGet(); }
    /** A pending change replaced by a newer change of the same document before it was written. */
    void onSkippedSuperseded() { skippedSuperseded.incrementAndGet(); }
    /** A record sent to the dead-letter topic, with its error class. */
    void onDeadLettered(String error) {
        deadLettered.incrementAndGet();
        deadLetteredByError.computeIfAbsent(error, e -> new AtomicLong()).incrementAndGet();
    }
    /** Pending changes from before a restart (or a rebalance) that a task took over. */
    void onResumed(int changes) { resumed.addAndGet(changes); }
    /** Pending changes a closing task left in its store for whoever takes the task next. */
    void onReleased(int changes) { released.addAndGet(changes); }
    /** A batch (or part of one) split to isolate a document the store refused. */
    void onWriteRetried() { writeRetries.incrementAndGet(); }
    void onEncoded(int texts) { textsEncoded.addAndGet(texts); }
    void onCopied(int points) { pointsCopied.addAndGet(points); }
    void onReindexed(long millis) { reindexes.incrementAndGet(); lastReindexMillis.set(millis); }

    public long received() { return received.get(); }
    public long indexed() { return indexed.get(); }
    public long chunksWritten() { return chunksWritten.get(); }
    public long deleted() { return deleted.get(); }
    public long skippedStale() { return skippedStale.get(); }
    public long skippedUnchanged() { return skippedUnchanged.get(); }
    public long skippedSuperseded() { return skippedSuperseded.get(); }
    /** Stale, unchanged and superseded together. */
    public long skipped() { return skippedStale() + skippedUnchanged() + skippedSuperseded(); }
    public long deadLettered() { return deadLettered.get(); }
    /** Dead letters per error class. */
    public Map<String, Long> deadLetteredByError() {
        Map<String, Long> out = new TreeMap<>();
        deadLetteredByError.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
    public long resumed() { return resumed.get(); }
    public long released() { return released.get(); }
    /** Records with an outcome: indexed, deleted, skipped or dead-lettered. */
    public long accounted() { return indexed() + deleted() + skipped() + deadLettered(); }
    /** Changes waiting in pending stores of this process: received + resumed − accounted − released. */
    public long inFlight() { return received() + resumed() - accounted() - released(); }
    /** Splits of a write to isolate a document the store refused. */
    public long writeRetries() { return writeRetries.get(); }
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
                + " skipped_unchanged=" + skippedUnchanged() + " skipped_superseded=" + skippedSuperseded()
                + " dead_lettered=" + deadLettered() + (deadLettered() > 0 ? " " + deadLetteredByError() : "")
                + " in_flight=" + inFlight()
                + (resumed() > 0 || released() > 0 ? " resumed=" + resumed() + " released=" + released() : "")
                + (reindexes() > 0 || pointsCopied() > 0 ? " reindexes=" + reindexes() + " points_copied=" + pointsCopied() : "");
    }
}
