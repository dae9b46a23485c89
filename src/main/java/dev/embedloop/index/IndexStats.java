package dev.embedloop.index;

import dev.embedloop.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the indexing topology, kept as Micrometer meters: the management port's
 * {@code /metrics}, the CLI's counters line and the tests all read the same meters. Thread-safe.
 *
 * <p>Outcomes with a label need no new code: {@code onSkipped("reason")} and
 * {@code onDeadLettered("class")} create the labelled series on first use.
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

    /** Prometheus: {@code embedloop_index_skipped_documents_total{reason}}. */
    public static final String SKIPPED = "embedloop.index.skipped";
    /** Prometheus: {@code embedloop_index_dead_lettered_documents_total{class}}. */
    public static final String DEAD_LETTERED = "embedloop.index.dead.lettered";

    private final MeterRegistry registry;
    private final Counter received;
    private final Counter indexed;
    private final Counter deleted;
    private final Counter skippedStale;
    private final Counter skippedUnchanged;
    private final Counter skippedSuperseded;
    private final Counter resumed;
    private final Counter released;
    private final Counter writeRetries;
    private final Counter chunksWritten;
    private final Counter textsEncoded;
    private final Counter tokensEncoded;
    private final Counter pointsCopied;
    private final Counter reindexes;
    private final Timer encodeLatency;
    private final DistributionSummary textsPerCall;
    private final Timer qdrantWrite;
    private final Timer ackDelay;
    private final AtomicLong lastReindexMillis = new AtomicLong(-1);

    /** Counters of their own (tests, eval, the bench). */
    public IndexStats() {
        this(Meters.detached());
    }

    /** Counters in {@code registry} (one indexer per registry: a second one would share them). */
    public IndexStats(MeterRegistry registry) {
        this.registry = registry;
        this.received = count("embedloop.index.received", "documents", "Document events read from the documents topic");
        this.indexed = count("embedloop.index.indexed", "documents", "Documents written to Qdrant (every chunk acknowledged)");
        this.deleted = count("embedloop.index.deleted", "documents", "Documents deleted from Qdrant (tombstones and delete events)");
        this.skippedStale = skippedCounter("stale");
        this.skippedUnchanged = skippedCounter("unchanged");
        this.skippedSuperseded = skippedCounter("superseded");
        this.resumed = count("embedloop.index.resumed", "changes",
                "Pending changes from before a restart or rebalance that a task took over");
        this.released = count("embedloop.index.released", "changes",
                "Pending changes a closing task left in its store for the task's next owner");
        this.writeRetries = count("embedloop.index.write.splits", null,
                "Splits of a failed batch to isolate the document that caused the failure");
        this.chunksWritten = count("embedloop.index.written", "chunks", "Chunks (points) written to Qdrant");
        this.textsEncoded = count("embedloop.encode.texts", "texts", "Texts (chunks) encoded by the model");
        this.tokensEncoded = count("embedloop.encode.tokens", "tokens", "Content tokens encoded by the model");
        this.pointsCopied = count("embedloop.index.copied", "points", "Points copied into new collections from stored base vectors (re-index without encoding)");
        this.reindexes = count("embedloop.index.reindexes", null, "Completed re-indexes (alias moved)");
        this.encodeLatency = Meters.latency(registry, "embedloop.encode", "Time of one encoder call (all its texts)");
        this.textsPerCall = Meters.sizes(registry, "embedloop.encode.batch", "texts", "Texts per encoder call",
                1, 2, 4, 8, 16, 32, 64, 128, 256);
        this.qdrantWrite = Meters.latency(registry, "embedloop.qdrant.write", "Time of one Qdrant upsert (one slice of chunk points)");
        this.ackDelay = Meters.latency(registry, "embedloop.index.ack.delay",
                "From a document event's timestamp to Qdrant acknowledging its last chunk");
        Gauge.builder("embedloop.index.reindex.last.duration", lastReindexMillis, ms -> ms.get() < 0 ? Double.NaN : ms.get() / 1000.0)
                .description("Wall time of the last completed re-index, from its start to the alias move")
                .baseUnit("seconds").register(registry);
    }

    void onReceived() { received.increment(); }
    void onIndexed(int chunks) { indexed.increment(); chunksWritten.increment(chunks); }
    void onDeleted() { deleted.increment(); }
    void onSkippedStale() { skippedStale.increment(); }
    void onSkippedUnchanged() { skippedUnchanged.increment(); }
    /** A pending change replaced by a newer change of the same document before it was written. */
    void onSkippedSuperseded() { skippedSuperseded.increment(); }
    /** Pending changes from before a restart (or a rebalance) that a task took over. */
    void onResumed(int changes) { resumed.increment(changes); }
    /** Pending changes a closing task left in its store for whoever takes the task next. */
    void onReleased(int changes) { released.increment(changes); }
    /** A batch (or part of one) split to isolate a document the store refused. */
    void onWriteRetried() { writeRetries.increment(); }
    /** A document event skipped for {@code reason} (snake_case, a fixed word: never input). */
    void onSkipped(String reason) { skippedCounter(reason).increment(); }
    /** A record sent to the dead-letter topic; {@code errorClass} is the validation code or exception class. */
    void onDeadLettered(String errorClass) { deadLetteredCounter(errorClass).increment(); }

    void onDeadLettered() { onDeadLettered("invalid"); }
    void onEncoded(int texts) { textsEncoded.increment(texts); }
    /** One encoder call: its texts, their content tokens and how long it took. */
    void onEncoded(int texts, long tokens, long nanos) {
        textsEncoded.increment(texts);
        tokensEncoded.increment(tokens);
        textsPerCall.record(texts);
        encodeLatency.record(Duration.ofNanos(nanos));
    }
    /** One acknowledged Qdrant upsert and how long it took. */
    void onQdrantWrite(long nanos) { qdrantWrite.record(Duration.ofNanos(nanos)); }
    /** A document acknowledged by Qdrant; {@code eventTimestampMs} is its record's timestamp. */
    void onAcknowledged(Long eventTimestampMs, long nowMs) {
        if (eventTimestampMs != null && eventTimestampMs > 0 && nowMs >= eventTimestampMs) {
            ackDelay.record(Duration.ofMillis(nowMs - eventTimestampMs));
        }
    }
    void onCopied(int points) { pointsCopied.increment(points); }
    void onReindexed(long millis) { reindexes.increment(); lastReindexMillis.set(millis); }

    public long received() { return Meters.count(received); }
    public long indexed() { return Meters.count(indexed); }
    public long chunksWritten() { return Meters.count(chunksWritten); }
    public long deleted() { return Meters.count(deleted); }
    public long skippedStale() { return Meters.count(skippedStale); }
    public long skippedUnchanged() { return Meters.count(skippedUnchanged); }
    public long skippedSuperseded() { return Meters.count(skippedSuperseded); }
    /** Skipped for any reason: stale, unchanged, superseded, … */
    public long skipped() { return Meters.sum(registry, SKIPPED); }
    /** Dead letters per error class. */
    public Map<String, Long> deadLetteredByError() {
        Map<String, Long> out = new TreeMap<>();
        for (Counter c : registry.find(DEAD_LETTERED).counters()) {
            out.merge(c.getId().getTag("class"), Meters.count(c), Long::sum);
        }
        return out;
    }
    public long resumed() { return Meters.count(resumed); }
    public long released() { return Meters.count(released); }
    /** Records with an outcome: indexed, deleted, skipped or dead-lettered. */
    public long accounted() { return indexed() + deleted() + skipped() + deadLettered(); }
    /** Changes waiting in pending stores of this process: received + resumed − accounted − released. */
    public long inFlight() { return received() + resumed() - accounted() - released(); }
    /** Splits of a write to isolate a document the store refused. */
    public long writeRetries() { return Meters.count(writeRetries); }
    /** Records dead-lettered, every class together. */
    public long deadLettered() { return Meters.sum(registry, DEAD_LETTERED); }
    /** Records dead-lettered with {@code errorClass}. */
    public long deadLetteredAs(String errorClass) { return Meters.count(deadLetteredCounter(errorClass)); }
    /** Document events skipped for {@code reason} ({@code stale}, {@code unchanged}, …). */
    public long skipped(String reason) { return Meters.count(skippedCounter(reason)); }
    public long textsEncoded() { return Meters.count(textsEncoded); }
    public long tokensEncoded() { return Meters.count(tokensEncoded); }
    /** Points copied into new collections from stored base vectors (re-index without encoding). */
    public long pointsCopied() { return Meters.count(pointsCopied); }
    /** Completed re-indexes (alias moved). */
    public long reindexes() { return Meters.count(reindexes); }
    /** Wall time of the last completed re-index, from its start to the alias move; -1 before any. */
    public long lastReindexMillis() { return lastReindexMillis.get(); }

    private Counter skippedCounter(String reason) {
        return count(SKIPPED, "documents", "Document events skipped, by reason", "reason", reason);
    }

    private Counter deadLetteredCounter(String errorClass) {
        // one spelling per class whoever reports it (validation codes are upper case): bad_json, …
        errorClass = errorClass.toLowerCase(java.util.Locale.ROOT);
        return Meters.counter(registry, DEAD_LETTERED, "documents", "Records sent to the dead-letter topic, by error class",
                "class", errorClass);
    }

    private Counter count(String name, String unit, String help, String... tags) {
        return Meters.counter(registry, name, unit, help, tags);
    }

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
