package dev.embedloop.index;

import dev.embedloop.chunk.Chunk;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DocumentEvent;
import dev.embedloop.metrics.LogContext;
import dev.embedloop.qdrant.ChunkPoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards, chunks, encodes and writes documents. In: {@link DocumentChange}s from the validator.
 * Out: nothing downstream; points in the {@link VectorSink}.
 *
 * <p>Guard: a change older than the version the store knows is skipped; a change whose content
 * hash and model version equal what is indexed is not re-encoded.
 *
 * <p>Batching without losing the commit guarantee: accepted changes go to the changelogged
 * pending store first and are written from there, in batches, when enough have gathered or by a
 * wall-clock punctuator that writes a partial batch only when the input has gone quiet (no record
 * since its previous tick) or the oldest pending change has waited {@code flushInterval}. (Writing
 * whatever is pending every {@code flushInterval} made the indexer degenerate into batches of one
 * or two documents under load: encoding a batch blocks the stream thread longer than the interval,
 * so the punctuator was always overdue and fired after the next record, leaving one encoder
 * worker idle; see BENCHMARKS.md.) A change leaves the pending store only after Qdrant acknowledged its
 * points. Kafka Streams flushes the store's changelog before it commits the input offsets, so
 * whatever was pending at a commit is restored after a crash and written then. Point ids are
 * deterministic, so writing a change twice leaves the same points.
 *
 * <p>Encoding runs the frozen base model only. Every collection in {@link IndexTargets} (the live
 * one, a new one being filled after a promotion, a retained one) gets the points with its own
 * model's adapter applied to the base vectors, and the base vectors themselves go to the
 * {@code base-vectors-store} (one record per chunk, after the ack), from which a wall-clock
 * punctuator fills new collections a step at a time, with no encoding.
 *
 * <p>An exception from the sink (after its own retries) fails the stream thread; the change stays
 * pending and is written once the thread is replaced. Nothing is dead-lettered for it.
 */
