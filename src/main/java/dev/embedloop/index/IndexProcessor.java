package dev.embedloop.index;

import dev.embedloop.chunk.Chunk;
import dev.embedloop.chunk.Chunker;
import dev.embedloop.encode.TextEncoder;
import dev.embedloop.events.DeadLetterFactory;
import dev.embedloop.events.DocumentEvent;
import dev.embedloop.events.Json;
import dev.embedloop.events.Validation.ErrorCode;
import dev.embedloop.metrics.LogContext;
import dev.embedloop.qdrant.ChunkPoint;
import dev.embedloop.qdrant.SparseVector;
import dev.embedloop.sparse.Bm25;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
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
 * model's adapter applied to the base vectors (and so does the shadow collection of a symmetric
 * candidate under test), and the base vectors themselves go to the
 * {@code base-vectors-store} (one record per chunk, after the ack), from which a wall-clock
 * punctuator fills new collections a step at a time, with no encoding.
 *
 * <p>Failures are isolated by record (see {@link Failures}). A failure that is not the record's
 * (Qdrant or Kafka unavailable, after the sink's own retries) fails the stream thread; the change
 * stays pending and is written once the thread is replaced; nothing is dead-lettered for it. A
 * failure that is permanent for the records of one call (Qdrant refuses the request, the encoder
 * fails on a text, our own code throws on an input) splits the batch, document by halves, until the
 * documents at fault are found; only they go to the dead-letter topic ({@code CHUNK_FAILED},
 * {@code MISSING_TEXT} when the tokenizer finds no token, {@code ENCODE_FAILED},
 * {@code QDRANT_REJECTED}, {@code INTERNAL_ERROR}) and the others are written. Persistent
 * INTERNAL/UNKNOWN answers from Qdrant (and sink failures that are not Qdrant's answer at all) are
 * split the same way, and a single document still failing is dead-lettered only when the sink takes
 * a harmless probe request (a delete of the empty id, which no document has): otherwise the store is
 * at fault and the change stays pending.
 *
 * <p>A document refused after some of its new points were acknowledged (a later slice of a long
 * document, or one target of several) is removed from every target, so the index never mixes two
 * versions of it; a document refused before any of its points was written keeps its previous version.
 */
final class IndexProcessor implements Processor<byte[], DocumentChange, byte[], Object> {

    private static final Logger LOG = LoggerFactory.getLogger(IndexProcessor.class);
    /** How often the punctuator looks whether the input went quiet (and copies a fill step). */
    static final Duration TICK = Duration.ofMillis(10);

    private final IndexSettings settings;
    private final TextEncoder encoder;
    private final Chunker chunker;
    private final IndexTargets targets;
    private final IndexStats stats;
    private final DeadLetterFactory letters;
    private final String deadLetterNode;
    private final String stateStoreName;
    private final String pendingStoreName;
    private final String vectorStoreName;
    /** BM25 sparse vectors for hybrid retrieval, or null when the index has none. */
    private final Bm25 bm25;
    private String modelVersion;
    private String taskId;
    private int partition;
    private ProcessorContext<byte[], Object> context;
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
            DeadLetterFactory letters, String deadLetterNode, String stateStoreName, String pendingStoreName,
            String vectorStoreName) {
        this.settings = settings;
        this.encoder = encoder;
        this.chunker = chunker;
        this.targets = targets;
        this.stats = stats;
        this.letters = letters;
        this.deadLetterNode = deadLetterNode;
        this.stateStoreName = stateStoreName;
        this.pendingStoreName = pendingStoreName;
        this.vectorStoreName = vectorStoreName;
        this.bm25 = settings.sparse() ? Bm25.standard() : null;
    }

    @Override
    public void init(ProcessorContext<byte[], Object> context) {
        this.context = context;
        modelVersion = encoder.model().version();
        taskId = context.taskId().toString();
        partition = context.taskId().partition();
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
            stats.onResumed(pendingIds.size());
            oldestPendingMs = context.currentSystemTimeMs();
        }
        targets.register(taskId, partition);
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
        fillStep(now);
        targets.advance();
        targets.expire();
    }

    @Override
    public void close() {
        stats.onReleased(pendingIds.size());
        pendingIds.clear();
        eventTimes.clear();
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
        try {
            if (!guard(change, record.timestamp())) {
                return;
            }
        } catch (RuntimeException | StackOverflowError e) {
            if (Failures.classify(e) != Failures.Fault.RECORD) {
                throw Failures.rethrow(e);
            }
            LOG.error("the guard failed on {}: {}", where(change), e.toString());
            // the change never reached the pending store (putting it is the guard's last step that
            // can fail): a change of the same document queued before it stays pending
            forwardDeadLetter(change, ErrorCode.INTERNAL_ERROR, DeadLetterFactory.Stage.VALIDATE,
                    "the indexer's guard failed on this record: " + Failures.describe(e));
            return;
        }
        if (pendingIds.size() >= settings.batchDocuments()) {
            flush();
        }
    }

    /**
     * Skips a stale or unchanged change (false), or puts it in the pending store (true), replacing
     * (superseding) a pending change of the same document.
     */
    private boolean guard(DocumentChange change, long timestamp) {
        String id = change.id();
        DocumentChange queued = pending.get(id);
        if (queued == PendingSerde.UNREADABLE) {
            deadLetterUnreadable(id);
            queued = null;
        }
        if (!change.isDelete()) {
            DocumentEvent doc = change.document();
            DocumentState current = indexed.get(id);
            Long latest = queued != null
                    ? (queued.isDelete() ? null : queued.document().version())
                    : (current == null ? null : current.version());
            if (doc.version() != null && latest != null && doc.version() < latest) {
                LOG.debug("skipping stale version {} of {} (have {})", doc.version(), id, latest);
                stats.onSkippedStale();
                return false;
            }
            if (queued == null && current != null
                    && current.contentHash().equals(doc.contentHash())
                    && current.modelVersion().equals(modelVersion)) {
                LOG.debug("skipping unchanged {}", id);
                if (!Objects.equals(current.version(), doc.version())) {
                    indexed.put(id, new DocumentState(doc.version(), current.contentHash(), modelVersion, current.chunks()));
                }
                stats.onSkippedUnchanged();
                return false;
            }
        }
        pending.put(id, change);
        if (queued != null) {
            stats.onSkippedSuperseded(); // the queued change will never be written: this one replaces it
        }
        eventTimes.put(id, timestamp);
        if (pendingIds.isEmpty()) {
            oldestPendingMs = context.currentSystemTimeMs();
        }
        pendingIds.add(id);
        return true;
    }

    /** Writes every pending change, a batch at a time. */
    private void flush() {
        while (!pendingIds.isEmpty()) {
            List<DocumentChange> batch = new ArrayList<>(settings.batchDocuments());
            for (Iterator<String> it = pendingIds.iterator(); it.hasNext() && batch.size() < settings.batchDocuments(); ) {
                String id = it.next();
                DocumentChange change = pending.get(id);
                if (change == null) {
                    it.remove();
                } else if (change == PendingSerde.UNREADABLE) {
                    it.remove();
                    deadLetterUnreadable(id);
                } else {
                    batch.add(change);
                }
            }
            if (batch.isEmpty()) {
                break;
            }
            write(batch);
            for (DocumentChange change : batch) {
                if (pendingIds.contains(change.id())) {
                    // every path of write() ends a change or throws: this is a bug, not a reason to loop
                    LOG.error("{} was neither written nor refused by its batch", where(change));
                    deadLetter(change, ErrorCode.INTERNAL_ERROR, DeadLetterFactory.Stage.WRITE,
                            "the indexer left this change pending after writing its batch");
                }
            }
        }
        oldestPendingMs = -1;
    }

    private void write(List<DocumentChange> batch) {
        List<Work> upserts = new ArrayList<>();
        for (DocumentChange change : batch) {
            if (change.isDelete()) {
                writeDelete(change);
            } else {
                Work work = chunkOrRefuse(change);
                if (work != null) {
                    upserts.add(work);
                }
            }
        }
        if (upserts.isEmpty()) {
            return;
        }
        // encode and upsert in slices across documents: both cores stay busy on small documents,
        // and a huge document never holds more than one slice of vectors in memory
        Outcome outcome = new Outcome();
        List<Piece> slice = new ArrayList<>(settings.upsertBatchPoints());
        List<StoredChunk> acked = new ArrayList<>();
        for (Work work : upserts) {
            String hash = work.document().contentHash();
            for (Chunk chunk : work.chunks()) {
                slice.add(new Piece(work.document(), hash, chunk));
                if (slice.size() == settings.upsertBatchPoints()) {
                    acked.addAll(writeSlice(slice, outcome));
                    slice.clear();
                }
            }
        }
        acked.addAll(writeSlice(slice, outcome));
        for (Work work : upserts) {
            DocumentEvent doc = work.document();
            int chunks = work.chunks().size();
            if (outcome.refused.containsKey(doc.id())) {
                continue;
            }
            DocumentState before = indexed.get(doc.id());
            if (before != null && before.chunks() > chunks) {
                try {
                    for (IndexTargets.Target target : targets.targets()) {
                        target.sink().deleteChunksFrom(doc.id(), chunks);
                    }
                    forgetChunks(doc.id(), chunks, before.chunks());
                } catch (RuntimeException | StackOverflowError e) {
                    refuseAfterFailure(e, List.of(doc.id()), outcome, DeadLetterFactory.Stage.WRITE, targets.targets());
                }
            }
        }
        // every target acked: the base vectors become what a re-index copies
        for (StoredChunk chunk : acked) {
            if (!outcome.refused.containsKey(chunk.docId())) {
                vectors.put(StoredChunk.key(chunk.docId(), chunk.chunk()), chunk);
            }
        }
        for (Work work : upserts) {
            DocumentEvent doc = work.document();
            int chunks = work.chunks().size();
            Refusal refusal = outcome.refused.get(doc.id());
            if (refusal != null) {
                refuseWritten(work, refusal, outcome.written.contains(doc.id()));
                continue;
            }
            indexed.put(doc.id(), new DocumentState(doc.version(), doc.contentHash(), modelVersion, chunks));
            done(doc.id());
            stats.onIndexed(chunks);
        }
    }

    /** The change's chunks, or null when the chunk stage refused it (dead-lettered). */
    private Work chunkOrRefuse(DocumentChange change) {
        List<Chunk> chunks;
        try {
            chunks = chunks(change.document());
        } catch (RuntimeException | StackOverflowError e) {
            if (Failures.classify(e) != Failures.Fault.RECORD) {
                throw Failures.rethrow(e);
            }
            LOG.error("the chunker failed on {}: {}", where(change), e.toString());
            deadLetter(change, ErrorCode.CHUNK_FAILED, DeadLetterFactory.Stage.CHUNK,
                    "the chunker failed on this document: " + Failures.describe(e));
            return null;
        }
        if (chunks.isEmpty()) {
            deadLetter(change, ErrorCode.MISSING_TEXT, DeadLetterFactory.Stage.CHUNK,
                    "the model's tokenizer finds no token in the text");
            return null;
        }
        return new Work(change, chunks);
    }

    private void writeDelete(DocumentChange change) {
        try {
            for (IndexTargets.Target target : targets.targets()) {
                target.sink().deleteDocument(change.id());
            }
        } catch (RuntimeException | StackOverflowError e) {
            Failures.Fault fault = Failures.classify(e);
            boolean doubtful = fault == Failures.Fault.AMBIGUOUS || !fromQdrant(e);
            if (fault == Failures.Fault.ENVIRONMENT || (doubtful && !probe(targets.targets()))) {
                throw Failures.rethrow(e);
            }
            deadLetter(change, fromQdrant(e) ? ErrorCode.QDRANT_REJECTED : ErrorCode.INTERNAL_ERROR,
                    DeadLetterFactory.Stage.WRITE, "the delete failed: " + Failures.describe(e));
            return;
        }
        DocumentState before = indexed.get(change.id());
        forgetChunks(change.id(), 0, before == null ? 0 : before.chunks());
        indexed.delete(change.id());
        done(change.id());
        stats.onDeleted();
    }

    /**
     * Encodes one slice and upserts it into every target, isolating documents that fail: the
     * stored chunks of the documents written, each acknowledged by every target.
     */
    private List<StoredChunk> writeSlice(List<Piece> slice, Outcome outcome) {
        List<List<Piece>> groups = byDocument(slice, outcome);
        if (groups.isEmpty()) {
            return List.of();
        }
        Map<Piece, float[]> base = new IdentityHashMap<>();
        Map<Piece, SparseVector> sparseOf = new IdentityHashMap<>();
        isolate(groups, pieces -> {
            List<String> texts = new ArrayList<>(pieces.size());
            for (Piece piece : pieces) {
                texts.add(piece.chunk().text());
            }
            long t0 = System.nanoTime();
            List<float[]> vectors = encoder.encodeDocuments(texts);
            if (vectors.size() != pieces.size()) {
                throw new IllegalStateException("the encoder returned " + vectors.size() + " vectors for " + pieces.size() + " texts");
            }
            stats.onEncoded(texts.size(), pieces.stream().mapToLong(p -> p.chunk().tokens()).sum(), System.nanoTime() - t0);
            for (int i = 0; i < pieces.size(); i++) {
                base.put(pieces.get(i), vectors.get(i));
                if (bm25 != null) {
                    // model-independent: kept with the base vector, so a re-index copies it as is
                    sparseOf.put(pieces.get(i), bm25.document(texts.get(i)));
                }
            }
        }, DeadLetterFactory.Stage.ENCODE, outcome, List.of());
        List<List<StoredChunk>> stored = new ArrayList<>();
        for (List<Piece> group : byDocument(slice, outcome)) {
            List<StoredChunk> chunks = new ArrayList<>(group.size());
            for (Piece piece : group) {
                DocumentEvent doc = piece.document();
                float[] vector = base.get(piece);
                SparseVector sparse = sparseOf.get(piece);
                ChunkPoint point = new ChunkPoint(doc.id(), piece.chunk().index(), vector, doc.title(), doc.metadata(),
                        modelVersion, piece.contentHash(), doc.version(), settings.storeText() ? piece.chunk().text() : null,
                        sparse);
                chunks.add(StoredChunk.of(point, vector));
            }
            stored.add(chunks);
        }
        for (IndexTargets.Target target : targets.targets()) {
            List<List<StoredChunk>> live = stored.stream().filter(g -> !outcome.refused.containsKey(g.get(0).docId())).toList();
            if (live.isEmpty()) {
                break;
            }
            isolate(live, chunks -> {
                long w0 = System.nanoTime();
                target.sink().upsert(points(chunks, target));
                stats.onQdrantWrite(System.nanoTime() - w0);
                for (StoredChunk c : chunks) {
                    outcome.written.add(c.docId());
                }
            }, DeadLetterFactory.Stage.WRITE, outcome, List.of(target));
        }
        List<StoredChunk> out = new ArrayList<>(slice.size());
        for (List<StoredChunk> group : stored) {
            if (!outcome.refused.containsKey(group.get(0).docId())) {
                out.addAll(group);
            }
        }
        return out;
    }

    /**
     * Runs {@code op} on every group (one group per document) at once; when it fails for a reason
     * that is some record's, splits the groups in halves and runs each half, down to single
     * documents, which are then refused. A failure that is not a record's is rethrown: the batch
     * stays pending.
     *
     * @param probeTargets where to check that Qdrant takes other requests before a single document's
     *     ambiguous failure is taken as its own
     */
    private <T> void isolate(List<List<T>> groups, Consumer<List<T>> op, DeadLetterFactory.Stage stage, Outcome outcome,
            List<IndexTargets.Target> probeTargets) {
        List<T> all = new ArrayList<>();
        for (List<T> group : groups) {
            all.addAll(group);
        }
        try {
            op.accept(all);
        } catch (RuntimeException | StackOverflowError e) {
            Failures.Fault fault = Failures.classify(e);
            if (fault == Failures.Fault.ENVIRONMENT) {
                throw Failures.rethrow(e);
            }
            if (groups.size() == 1) {
                refuseAfterFailure(e, List.of(docId(groups.get(0).get(0))), outcome, stage, probeTargets);
                return;
            }
            stats.onWriteRetried();
            LOG.warn("{} of {} documents failed ({}); splitting to find the document at fault", stage.label(),
                    groups.size(), e.toString());
            int mid = groups.size() / 2;
            isolate(groups.subList(0, mid), op, stage, outcome, probeTargets);
            isolate(groups.subList(mid, groups.size()), op, stage, outcome, probeTargets);
        }
    }

    /** Marks the documents refused for {@code e}, unless it is ambiguous and Qdrant fails a probe too (then rethrows). */
    private void refuseAfterFailure(Throwable e, List<String> docIds, Outcome outcome, DeadLetterFactory.Stage stage,
            List<IndexTargets.Target> probeTargets) {
        Failures.Fault fault = Failures.classify(e);
        if (fault == Failures.Fault.ENVIRONMENT) {
            throw Failures.rethrow(e);
        }
        // an ambiguous answer, or a sink failing with something that is not Qdrant's answer, is this
        // document's only if the store takes other requests meanwhile
        boolean doubtful = fault == Failures.Fault.AMBIGUOUS || (stage == DeadLetterFactory.Stage.WRITE && !fromQdrant(e));
        if (doubtful && !probe(probeTargets.isEmpty() ? targets.targets() : probeTargets)) {
            throw Failures.rethrow(e);
        }
        ErrorCode code = stage == DeadLetterFactory.Stage.ENCODE ? ErrorCode.ENCODE_FAILED
                : fromQdrant(e) ? ErrorCode.QDRANT_REJECTED : ErrorCode.INTERNAL_ERROR;
        String reason = (fault == Failures.Fault.AMBIGUOUS ? "Qdrant keeps failing on this document while it takes other requests: " : "")
                + Failures.describe(e);
        for (String id : docIds) {
            LOG.error("{} stage refused document {}: {}", stage.label(), id, code);
            outcome.refused.putIfAbsent(id, new Refusal(code, stage, reason));
        }
    }

    /** Whether every target answers a harmless request: a delete of the empty id, which no document has. */
    private static boolean probe(List<IndexTargets.Target> probeTargets) {
        try {
            for (IndexTargets.Target target : probeTargets) {
                target.sink().deleteDocument(PROBE_ID);
            }
            return true;
        } catch (RuntimeException e) {
            LOG.warn("Qdrant fails a probe request too: {}", e.toString());
            return false;
        }
    }

    /**
     * Dead-letters a document the encode or write stage refused. When some of its new points were
     * acknowledged, they are removed from every target (and its state forgotten), so that no
     * collection mixes two versions of it; otherwise its previous version stays.
     */
    private void refuseWritten(Work work, Refusal refusal, boolean written) {
        DocumentEvent doc = work.document();
        if (written) {
            try {
                for (IndexTargets.Target target : targets.targets()) {
                    target.sink().deleteDocument(doc.id());
                }
            } catch (RuntimeException | StackOverflowError e) {
                if (Failures.classify(e) != Failures.Fault.RECORD) {
                    throw Failures.rethrow(e); // still pending: written again, and refused again, later
                }
                LOG.error("could not remove the partly written document {}: {}", doc.id(), e.toString());
            }
            DocumentState before = indexed.get(doc.id());
            forgetChunks(doc.id(), 0, Math.max(work.chunks().size(), before == null ? 0 : before.chunks()));
            indexed.delete(doc.id());
        }
        deadLetter(work.change(), refusal.code(), refusal.stage(), refusal.reason());
    }

    /** Sends {@code change} to the dead-letter topic and ends it (no longer pending). */
    private void deadLetter(DocumentChange change, ErrorCode code, DeadLetterFactory.Stage stage, String reason) {
        forwardDeadLetter(change, code, stage, reason);
        eventTimes.remove(change.id()); // not acknowledged: no ack delay to record
        done(change.id());
    }

    /** Sends {@code change} to the dead-letter topic (and counts it), leaving the pending store alone. */
    private void forwardDeadLetter(DocumentChange change, ErrorCode code, DeadLetterFactory.Stage stage, String reason) {
        byte[] value = null;
        if (!change.isDelete()) {
            try {
                value = Json.write(change.document());
            } catch (RuntimeException e) {
                LOG.error("cannot serialise document {} for its dead letter: {}", change.id(), e.toString());
            }
        }
        DeadLetterFactory.Letter letter = letters.letter(code, stage, reason, change.source(),
                change.id().getBytes(StandardCharsets.UTF_8), value, DeadLetterFactory.ORIGIN_EVENT);
        LOG.warn("dead-lettered {} at the {} stage: {}", where(change), stage.label(), code);
        long timestamp = change.source() != null && change.source().timestamp() >= 0
                ? change.source().timestamp() : context.currentSystemTimeMs();
        context.forward(new Record<>(letter.key(), (Object) letter.body(), timestamp, letter.headers()), deadLetterNode);
        stats.onDeadLettered(code.name());
    }

    /** A pending change the store cannot read back (a bug of ours): dead-lettered with its id only. */
    private void deadLetterUnreadable(String id) {
        LOG.error("the pending change of {} cannot be read back; dead-lettering it", id);
        deadLetter(DocumentChange.delete(id), ErrorCode.INTERNAL_ERROR, DeadLetterFactory.Stage.WRITE,
                "the pending change of this document could not be read back from the pending store");
    }

    private static boolean fromQdrant(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof dev.embedloop.qdrant.Qdrant.QdrantException) {
                return true;
            }
        }
        return false;
    }

    private static String docId(Object piece) {
        if (piece instanceof Piece p) {
            return p.document().id();
        }
        return ((StoredChunk) piece).docId();
    }

    /** The pieces of documents not refused yet, grouped by document, in order. */
    private static List<List<Piece>> byDocument(List<Piece> slice, Outcome outcome) {
        Map<String, List<Piece>> groups = new LinkedHashMap<>();
        for (Piece piece : slice) {
            String id = piece.document().id();
            if (!outcome.refused.containsKey(id)) {
                groups.computeIfAbsent(id, k -> new ArrayList<>()).add(piece);
            }
        }
        return new ArrayList<>(groups.values());
    }

    private static String where(DocumentChange change) {
        DeadLetterFactory.Source s = change.source();
        return s == null || s.topic() == null ? "document " + change.id() : s.topic() + "-" + s.partition() + "@" + s.offset();
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
     * Copies the next stored chunks of this task into each filling target (a re-index, or the
     * shadow collection of a symmetric candidate under test); reports this task's
     * input partition done when its store has been copied to the end. Runs on the stream thread,
     * between writes, so a document written meanwhile reaches the new collection either way. A
     * partition already done in the shared fill progress (by the instance that owned it before a
     * rebalance) is not copied again; one that is not is copied from the start.
     */
    private void fillStep(long now) {
        for (IndexTargets.Target target : targets.targets()) {
            if (!target.filled()) {
                continue; // live and retained collections are written, not filled
            }
            FillCursor cursor = fills.get(target.collection());
            // a cursor belongs to one fill and round: a collection filled anew (under another fill id)
            // between two ticks is copied from the start
            if (cursor == null || cursor.generation() != target.generation() || !cursor.fill().equals(target.fill())) {
                cursor = new FillCursor(target.fill(), target.generation(), null, targets.fillDone(target, partition), 0, 0);
                fills.put(target.collection(), cursor);
            }
            if (cursor.done() || now < cursor.nextStepMs()) {
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
            long rate = settings.reindexPointsPerSecond();
            long next = rate > 0 ? now + Math.max(1, batch.size()) * 1000L / rate : 0;
            cursor = new FillCursor(target.fill(), target.generation(), last, end, cursor.copied() + batch.size(), next);
            fills.put(target.collection(), cursor);
            if (end) {
                targets.fillDone(taskId, partition, target.collection(), target.generation(), cursor.copied());
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

    /** The empty id: never a document's (the validator refuses empty keys), so deleting it is harmless. */
    static final String PROBE_ID = "";

    private record Work(DocumentChange change, List<Chunk> chunks) {
        DocumentEvent document() {
            return change.document();
        }
    }

    /** Why a stage refused a document. */
    private record Refusal(ErrorCode code, DeadLetterFactory.Stage stage, String reason) {}

    /** What happened to the documents of one batch so far. */
    private static final class Outcome {
        /** Documents refused, with why. */
        final Map<String, Refusal> refused = new HashMap<>();
        /** Documents some of whose new points some target acknowledged. */
        final Set<String> written = new HashSet<>();
    }

    /** A fill's position in this task's store; {@code nextStepMs}: wall-clock time of the next step (throttle). */
    private record FillCursor(String fill, long generation, String lastKey, boolean done, long copied, long nextStepMs) {}

    private record Piece(DocumentEvent document, String contentHash, Chunk chunk) {}
}