final class IndexProcessor implements Processor<byte[], DocumentChange, Void, Void> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexProcessor.class);
    /** How often the punctuator looks whether the input went quiet (and copies a fill step). */
    static final Duration TICK = Duration.ofMillis(10);

    private final IndexSettings settings;
    private final TextEncoder encoder;
    private final Chunker chunker;
    private final IndexTargets targets;
    private final IndexStats stats;
    private final String stateStoreName;
    private final String pendingStoreName;
    private final String vectorStoreName;
    private String modelVersion;
    private String taskId;
    private ProcessorContext<Void, Void> context;
    /** Wall-clock time the oldest pending change was accepted, -1 when none is pending. */
    private long oldestPendingMs = -1;
    /** Whether a record arrived since the punctuator's previous tick. */
    private boolean arrivedSinceTick;

    private KeyValueStore<String, DocumentState> indexed;
    private KeyValueStore<String, DocumentChange> pending;
    private KeyValueStore<String, StoredChunk> vectors;
    /** Ids in the pending store, oldest first; rebuilt from the store on init. */
    private final LinkedHashSet<String> pendingIds = new LinkedHashSet<>();
    /** Per filling collection: the fill generation this task copies for and the last key copied. */
    private final Map<String, FillCursor> fills = new HashMap<>();
    private final Map<String, Long> eventTimes = new HashMap<>(); // pending id → record timestamp, for the ack-delay meter

    IndexProcessor(IndexSettings settings, TextEncoder encoder, Chunker chunker, IndexTargets targets, IndexStats stats,
            String stateStoreName, String pendingStoreName, String vectorStoreName) {
        this.settings = settings;
        this.encoder = encoder;
        this.chunker = chunker;
        this.targets = targets;
        this.stats = stats;
        this.stateStoreName = stateStoreName;
        this.pendingStoreName = pendingStoreName;
        this.vectorStoreName = vectorStoreName;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        this.context = context;
        modelVersion = encoder.model().version();
        taskId = context.taskId().toString();
        indexed = context.getStateStore(stateStoreName);
        pending = context.getStateStore(pendingStoreName);
        vectors = context.getStateStore(vectorStoreName);
        try (KeyValueIterator<String, DocumentChange> it = pending.all()) {
            while (it.hasNext()) {
                pendingIds.add(it.next().key);
            }
        }
        if (!pendingIds.isEmpty()) {
            LOG.info("task {}: {} changes pending from before a restart", context.taskId(), pendingIds.size());
            oldestPendingMs = context.currentSystemTimeMs();
        }
        targets.register(taskId);
        context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    /**
     * Writes a partial batch once the input is quiet or the oldest change has waited long enough;
     * then one fill step for a new collection, and the end of retention periods.
     */
    private void tick(long now) {
        boolean quiet = !arrivedSinceTick;
        arrivedSinceTick = false;
        if (!pendingIds.isEmpty() && (quiet || now - oldestPendingMs >= settings.flushInterval().toMillis())) {
            flush();
        }
        fillStep();
        targets.expire();
    }

    @Override
    public void close() {
        targets.unregister(taskId);
    }

    @Override
    public void process(Record<byte[], DocumentChange> record) {
        // log lines about this record carry its stage, document id and model version (log.format=json)
        try (LogContext ignored = LogContext.document("index", record.value().id(), modelVersion)) {
            processRecord(record);
        }
    }

    private void processRecord(Record<byte[], DocumentChange> record) {
        arrivedSinceTick = true;
        DocumentChange change = record.value();
        String id = change.id();
        DocumentChange queued = pending.get(id);
        if (!change.isDelete()) {
            DocumentEvent doc = change.document();
            DocumentState current = indexed.get(id);
            Long latest = queued != null
                    ? (queued.isDelete() ? null : queued.document().version())
                    : (current == null ? null : current.version());
            if (doc.version() != null && latest != null && doc.version() < latest) {
                LOG.debug("skipping stale version {} of {} (have {})", doc.version(), id, latest);
                stats.onSkippedStale();
                return;
            }
            if (queued == null && current != null
                    && current.contentHash().equals(doc.contentHash())
                    && current.modelVersion().equals(modelVersion)) {
                LOG.debug("skipping unchanged {}", id);
                stats.onSkippedUnchanged();
                if (!Objects.equals(current.version(), doc.version())) {
                    indexed.put(id, new DocumentState(doc.version(), current.contentHash(), modelVersion, current.chunks()));
                }
                return;
            }
        }
        pending.put(id, change);
        eventTimes.put(id, record.timestamp());
        if (pendingIds.isEmpty()) {
            oldestPendingMs = context.currentSystemTimeMs();
        }
        pendingIds.add(id);
        if (pendingIds.size() >= settings.batchDocuments()) {
            flush();
        }
    }

    /** Writes every pending change, a batch at a time. */
    private void flush() {
        while (!pendingIds.isEmpty()) {
            List<DocumentChange> batch = new ArrayList<>(settings.batchDocuments());
            for (String id : pendingIds) {
                DocumentChange change = pending.get(id);
                if (change != null) {
                    batch.add(change);
                }
                if (batch.size() == settings.batchDocuments()) {
                    break;
                }
            }
            if (batch.isEmpty()) {
                pendingIds.clear();
                break;
            }
            write(batch);
        }
        oldestPendingMs = -1;
    }

    private void write(List<DocumentChange> batch) {
        List<Work> upserts = new ArrayList<>();
        for (DocumentChange change : batch) {
            if (change.isDelete()) {
                for (IndexTargets.Target target : targets.targets()) {
                    target.sink().deleteDocument(change.id());
                }
                DocumentState before = indexed.get(change.id());
                forgetChunks(change.id(), 0, before == null ? 0 : before.chunks());
                indexed.delete(change.id());
                done(change.id());
                stats.onDeleted();
            } else {
                upserts.add(new Work(change.document(), chunks(change.document())));
            }
        }
        if (upserts.isEmpty()) {
            return;
        }
        // encode and upsert in slices across documents: both cores stay busy on small documents,
        // and a huge document never holds more than one slice of vectors in memory
        List<Piece> slice = new ArrayList<>(settings.upsertBatchPoints());
        List<StoredChunk> acked = new ArrayList<>();
        for (Work work : upserts) {
            String hash = work.document().contentHash();
            for (Chunk chunk : work.chunks()) {
                slice.add(new Piece(work.document(), hash, chunk));
                if (slice.size() == settings.upsertBatchPoints()) {
                    acked.addAll(writeSlice(slice));
                    slice.clear();
                }
            }
        }
        acked.addAll(writeSlice(slice));
        for (Work work : upserts) {
            DocumentEvent doc = work.document();
            int chunks = work.chunks().size();
            DocumentState before = indexed.get(doc.id());
            if (before != null && before.chunks() > chunks) {
                for (IndexTargets.Target target : targets.targets()) {
                    target.sink().deleteChunksFrom(doc.id(), chunks);
                }
                forgetChunks(doc.id(), chunks, before.chunks());
            }
        }
        // every target acked: the base vectors become what a re-index copies
        for (StoredChunk chunk : acked) {
            vectors.put(StoredChunk.key(chunk.docId(), chunk.chunk()), chunk);
        }
        for (Work work : upserts) {
            DocumentEvent doc = work.document();
            int chunks = work.chunks().size();
            indexed.put(doc.id(), new DocumentState(doc.version(), doc.contentHash(), modelVersion, chunks));
            done(doc.id());
            stats.onIndexed(chunks);
        }
    }

    private List<StoredChunk> writeSlice(List<Piece> slice) {
        if (slice.isEmpty()) {
            return List.of();
        }
        List<String> texts = new ArrayList<>(slice.size());
        for (Piece piece : slice) {
            texts.add(piece.chunk().text());
        }
        long t0 = System.nanoTime();
        List<float[]> base = encoder.encodeDocuments(texts);
        stats.onEncoded(texts.size(), slice.stream().mapToLong(p -> p.chunk().tokens()).sum(), System.nanoTime() - t0);
        List<StoredChunk> stored = new ArrayList<>(slice.size());
        for (int i = 0; i < slice.size(); i++) {
            Piece piece = slice.get(i);
            DocumentEvent doc = piece.document();
            ChunkPoint point = new ChunkPoint(doc.id(), piece.chunk().index(), base.get(i), doc.title(), doc.metadata(),
                    modelVersion, piece.contentHash(), doc.version(), settings.storeText() ? piece.chunk().text() : null);
            stored.add(StoredChunk.of(point, base.get(i)));
        }
        for (IndexTargets.Target target : targets.targets()) {
            long w0 = System.nanoTime();
            target.sink().upsert(points(stored, target));
            stats.onQdrantWrite(System.nanoTime() - w0);
        }
        return stored;
    }

    /** The points of stored chunks for one target: its document vectors, its model version. */
    private static List<ChunkPoint> points(List<StoredChunk> chunks, IndexTargets.Target target) {
        List<ChunkPoint> points = new ArrayList<>(chunks.size());
        for (StoredChunk c : chunks) {
            points.add(c.point(target.documentVector(c.baseVector()), target.version()));
        }
        return points;
    }

    private void forgetChunks(String docId, int from, int to) {
        for (int i = from; i < to; i++) {
            vectors.delete(StoredChunk.key(docId, i));
        }
    }

    /**
     * Copies the next stored chunks of this task into each filling target; reports the target done
     * when this task's store has been copied to the end. Runs on the stream thread, between writes,
     * so a document written meanwhile reaches the new collection either way.
     */
    private void fillStep() {
        for (IndexTargets.Target target : targets.targets()) {
            if (target.role() != IndexTargets.Role.FILLING) {
                continue;
            }
            FillCursor cursor = fills.get(target.collection());
            if (cursor == null || cursor.generation() != target.generation()) {
                cursor = new FillCursor(target.generation(), null, false);
            }
            if (cursor.done()) {
                continue;
            }
            List<StoredChunk> batch = new ArrayList<>(settings.reindexBatchPoints());
            String last = cursor.lastKey();
            boolean end;
            try (KeyValueIterator<String, StoredChunk> it = vectors.range(last, null)) {
                while (it.hasNext() && batch.size() < settings.reindexBatchPoints()) {
                    var entry = it.next();
                    if (entry.key.equals(last)) {
                        continue; // range() includes its lower bound
                    }
                    batch.add(entry.value);
                    last = entry.key;
                }
                end = !it.hasNext();
            }
            if (!batch.isEmpty()) {
                target.sink().upsert(points(batch, target));
                stats.onCopied(batch.size());
            }
            cursor = new FillCursor(target.generation(), last, end);
            fills.put(target.collection(), cursor);
            if (end) {
                targets.fillDone(taskId, target.collection(), target.generation());
            }
        }
        fills.keySet().removeIf(c -> targets.targets().stream().noneMatch(t -> t.collection().equals(c)));
    }

    private List<Chunk> chunks(DocumentEvent doc) {
        List<Chunk> chunks = chunker.chunk(doc.indexedText());
        if (!settings.chunking() && chunks.size() > 1) {
            return List.of(chunks.get(0));
        }
        return chunks;
    }

    private void done(String id) {
        stats.onAcknowledged(eventTimes.remove(id), context.currentSystemTimeMs());
        pending.delete(id);
        pendingIds.remove(id);
    }

    private record Work(DocumentEvent document, List<Chunk> chunks) {}

    private record FillCursor(long generation, String lastKey, boolean done) {}

    private record Piece(DocumentEvent document, String contentHash, Chunk chunk) {}
}
